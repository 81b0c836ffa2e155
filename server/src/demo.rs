//! Demo data loaded into a new database when asked, so a first start shows
//! a working example rather than empty pages.
use app::notes::{db as notes, NoteBody};
use app::state::Db;
use chrono::{Duration, Utc};

const NOTES: &[(i64, &str)] = &[
    (
        180,
        "Stripe webhooks were retried for 20 minutes this morning; the backlog cleared by 06:40 UTC.",
    ),
    (
        95,
        "The Zapier 'new order → Slack' zap uses a personal API key. Rotation is on the security board.",
    ),
    (
        20,
        "Quarterly tabletop drill next Thursday: payment provider outage. Comms lead is Priya.",
    ),
];

/// Inserts the demo rows in one transaction: all or nothing.
pub async fn load(db: &Db) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    let mut tx = db.write.begin().await?;
    for (minutes_ago, text) in NOTES {
        let body = NoteBody::parse(text).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        notes::insert(&mut *tx, &body, now - Duration::minutes(*minutes_ago)).await?;
    }
    tx.commit().await
}
