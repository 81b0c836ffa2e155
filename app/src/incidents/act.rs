//! One change to an incident: its own transaction with its timeline
//! entries and audit record; the change itself (a [`Delta`]) goes back to
//! the caller and, with the commit, to every open page.
use super::Delta;
use crate::{
    auth::Caller,
    error::AppError,
    state::AppState,
    timeline::{self, Subject},
};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sqlx::SqliteConnection;

/// The part of the incident a change touched, besides its header and
/// timeline (which every change sends).
#[derive(Clone, Copy, Debug)]
pub enum Part {
    Header,
    Step(u32),
    Role(i64),
    Notice(i64),
}

/// Runs `work` (which returns the reason to record and the part it
/// touched) in one transaction with its audit record, and tells the live
/// pages what changed. `work` is given the author and the incident's time:
/// real time, or a drill's virtual time, so a drill is recorded and
/// measured as a real incident would be.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: &'static str,
    work: impl for<'c> FnOnce(
        &'c mut SqliteConnection,
        String,
        DateTime<Utc>,
    ) -> BoxFuture<'c, Result<(String, Part), AppError>>,
) -> Result<Delta, AppError> {
    let subject = Subject::Incident(id);
    let mut tx = state.db.write.begin().await?;
    let incident = super::db::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That incident".into()))?;
    let from = incident.revision;
    let real = state.clock.now();
    let now = incident.now(real);
    let mark = timeline::db::last_id(&mut tx, subject).await?;
    let (reason, part) = work(&mut tx, caller.author(), now).await?;
    crate::audit::record_change(
        &mut tx,
        caller,
        action,
        subject.audit_target(),
        reason,
        real,
    )
    .await?;
    let revision = timeline::db::revision(&mut tx, subject)
        .await?
        .unwrap_or(from);
    if revision == from {
        // Nothing changed (two people ticked the same step): nothing to send.
        tx.commit().await?;
        return Ok(Delta {
            from,
            revision,
            ..Delta::default()
        });
    }
    let mut delta = Delta {
        from,
        revision,
        incident: super::db::get(&mut tx, id).await?,
        entries: timeline::db::after(&mut tx, subject, mark, 1000).await?,
        ..Delta::default()
    };
    match part {
        Part::Header => {}
        Part::Step(step) => delta.step = super::db::step(&mut tx, id, step).await?,
        Part::Role(role) => delta.role = super::db::role(&mut tx, id, role).await?,
        Part::Notice(notice) => delta.notice = super::db::notice(&mut tx, id, notice).await?,
    }
    // Open pages are told by the commit itself (timeline::commits); the
    // change goes with it, so they apply it without fetching.
    match serde_json::to_string(&delta) {
        Ok(json) => state.live.attach(subject, revision, json.into()),
        Err(err) => tracing::error!(error = %err, "could not encode an incident change"),
    }
    tx.commit().await?;
    Ok(delta)
}
