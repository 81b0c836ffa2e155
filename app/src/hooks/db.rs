//! The webhook tables: sources (each with a standing import its events
//! belong to), and each source's delivery log, kept to its newest lines.
use super::{networks, DeliveryView, SourceView, DELIVERIES_KEPT, DELIVERIES_SHOWN};
use crate::error::AppError;
use crate::signing::Scheme;
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use sqlx::SqliteConnection;

/// A source as a delivery is checked against it.
#[derive(Clone, Debug)]
pub struct Source {
    pub id: i64,
    pub name: String,
    pub scheme: Scheme,
    pub environment: String,
    pub networks: Vec<IpNet>,
    /// The stored list could not be read (a changed file, an older or
    /// newer Muster): no address may deliver until an admin saves it.
    pub networks_unreadable: bool,
    pub enabled: bool,
    pub import_id: i64,
}

/// What an admin may change of a source.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub environment: String,
    /// Normalised (one space between blocks).
    pub networks: String,
    pub retention_days: i64,
    pub enabled: bool,
}

impl Settings {
    /// Checks settings as a form or the command line gives them.
    pub fn check(
        environment: &str,
        networks: &str,
        retention_days: &str,
        enabled: bool,
    ) -> Result<Self, AppError> {
        let environment = environment.trim();
        if environment.chars().count() > 40 {
            return Err(AppError::invalid("Environment", "at most 40 characters"));
        }
        let nets = networks::parse(networks).map_err(|e| AppError::invalid("Networks", e))?;
        let retention_days = match retention_days.trim() {
            "" => crate::events::DEFAULT_RETENTION_DAYS,
            days => days
                .parse()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or_else(|| {
                    AppError::invalid("Retention", "a whole number of days from 1 to 3650")
                })?,
        };
        Ok(Self {
            environment: environment.to_owned(),
            networks: networks::normalised(&nets),
            retention_days,
            enabled,
        })
    }
}

/// The source a delivery names, if there is one.
pub async fn find(
    conn: &mut SqliteConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Option<Source>, sqlx::Error> {
    Ok(find_for_delivery(conn, name, now)
        .await?
        .map(|(source, _)| source))
}

/// A source with one of its secrets that verify (a row each), as a
/// delivery reads it.
#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    name: String,
    scheme: String,
    environment: String,
    networks: String,
    enabled: bool,
    import_id: i64,
    sealed: Option<Vec<u8>>,
}

/// The source a delivery names and its sealed secrets that verify at
/// `now`, in one query (every delivery asks this first).
pub async fn find_for_delivery(
    conn: &mut SqliteConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Source, Vec<Vec<u8>>)>, sqlx::Error> {
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT s.id, s.name, s.scheme, s.environment, s.networks, s.enabled, s.import_id, k.sealed \
         FROM hook_sources s \
         LEFT JOIN hook_secrets h ON h.source_id = s.id AND (h.retires_at IS NULL OR h.retires_at > ?) \
         LEFT JOIN sealed_keys k ON k.name = h.key_name \
         WHERE s.name = ? ORDER BY h.id DESC",
    )
    .bind(now)
    .bind(name)
    .fetch_all(conn)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let Some(scheme) = Scheme::parse(&first.scheme) else {
        return Ok(None);
    };
    // Fail closed: an empty list means "any address", so a list that does
    // not parse must never be read as one.
    let nets = networks::parse(&first.networks);
    let source = Source {
        id: first.id,
        name: first.name.clone(),
        scheme,
        environment: first.environment.clone(),
        networks_unreadable: nets.is_err(),
        networks: nets.unwrap_or_default(),
        enabled: first.enabled,
        import_id: first.import_id,
    };
    Ok(Some((
        source,
        rows.into_iter().filter_map(|r| r.sealed).collect(),
    )))
}

/// Makes a source, with the standing import its events belong to.
pub async fn add(
    tx: &mut SqliteConnection,
    name: &str,
    scheme: Scheme,
    settings: &Settings,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM hook_sources WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(AppError::Conflict(format!(
            "There is a source named {name} already."
        )));
    }
    let import_id = crate::events::db::open_standing_import(
        &mut *tx,
        &format!("webhook {name}"),
        scheme.as_str(),
        by,
        now,
    )
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO hook_sources (name, scheme, environment, networks, retention_days, enabled, import_id, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(name)
    .bind(scheme.as_str())
    .bind(&settings.environment)
    .bind(&settings.networks)
    .bind(settings.retention_days)
    .bind(settings.enabled)
    .bind(import_id)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    Ok(id)
}

pub async fn set(
    tx: &mut SqliteConnection,
    id: i64,
    settings: &Settings,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE hook_sources SET environment = ?, networks = ?, retention_days = ?, enabled = ? WHERE id = ?",
    )
    .bind(&settings.environment)
    .bind(&settings.networks)
    .bind(settings.retention_days)
    .bind(settings.enabled)
    .bind(id)
    .execute(tx)
    .await?;
    Ok(())
}

/// A source's row: its id and what its pages show.
#[derive(sqlx::FromRow)]
struct ViewRow {
    id: i64,
    #[sqlx(flatten)]
    view: SourceView,
}

/// When a source's secret was made and, in an overlap, when it retires.
#[derive(sqlx::FromRow)]
struct SecretSpan {
    created_at: DateTime<Utc>,
    retires_at: Option<DateTime<Utc>>,
}

/// Every source, by name.
pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<SourceView>, sqlx::Error> {
    let rows: Vec<ViewRow> = sqlx::query_as(
        "SELECT id, name, scheme, environment, networks, retention_days, enabled, accepted, duplicates, rejected, \
         created_by, created_at FROM hook_sources ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut views = Vec::with_capacity(rows.len());
    for ViewRow { id, mut view } in rows {
        let secrets: Vec<SecretSpan> = sqlx::query_as(
            "SELECT created_at, retires_at FROM hook_secrets WHERE source_id = ? ORDER BY id DESC",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        view.secrets = secrets
            .into_iter()
            .map(|s| (s.created_at, s.retires_at))
            .collect();
        views.push(view);
    }
    Ok(views)
}

/// A source and its newest deliveries.
pub async fn detail(
    conn: &mut SqliteConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Option<(SourceView, Vec<DeliveryView>)>, sqlx::Error> {
    let Some(source) = find(&mut *conn, name, now).await? else {
        return Ok(None);
    };
    let view = list(&mut *conn)
        .await?
        .into_iter()
        .find(|v| v.name == source.name);
    let deliveries: Vec<DeliveryView> = sqlx::query_as(
        "SELECT received_at, outcome, status, reason, client, delivery_id, fingerprint, event_id \
         FROM hook_deliveries WHERE source_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(source.id)
    .bind(DELIVERIES_SHOWN)
    .fetch_all(conn)
    .await?;
    Ok(view.map(|v| (v, deliveries)))
}

/// How a delivery ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Duplicate,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Duplicate => "duplicate",
            Self::Rejected => "rejected",
        }
    }
}

/// A line of the delivery log (never a refused delivery's body).
#[derive(Clone, Debug)]
pub struct Line {
    pub source_id: i64,
    pub received_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub status: u16,
    pub reason: Option<String>,
    pub client: Option<String>,
    pub delivery_id: Option<String>,
    pub fingerprint: Option<String>,
    pub event_id: Option<i64>,
}

/// Writes log lines and counts them on their sources, in the caller's
/// transaction, then trims each source's log to its newest lines.
pub async fn log(tx: &mut SqliteConnection, lines: &[Line]) -> Result<(), sqlx::Error> {
    if lines.is_empty() {
        return Ok(());
    }
    // One statement for the lot (9 values a line, well under SQLite's
    // limit on bound values at the writer's largest batch).
    let mut insert: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
        "INSERT INTO hook_deliveries (source_id, received_at, outcome, status, reason, client, delivery_id, fingerprint, event_id) ",
    );
    insert.push_values(lines, |mut row, line| {
        row.push_bind(line.source_id)
            .push_bind(line.received_at)
            .push_bind(line.outcome.as_str())
            .push_bind(i64::from(line.status))
            .push_bind(&line.reason)
            .push_bind(&line.client)
            .push_bind(&line.delivery_id)
            .push_bind(&line.fingerprint)
            .push_bind(line.event_id);
    });
    insert.build().execute(&mut *tx).await?;
    let mut sources: Vec<(i64, [i64; 3])> = Vec::new();
    for line in lines {
        let at = match sources.iter().position(|(id, _)| *id == line.source_id) {
            Some(at) => at,
            None => {
                sources.push((line.source_id, [0; 3]));
                sources.len() - 1
            }
        };
        sources[at].1[line.outcome as usize] += 1;
    }
    for (id, [accepted, duplicates, rejected]) in sources {
        sqlx::query(
            "UPDATE hook_sources SET accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ? WHERE id = ?",
        )
        .bind(accepted)
        .bind(duplicates)
        .bind(rejected)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // Refusals are kept apart from what was accepted, each bounded on
        // its own: a flood of bad posts ages out only other refusals, never
        // the deliveries that were stored.
        for refused in [false, true] {
            sqlx::query(
                "DELETE FROM hook_deliveries WHERE source_id = ? AND (outcome = 'rejected') = ? AND id <= \
                 (SELECT id FROM hook_deliveries WHERE source_id = ? AND (outcome = 'rejected') = ? \
                  ORDER BY id DESC LIMIT 1 OFFSET ?)",
            )
            .bind(id)
            .bind(refused)
            .bind(id)
            .bind(refused)
            .bind(DELIVERIES_KEPT)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// How long a source keeps its events (apart from its vendor's period).
#[derive(sqlx::FromRow)]
pub struct Kept {
    pub name: String,
    pub import_id: i64,
    pub retention_days: i64,
}

/// Every source with its standing import and period, by name (what the
/// events' retention job deletes by).
pub async fn retention(conn: &mut SqliteConnection) -> Result<Vec<Kept>, sqlx::Error> {
    sqlx::query_as("SELECT name, import_id, retention_days FROM hook_sources ORDER BY name")
        .fetch_all(conn)
        .await
}

/// Every older secret of a source retires at `at` at the latest: the
/// current one starts to, and one still in an earlier overlap retires no
/// later than this.
pub async fn retire_secrets(
    tx: &mut SqliteConnection,
    source_id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE hook_secrets SET retires_at = ? \
         WHERE source_id = ? AND (retires_at IS NULL OR retires_at > ?)",
    )
    .bind(at)
    .bind(source_id)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Deletes a source's secrets retired by `now`, sealed key and all: gone
/// for good.
pub async fn drop_retired_secrets(
    tx: &mut SqliteConnection,
    source_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM sealed_keys WHERE name IN \
         (SELECT key_name FROM hook_secrets WHERE source_id = ? AND retires_at <= ?)",
    )
    .bind(source_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM hook_secrets WHERE source_id = ? AND retires_at <= ?")
        .bind(source_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Stores a sealed secret as the source's current one, under `key_name`
/// in `sealed_keys`.
pub async fn add_secret(
    tx: &mut SqliteConnection,
    source_id: i64,
    key_name: &str,
    sealed: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sealed_keys (name, sealed) VALUES (?, ?)")
        .bind(key_name)
        .bind(sealed)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO hook_secrets (source_id, key_name, created_at) VALUES (?, ?, ?)")
        .bind(source_id)
        .bind(key_name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A source's secrets that verify at `now`, still sealed, newest first.
pub async fn sealed_secrets(
    conn: &mut SqliteConnection,
    source_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT k.sealed FROM hook_secrets s JOIN sealed_keys k ON k.name = s.key_name \
         WHERE s.source_id = ? AND (s.retires_at IS NULL OR s.retires_at > ?) ORDER BY s.id DESC",
    )
    .bind(source_id)
    .bind(now)
    .fetch_all(conn)
    .await
}
