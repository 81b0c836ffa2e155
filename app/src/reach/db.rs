//! The channels, the outbox and its delivery log. A channel's password or
//! signing secret is sealed with the instance key in `sealed_keys` (as
//! `channel:ID`), so a key rotation reseals it with the others.
use super::{
    shown_url, withheld_because, Channel, Kind, Message, OutboxLine, Preset, Security, Settings,
    State, MAX_ATTEMPTS, MAX_CHANNELS, OUTBOX_KEPT,
};
use crate::{environment::Environment, error::AppError, sealing::SecretKey};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

fn secret_name(id: i64) -> String {
    format!("channel:{id}")
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    i64,
    bool,
    DateTime<Utc>,
    bool,
);

const COLUMNS: &str =
    "c.id, c.name, c.kind, c.preset, c.address, c.security, c.username, c.sender, \
     c.recipients, c.for_customers, c.per_minute, c.enabled, c.created_at, \
     EXISTS (SELECT 1 FROM sealed_keys k WHERE k.name = 'channel:' || c.id)";

/// A channel and its full address (the URL with its path, which pages
/// never show).
pub struct Stored {
    pub channel: Channel,
    pub address: String,
}

fn stored(r: Row) -> Stored {
    let kind = Kind::parse(&r.2).unwrap_or(Kind::Webhook);
    Stored {
        channel: Channel {
            id: r.0,
            name: r.1,
            kind,
            preset: Preset::parse(&r.3).unwrap_or(Preset::Standard),
            shown_address: match kind {
                Kind::Webhook => shown_url(&r.4),
                Kind::Email => r.4.clone(),
            },
            security: Security::parse(&r.5).unwrap_or(Security::Starttls),
            username: r.6,
            sender: r.7,
            recipients: r
                .8
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            for_customers: r.9,
            per_minute: r.10,
            enabled: r.11,
            has_secret: r.13,
            created_at: r.12,
        },
        address: r.4,
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
    let id: Option<(i64,)> = sqlx::query_as(
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
    let Some((id,)) = id else {
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

pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<Channel>, sqlx::Error> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM channels c ORDER BY c.name"))
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| stored(r).channel).collect())
}

pub async fn find(conn: &mut SqliteConnection, name: &str) -> Result<Option<Stored>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM channels c WHERE c.name = ?"
    ))
    .bind(name)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(stored))
}

pub async fn get(conn: &mut SqliteConnection, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    let row: Option<Row> =
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
    let sealed: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT sealed FROM sealed_keys WHERE name = ?")
            .bind(secret_name(id))
            .fetch_optional(conn)
            .await?;
    match sealed {
        None => Ok(None),
        Some((sealed,)) => sealing
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

/// Puts a message for `channel` in the outbox, in the caller's
/// transaction (the one that makes the change the message is about), so a
/// crash never loses it or sends it for a change that did not happen.
/// In a drill, the sandbox or staging it is stored withheld: "would have
/// sent to ...". Returns its id and whether it was withheld.
pub async fn enqueue(
    tx: &mut SqliteConnection,
    channel: &Channel,
    m: &Message,
    (environment, drill): (Environment, bool),
    now: DateTime<Utc>,
) -> Result<(i64, bool), sqlx::Error> {
    let to = if m.to.is_empty() {
        match channel.kind {
            Kind::Email => channel.recipients.join(", "),
            Kind::Webhook => channel.shown_address.clone(),
        }
    } else {
        m.to.clone()
    };
    let withheld = withheld_because(environment, drill);
    let (state, note) = match withheld {
        Some(why) => (
            State::Withheld,
            format!(
                "would have sent to {to} by {} (not sent: {why})",
                channel.name
            ),
        ),
        None => (State::Pending, String::new()),
    };
    let key = format!("msg_{:032x}", rand::random::<u128>());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (channel_id, incident_id, purpose, recipient, subject, body, link, key, state, note, \
         attempts, next_at, created_at, call_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING id",
    )
    .bind(channel.id)
    .bind(m.incident_id)
    .bind(m.purpose)
    .bind(&to)
    .bind(super::bounded(&m.subject, super::MAX_SUBJECT))
    .bind(super::bounded(&m.body, super::MAX_BODY))
    .bind(m.link.as_deref().unwrap_or(""))
    .bind(key)
    .bind(state.as_str())
    .bind(note)
    .bind(now)
    .bind(now)
    .bind(m.call_id)
    .fetch_one(tx)
    .await?;
    Ok((id, withheld.is_some()))
}

/// A message whose time to be sent has come.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub channel_id: i64,
    pub incident_id: Option<i64>,
    pub purpose: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub key: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    /// The call it is for (its key goes in when it is sent).
    pub call_id: Option<i64>,
}

/// The pending messages due at `now`, oldest first, on enabled channels.
pub async fn due(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.id, o.channel_id, o.incident_id, o.purpose, o.recipient, o.subject, o.body, o.link, o.key, o.attempts, o.created_at, o.call_id \
         FROM outbox o JOIN channels c ON c.id = o.channel_id \
         WHERE o.state = 'pending' AND o.next_at <= ? AND c.enabled ORDER BY o.next_at, o.id LIMIT ?",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// What one attempt got back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub delivered: bool,
    /// HTTP status or SMTP reply code, when there was an answer.
    pub code: Option<i64>,
    /// A short answer (never a secret: receivers' words, bounded).
    pub answer: String,
    /// A refusal that trying again will not change (400, 401, 404, 550).
    pub permanent: bool,
}

/// Records an attempt, and moves the message on: sent; pending again
/// after a back-off; or failed after its last attempt or a permanent
/// refusal.
pub async fn finish(
    tx: &mut SqliteConnection,
    due: &Due,
    a: &Attempt,
    now: DateTime<Utc>,
) -> Result<State, sqlx::Error> {
    let attempts = due.attempts + 1;
    let answer = super::bounded(&a.answer, super::MAX_ANSWER);
    let state = if a.delivered {
        State::Sent
    } else if a.permanent || attempts >= MAX_ATTEMPTS {
        State::Failed
    } else {
        State::Pending
    };
    let outcome = match state {
        State::Sent => "sent",
        State::Pending => "retry",
        _ => "failed",
    };
    sqlx::query(
        "INSERT INTO outbox_attempts (outbox_id, channel_id, at, outcome, code, answer) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(due.id)
    .bind(due.channel_id)
    .bind(now)
    .bind(outcome)
    .bind(a.code)
    .bind(&answer)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE outbox SET state = ?, attempts = ?, answer = ?, next_at = ?, \
         done_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END WHERE id = ?",
    )
    .bind(state.as_str())
    .bind(attempts)
    .bind(&answer)
    .bind(now + super::backoff(attempts))
    .bind(state.as_str())
    .bind(now)
    .bind(due.id)
    .execute(&mut *tx)
    .await?;
    Ok(state)
}

/// Deletes finished messages beyond the newest `OUTBOX_KEPT`.
pub async fn prune(tx: &mut SqliteConnection) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM outbox WHERE state != 'pending' AND id <= \
         (SELECT id FROM outbox ORDER BY id DESC LIMIT 1 OFFSET ?)",
    )
    .bind(OUTBOX_KEPT)
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

type Line = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn line(r: Line) -> OutboxLine {
    OutboxLine {
        id: r.0,
        channel: r.1,
        purpose: r.2,
        subject: r.3,
        to: r.4,
        state: State::parse(&r.5),
        note: r.6,
        attempts: r.7,
        answer: r.8,
        created_at: r.9,
        done_at: r.10,
    }
}

const LINE: &str =
    "SELECT o.id, c.name, o.purpose, o.subject, o.recipient, o.state, o.note, o.attempts, \
     o.answer, o.created_at, o.done_at FROM outbox o JOIN channels c ON c.id = o.channel_id";

/// The newest messages of a channel, or of an incident.
pub async fn lines(
    conn: &mut SqliteConnection,
    channel_id: Option<i64>,
    incident_id: Option<i64>,
    limit: i64,
) -> Result<Vec<OutboxLine>, sqlx::Error> {
    let rows: Vec<Line> = sqlx::query_as(&format!(
        "{LINE} WHERE (?1 IS NULL OR o.channel_id = ?1) AND (?2 IS NULL OR o.incident_id = ?2) \
         ORDER BY o.id DESC LIMIT ?3"
    ))
    .bind(channel_id)
    .bind(incident_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(line).collect())
}

/// How many messages failed for good in the last `since`: the admin
/// page's warning.
pub async fn failed_since(
    conn: &mut SqliteConnection,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'failed' AND done_at >= ?")
            .bind(since)
            .fetch_one(conn)
            .await?;
    Ok(n)
}

/// The newest messages about an incident that failed for good, as
/// "channel: answer" (at most five): the incident page's warning.
pub async fn failed_for_incident(
    conn: &mut SqliteConnection,
    incident_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.name, o.answer FROM outbox o JOIN channels c ON c.id = o.channel_id \
         WHERE o.incident_id = ? AND o.state = 'failed' ORDER BY o.id DESC LIMIT 5",
    )
    .bind(incident_id)
    .fetch_all(conn)
    .await?;
    // The incident's page is read by everyone: the status, not the words.
    Ok(rows
        .into_iter()
        .map(|(c, a)| format!("{c}: {}", super::answer_for_everyone(&a)))
        .collect())
}

/// The newest attempts on a channel.
pub async fn attempts(
    conn: &mut SqliteConnection,
    channel_id: i64,
    limit: i64,
) -> Result<Vec<super::AttemptLine>, sqlx::Error> {
    /// at, outcome, code, answer, subject
    type Row = (DateTime<Utc>, String, Option<i64>, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.at, a.outcome, a.code, a.answer, o.subject FROM outbox_attempts a \
         JOIN outbox o ON o.id = a.outbox_id WHERE a.channel_id = ? ORDER BY a.id DESC LIMIT ?",
    )
    .bind(channel_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, outcome, code, answer, subject)| super::AttemptLine {
            at,
            outcome,
            code,
            answer,
            subject,
        })
        .collect())
}

/// Ends every open call of an incident (it was resolved): nobody more is
/// called or escalated to about it, and its acknowledge links say the call
/// is over. Returns how many calls it ended.
pub async fn close_calls(
    conn: &mut SqliteConnection,
    incident_id: i64,
) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("UPDATE calls SET state = 'closed' WHERE incident_id = ? AND state = 'open'")
            .bind(incident_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}
