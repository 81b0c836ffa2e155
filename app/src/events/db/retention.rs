//! How long events are kept: the periods sources are set to, and the
//! deletes of the daily job, a bounded batch per statement
//! ([`super::delete_in_batches`]).
use super::{delete_in_batches, VISIBLE};
use crate::engine::IN_ID_LIST;
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

/// A period a source is set to, in days.
#[derive(sqlx::FromRow)]
pub struct Period {
    pub source: String,
    pub days: i64,
}

/// The periods set (a source not set keeps the default).
pub async fn periods_set(conn: &mut SqliteConnection) -> Result<Vec<Period>, sqlx::Error> {
    sqlx::query_as("SELECT source, days FROM event_retention")
        .fetch_all(conn)
        .await
}

/// Sets the days a source's unlinked events are kept.
pub async fn set(conn: &mut SqliteConnection, source: &str, days: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO event_retention (source, days) VALUES (?, ?) \
         ON CONFLICT (source) DO UPDATE SET days = excluded.days",
    )
    .bind(source)
    .bind(days)
    .execute(conn)
    .await?;
    Ok(())
}

/// Evidence stays: events linked to an incident, kept as an alert's
/// samples, or cited (the last bound parameter, an id list). The alerts
/// domain's `alert_events` is read here, inside the one statement that
/// deletes.
const UNLINKED: &str = "NOT EXISTS (SELECT 1 FROM event_links l WHERE l.event_id = e.id) \
     AND NOT EXISTS (SELECT 1 FROM alert_events a WHERE a.event_id = e.id)";

/// Deletes a vendor source's shown events that both happened and arrived
/// before `before`, except evidence (`cited`: an [`engine::id_list`](crate::engine::id_list)) and the
/// events of webhook sources (the hooks domain's `hook_sources`, read
/// inside the statement), which keep their own periods. How many.
pub async fn delete_old_of_source(
    write: &SqlitePool,
    source: &str,
    before: DateTime<Utc>,
    cited: &str,
) -> Result<u64, sqlx::Error> {
    let condition = format!(
        "e.source = ? AND e.occurred_at < ? AND e.received_at < ? AND {VISIBLE} AND {UNLINKED} \
         AND e.id NOT {IN_ID_LIST} AND e.import_id NOT IN (SELECT import_id FROM hook_sources)"
    );
    delete_in_batches(write, &condition, |q| {
        q.bind(source.to_owned())
            .bind(before)
            .bind(before)
            .bind(cited.to_owned())
    })
    .await
}

/// Deletes a webhook source's events (those of its standing import) that
/// both happened and arrived before `before`, except evidence. How many.
pub async fn delete_old_of_import(
    write: &SqlitePool,
    import: i64,
    before: DateTime<Utc>,
    cited: &str,
) -> Result<u64, sqlx::Error> {
    let condition =
        format!("e.import_id = ? AND e.occurred_at < ? AND e.received_at < ? AND {UNLINKED} AND e.id NOT {IN_ID_LIST}");
    delete_in_batches(write, &condition, |q| {
        q.bind(import)
            .bind(before)
            .bind(before)
            .bind(cited.to_owned())
    })
    .await
}
