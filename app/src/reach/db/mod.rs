//! The channels, the outbox and its delivery log (`outbox`), the calls
//! (`calls`) and the routing rules (`rules`). A channel's password or
//! signing secret is sealed with the instance key in `sealed_keys` (as
//! `channel:ID`), so a key rotation reseals it with the others.
use super::{shown_url, Channel, Kind, Preset, Security, Settings, MAX_CHANNELS};
use crate::{error::AppError, sealing::SecretKey};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

mod calls;
mod outbox;
mod rules;
pub use calls::*;
pub use outbox::*;
pub use rules::*;

fn secret_name(id: i64) -> String {
    format!("channel:{id}")
}

/// A channel as stored: its kinds as text, its recipients comma-separated.
#[derive(sqlx::FromRow)]
struct ChannelRow {
    id: i64,
    name: String,
    kind: String,
    preset: String,
    address: String,
    security: String,
    username: String,
    sender: String,
    recipients: String,
    for_customers: bool,
    per_minute: i64,
    enabled: bool,
    created_at: DateTime<Utc>,
    has_secret: bool,
}

const COLUMNS: &str =
    "c.id, c.name, c.kind, c.preset, c.address, c.security, c.username, c.sender, \
     c.recipients, c.for_customers, c.per_minute, c.enabled, c.created_at, \
     EXISTS (SELECT 1 FROM sealed_keys k WHERE k.name = 'channel:' || c.id) AS has_secret";

/// A channel and its full address (the URL with its path, which pages
/// never show).
pub struct Stored {
    pub channel: Channel,
    pub address: String,
}

fn stored(r: ChannelRow) -> Stored {
    let kind = Kind::parse(&r.kind).unwrap_or(Kind::Webhook);
    Stored {
        channel: Channel {
            id: r.id,
            name: r.name,
            kind,
            preset: Preset::parse(&r.preset).unwrap_or(Preset::Standard),
            shown_address: match kind {
                Kind::Webhook => shown_url(&r.address),
                Kind::Email => r.address.clone(),
            },
            security: Security::parse(&r.security).unwrap_or(Security::Starttls),
            username: r.username,
            sender: r.sender,
            recipients: r
                .recipients
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            for_customers: r.for_customers,
            per_minute: r.per_minute,
            enabled: r.enabled,
            has_secret: r.has_secret,
            created_at: r.created_at,
        },
        address: r.address,
    }
}

/// Adds a channel with its secret (sealed), in the caller's transaction.
pub async fn add(
    tx: &mut SqliteConnection,
    s: &Settings,
    secret: Option<&str>,
    sealing: &SecretKey,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM channels")
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_CHANNELS {
        return Err(AppError::Conflict(format!(
            "Muster keeps at most {MAX_CHANNELS} channels; remove one first."
        )));
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO channels (name, kind, preset, address, security, username, sender, recipients, \
         for_customers, per_minute, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) \
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(&s.name)
    .bind(s.kind.as_str())
    .bind(s.preset.as_str())
    .bind(&s.address)
    .bind(s.security.as_str())
    .bind(&s.username)
    .bind(&s.sender)
    .bind(s.recipients.join(","))
    .bind(s.for_customers)
    .bind(s.per_minute)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Err(AppError::Conflict(format!(
            "A channel named {} exists already.",
            s.name
        )));
    };
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        let sealed = sealing
            .seal(secret.as_bytes())
            .ok_or_else(|| AppError::internal("the channel's secret could not be sealed"))?;
        sqlx::query("INSERT INTO sealed_keys (name, sealed) VALUES (?, ?)")
            .bind(secret_name(id))
            .bind(sealed)
            .execute(&mut *tx)
            .await?;
    }
    Ok(id)
}

/// Whether any channel is set up: a Muster with none reaches nobody.
pub async fn any_channel(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM channels)")
        .fetch_one(conn)
        .await
}

pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<Channel>, sqlx::Error> {
    let rows: Vec<ChannelRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM channels c ORDER BY c.name"))
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| stored(r).channel).collect())
}

pub async fn find(conn: &mut SqliteConnection, name: &str) -> Result<Option<Stored>, sqlx::Error> {
    let row: Option<ChannelRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM channels c WHERE c.name = ?"
    ))
    .bind(name)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(stored))
}

pub async fn get(conn: &mut SqliteConnection, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    let row: Option<ChannelRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM channels c WHERE c.id = ?"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(stored))
}

/// The channel's password or signing secret, opened.
pub async fn secret(
    conn: &mut SqliteConnection,
    id: i64,
    sealing: &SecretKey,
) -> Result<Option<String>, AppError> {
    let sealed: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT sealed FROM sealed_keys WHERE name = ?")
            .bind(secret_name(id))
            .fetch_optional(conn)
            .await?;
    match sealed {
        None => Ok(None),
        Some(sealed) => sealing
            .open(&sealed)
            .and_then(|plain| String::from_utf8(plain).ok())
            .map(Some)
            .ok_or_else(|| {
                AppError::internal("the channel's secret does not open with the key file")
            }),
    }
}

pub async fn set_enabled(
    tx: &mut SqliteConnection,
    id: i64,
    enabled: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE channels SET enabled = ? WHERE id = ?")
        .bind(enabled)
        .bind(id)
        .execute(tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
