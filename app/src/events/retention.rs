//! How long imported events are kept: per source, a number of days
//! (90 unless set). The daily job deletes older events that no incident
//! links, in short batches, and records what it deleted in the audit log.
use super::{db::VISIBLE, DEFAULT_RETENTION_DAYS, SOURCES};
use crate::audit;
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

/// Each source with the days its unlinked events are kept.
pub async fn periods(conn: &mut SqliteConnection) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let set: Vec<(String, i64)> = sqlx::query_as("SELECT source, days FROM event_retention")
        .fetch_all(conn)
        .await?;
    Ok(SOURCES
        .iter()
        .map(|s| {
            let days = set
                .iter()
                .find(|(source, _)| source == s)
                .map_or(DEFAULT_RETENTION_DAYS, |(_, d)| *d);
            ((*s).to_owned(), days)
        })
        .collect())
}

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

/// Deletes each source's unlinked events older than its period, and
/// records the counts (one audit entry, when anything was deleted). The
/// counts by source. An event is old when it both happened and arrived
/// before the period: a file of last year's events imported today is kept
/// for a full period from today. `cited` are events cited as evidence
/// elsewhere (reviews): kept, like linked events and alert samples.
pub async fn run(
    write: &SqlitePool,
    now: DateTime<Utc>,
    cited: &[i64],
) -> Result<Vec<(String, u64)>, sqlx::Error> {
    let cited = serde_json::to_string(cited).unwrap_or_else(|_| "[]".into());
    let mut conn = write.acquire().await?;
    let periods = periods(&mut conn).await?;
    // A webhook source keeps its events as long as it says (its events
    // are left out of their vendor's period).
    let hooks: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT name, import_id, retention_days FROM hook_sources ORDER BY name")
            .fetch_all(&mut *conn)
            .await?;
    drop(conn);
    // Evidence stays: events linked to an incident, kept as an alert's
    // samples, or cited (the last bound parameter, a JSON list of ids).
    let unlinked = "NOT EXISTS (SELECT 1 FROM event_links l WHERE l.event_id = e.id) \
                    AND NOT EXISTS (SELECT 1 FROM alert_events a WHERE a.event_id = e.id) \
                    AND e.id NOT IN (SELECT value FROM json_each(?))";
    let mut deleted = Vec::new();
    for (source, days) in periods {
        let before = now - chrono::Duration::days(days);
        let condition = format!(
            "e.source = ? AND e.occurred_at < ? AND e.received_at < ? AND {VISIBLE} AND {unlinked} \
             AND e.import_id NOT IN (SELECT import_id FROM hook_sources)"
        );
        let gone = super::db::delete_in_batches(write, &condition, |q| {
            q.bind(source.clone())
                .bind(before)
                .bind(before)
                .bind(cited.clone())
        })
        .await?;
        if gone > 0 {
            deleted.push((source, gone));
        }
    }
    for (name, import, days) in hooks {
        let before = now - chrono::Duration::days(days);
        let condition =
            format!("e.import_id = ? AND e.occurred_at < ? AND e.received_at < ? AND {unlinked}");
        let gone = super::db::delete_in_batches(write, &condition, |q| {
            q.bind(import).bind(before).bind(before).bind(cited.clone())
        })
        .await?;
        if gone > 0 {
            deleted.push((format!("webhook {name}"), gone));
        }
    }
    if !deleted.is_empty() {
        let counts: Vec<String> = deleted.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        let entry = audit::NewEntry::new(
            "muster",
            "events.retention.run",
            "events",
            audit::Outcome::Allowed,
        )
        .because(format!(
            "deleted unlinked events past their retention ({})",
            counts.join(", ")
        ));
        let mut tx = write.begin().await?;
        audit::db::record(&mut tx, entry, "").await?;
        tx.commit().await?;
    }
    Ok(deleted)
}
