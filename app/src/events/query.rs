//! Reading events back: the filtered, searched list (a page at a time,
//! by key), one event in full, and the events that may be evidence for
//! an incident. Only events of imports that ended well are read.
use super::{db::VISIBLE, EventDetail, EventRow, Filter};
use chrono::{DateTime, Utc};
use sqlx::{sqlite::SqliteRow, FromRow, QueryBuilder, Row, Sqlite, SqlitePool};

/// Up to this many matches, a search starts from the index's list of
/// them and sorts them; past it, from the newest events, checking each
/// against the index, which finds a page of a common word at once.
const FEW_MATCHES: i64 = 20_000;

pub(crate) const ROW_COLUMNS: &str =
    "e.id, e.source, e.dedupe_key, e.occurred_at, e.actor, e.action, e.target, \
     e.outcome, e.environment, e.summary";

impl<'r> FromRow<'r, SqliteRow> for EventRow {
    fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            source: row.try_get("source")?,
            source_id: row.try_get("dedupe_key")?,
            occurred_at: row.try_get("occurred_at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            outcome: row.try_get("outcome")?,
            environment: row.try_get("environment")?,
            summary: row.try_get("summary")?,
        })
    }
}

/// One page of events, newest first, and the id to continue after when
/// there are more.
pub async fn list(
    read: &SqlitePool,
    filter: &Filter,
    limit: i64,
) -> Result<(Vec<EventRow>, Option<i64>), sqlx::Error> {
    let search = super::db::match_query(&filter.words);
    let few = match &search {
        Some(query) => {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM (SELECT 1 FROM events_search WHERE events_search MATCH ? LIMIT ?)",
            )
            .bind(query)
            .bind(FEW_MATCHES + 1)
            .fetch_one(read)
            .await?;
            if n == 0 {
                return Ok((Vec::new(), None));
            }
            n <= FEW_MATCHES
        }
        None => false,
    };
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!("SELECT {ROW_COLUMNS} FROM "));
    match (&search, few) {
        // CROSS JOIN keeps this order: the matches first, then their events.
        (Some(query), true) => {
            q.push("(SELECT rowid AS id FROM events_search WHERE events_search MATCH ")
                .push_bind(query.clone())
                .push(") m CROSS JOIN events e ON e.id = m.id WHERE ");
        }
        (Some(query), false) => {
            q.push("events e WHERE EXISTS (SELECT 1 FROM events_search WHERE events_search MATCH ")
                .push_bind(query.clone())
                .push(" AND rowid = e.id) AND ");
        }
        (None, _) => {
            q.push("events e WHERE ");
        }
    }
    q.push(VISIBLE);
    push_filters(&mut q, filter);
    q.push(" ORDER BY e.occurred_at DESC, e.id DESC LIMIT ")
        .push_bind(limit + 1);
    let mut rows: Vec<EventRow> = q.build_query_as().fetch_all(read).await?;
    let next = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    });
    Ok((rows, next.flatten()))
}

fn push_filters(q: &mut QueryBuilder<Sqlite>, f: &Filter) {
    for (column, value) in [
        ("e.source", &f.source),
        ("e.outcome", &f.outcome),
        ("e.environment", &f.environment),
    ] {
        if !value.is_empty() {
            q.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    if let Some(from) = f.from {
        q.push(" AND e.occurred_at >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        q.push(" AND e.occurred_at < ").push_bind(to);
    }
    if let Some(import) = f.import {
        q.push(" AND e.import_id = ").push_bind(import);
    }
    if let Some(after) = f.after {
        q.push(" AND (e.occurred_at, e.id) < (SELECT occurred_at, id FROM events WHERE id = ")
            .push_bind(after)
            .push(")");
    }
}

/// One event in full, with the incidents it is linked to.
pub async fn detail(read: &SqlitePool, id: i64) -> Result<Option<EventDetail>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {ROW_COLUMNS}, e.received_at, e.request_id, e.payload, e.truncated, e.fingerprint, \
         i.file_name FROM events e JOIN event_imports i ON i.id = e.import_id WHERE e.id = ? AND {VISIBLE}"
    ))
    .bind(id)
    .fetch_optional(read)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let links: Vec<(i64, String)> = sqlx::query_as(
        "SELECT i.id, i.title FROM event_links l JOIN incidents i ON i.id = l.incident_id \
         WHERE l.event_id = ? ORDER BY i.id",
    )
    .bind(id)
    .fetch_all(read)
    .await?;
    let payload: String = row.try_get("payload")?;
    let truncated: bool = row.try_get("truncated")?;
    Ok(Some(EventDetail {
        event: EventRow::from_row(&row)?,
        received_at: row.try_get("received_at")?,
        request_id: row.try_get("request_id")?,
        // A cut payload is no longer JSON: shown as stored.
        payload: serde_json::from_str::<serde_json::Value>(&payload)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or(payload),
        truncated,
        fingerprint: row.try_get("fingerprint")?,
        file_name: row.try_get("file_name")?,
        links,
    }))
}

/// Events that may be evidence for an incident: in its time window (from
/// an hour before it was declared to its end, or now), holding one of
/// its request ids or one of its runbook's tags, not linked to it yet.
pub async fn suggest(
    read: &SqlitePool,
    window: (DateTime<Utc>, DateTime<Utc>),
    request_ids: &[String],
    tags: &[String],
    incident: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let words: Vec<String> = tags
        .iter()
        .flat_map(|t| super::db::tokens(t).collect::<Vec<_>>())
        .map(|t| format!("\"{t}\""))
        .collect();
    if request_ids.is_empty() && words.is_empty() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
        "SELECT {ROW_COLUMNS} FROM events e WHERE {VISIBLE} AND e.occurred_at >= "
    ));
    q.push_bind(window.0)
        .push(" AND e.occurred_at <= ")
        .push_bind(window.1)
        .push(" AND NOT EXISTS (SELECT 1 FROM event_links l WHERE l.event_id = e.id AND l.incident_id = ")
        .push_bind(incident)
        .push(") AND (0");
    if !request_ids.is_empty() {
        q.push(" OR e.request_id IN (");
        let mut ids = q.separated(", ");
        for id in request_ids {
            ids.push_bind(id.clone());
        }
        q.push(")");
    }
    if !words.is_empty() {
        q.push(" OR e.id IN (SELECT rowid FROM events_search WHERE events_search MATCH ")
            .push_bind(words.join(" OR "))
            .push(")");
    }
    q.push(") ORDER BY e.occurred_at, e.id LIMIT ")
        .push_bind(limit);
    q.build_query_as().fetch_all(read).await
}
