//! What reaching people writes on an incident's timeline: calls,
//! deliveries, acknowledgements and escalations, as Muster.
use crate::timeline::{self, Kind as EntryKind, NewEntry, Subject};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

const AUTHOR: &str = "muster";

/// A line on the incident's timeline, written by Muster.
pub(crate) async fn note(
    tx: &mut SqliteConnection,
    incident_id: i64,
    text: String,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    timeline::db::append(
        tx,
        Subject::Incident(incident_id),
        NewEntry::new(EntryKind::Call, text, AUTHOR, now),
    )
    .await?;
    Ok(())
}
