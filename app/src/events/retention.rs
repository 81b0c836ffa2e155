//! How long imported events are kept: per source, a number of days
//! (90 unless set). The daily job deletes older events that no incident
//! links, in short batches, and records what it deleted in the audit log.
use super::{db::retention as db, DEFAULT_RETENTION_DAYS, SOURCES};
use crate::audit;
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

/// Each source with the days its unlinked events are kept.
pub async fn periods(conn: &mut SqliteConnection) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let set = db::periods_set(conn).await?;
    Ok(SOURCES
        .iter()
        .map(|s| {
            let days = set
                .iter()
                .find(|p| p.source == *s)
                .map_or(DEFAULT_RETENTION_DAYS, |p| p.days);
            ((*s).to_owned(), days)
        })
        .collect())
}

pub use super::db::retention::set;

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
    let cited = crate::engine::id_list(cited);
    let mut conn = write.acquire().await?;
    let periods = periods(&mut conn).await?;
    // A webhook source keeps its events as long as it says (its events
    // are left out of their vendor's period).
    let hooks = crate::hooks::db::retention(&mut conn).await?;
    drop(conn);
    // Evidence stays: events linked to an incident, kept as an alert's
    // samples, or cited.
    let mut deleted = Vec::new();
    for (source, days) in periods {
        let before = now - chrono::Duration::days(days);
        let gone = db::delete_old_of_source(write, &source, before, &cited).await?;
        if gone > 0 {
            deleted.push((source, gone));
        }
    }
    for hook in hooks {
        let before = now - chrono::Duration::days(hook.retention_days);
        let gone = db::delete_old_of_import(write, hook.import_id, before, &cited).await?;
        if gone > 0 {
            deleted.push((format!("webhook {}", hook.name), gone));
        }
    }
    if !deleted.is_empty() {
        let counts: Vec<String> = deleted.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        let entry = audit::NewEntry::new(
            "muster",
            "events.retention.run",
            "events",
            audit::Outcome::Allowed,
            now,
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
