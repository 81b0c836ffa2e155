//! Writing and reading the audit log. Writes happen on the single writer
//! connection inside the caller's transaction, so the entry before is
//! stable while the next hash is computed.
use super::{chain, AuditFilter, Entry, NewEntry};
use chrono::SecondsFormat;
use futures_util::TryStreamExt;
use sqlx::{Sqlite, SqliteConnection};

const COLUMNS: &str = "id, at, actor, action, target, request_id, outcome, reason, prev_hash, hash";

/// The newest entry: what the next one chains to.
#[derive(sqlx::FromRow)]
struct Last {
    id: i64,
    hash: String,
}

/// Appends one entry, stamped with its own `at`; returns it as stored.
#[tracing::instrument(skip_all, fields(action = entry.action))]
pub async fn record(
    conn: &mut SqliteConnection,
    entry: NewEntry,
    request_id: &str,
) -> Result<Entry, sqlx::Error> {
    let last: Option<Last> =
        sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (id, prev_hash) = match last {
        Some(Last { id, hash }) => (id + 1, hash),
        None => (1, chain::GENESIS.to_owned()),
    };
    let mut e = Entry {
        id,
        at: entry.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        actor: entry.actor,
        action: entry.action.to_owned(),
        target: entry.target,
        request_id: request_id.to_owned(),
        outcome: entry.outcome.as_str().to_owned(),
        reason: entry.reason,
        prev_hash,
        hash: String::new(),
    };
    e.hash = chain::hash(&e);
    sqlx::query(&format!(
        "INSERT INTO audit_log ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(e.id)
    .bind(&e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.target)
    .bind(&e.request_id)
    .bind(&e.outcome)
    .bind(&e.reason)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut *conn)
    .await?;
    Ok(e)
}

/// Newest first, at most `limit`.
#[tracing::instrument(skip_all)]
pub async fn list<'e>(
    db: impl sqlx::Executor<'e, Database = Sqlite>,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log \
         WHERE (?1 = '' OR actor LIKE '%' || ?1 || '%') \
           AND (?2 = '' OR action LIKE ?2 || '%') \
           AND (?3 = '' OR at >= ?3) \
           AND (?4 = '' OR at < ?4) \
         ORDER BY id DESC LIMIT ?5"
    ))
    .bind(filter.actor.trim())
    .bind(filter.action.trim())
    .bind(filter.since.trim())
    .bind(filter.until.trim())
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The first entry that does not fit the chain, if any.
#[derive(Debug, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub first_bad: Option<(i64, chain::Break)>,
    /// The newest entry's id and hash, when the whole chain holds: the
    /// anchor to keep apart from the database.
    pub anchor: Option<(i64, String)>,
}

/// Walks the whole log in order, one row at a time.
pub async fn verify(conn: &mut SqliteConnection) -> Result<Verified, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY id");
    let mut rows = sqlx::query_as::<_, Entry>(&sql).fetch(&mut *conn);
    let mut prev: Option<Entry> = None;
    let mut entries = 0;
    while let Some(e) = rows.try_next().await? {
        entries += 1;
        if let Err(why) = chain::check(prev.as_ref(), &e) {
            return Ok(Verified {
                entries,
                first_bad: Some((e.id, why)),
                anchor: None,
            });
        }
        prev = Some(e);
    }
    Ok(Verified {
        entries,
        first_bad: None,
        anchor: prev.map(|e| (e.id, e.hash)),
    })
}

/// The stored hash of one entry, if it is there.
pub async fn hash_of(conn: &mut SqliteConnection, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT hash FROM audit_log WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Oldest first, entries after `after_id`: for walking the whole log in
/// batches (export) without holding it all in memory.
pub async fn page_after<'e>(
    db: impl sqlx::Executor<'e, Database = Sqlite>,
    filter: &AuditFilter,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log \
         WHERE id > ?5 \
           AND (?1 = '' OR actor LIKE '%' || ?1 || '%') \
           AND (?2 = '' OR action LIKE ?2 || '%') \
           AND (?3 = '' OR at >= ?3) \
           AND (?4 = '' OR at < ?4) \
         ORDER BY id LIMIT ?6"
    ))
    .bind(filter.actor.trim())
    .bind(filter.action.trim())
    .bind(filter.since.trim())
    .bind(filter.until.trim())
    .bind(after_id)
    .bind(limit)
    .fetch_all(db)
    .await
}
