//! Customer notices out: a published notice goes to every channel marked
//! for customers.
use super::line::note;
use super::{db, Message, Place};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Sends a published customer notice to every enabled channel marked for
/// customers, as it was approved (no link: customers do not sign in to
/// Muster). Each goes on the timeline; its answer follows when delivered.
pub async fn to_customers(
    tx: &mut SqliteConnection,
    place: &Place<'_>,
    (incident_id, drill): (i64, bool),
    (subject, body): (&str, &str),
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let channels: Vec<super::Channel> = db::list(tx)
        .await?
        .into_iter()
        .filter(|c| c.enabled && c.for_customers)
        .collect();
    for channel in &channels {
        let message = Message {
            purpose: "notice",
            incident_id: Some(incident_id),
            to: String::new(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            link: None,
            call_id: None,
        };
        let (_, withheld) =
            db::enqueue(tx, channel, &message, (place.environment, drill), now).await?;
        let text = match super::withheld_because(place.environment, drill) {
            Some(why) if withheld => format!(
                "Would have sent the notice to {} (not sent: {why}).",
                channel.name
            ),
            _ => format!("Sending the notice to {}.", channel.name),
        };
        note(tx, incident_id, text, now).await?;
    }
    Ok(channels.len())
}
