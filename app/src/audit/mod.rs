//! The app's own audit log: every state change by a person or token, and
//! every refusal, in an append-only, hash-chained table.
mod api;
#[cfg(feature = "ssr")]
pub mod chain;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod refusals;
mod view;

pub use api::{AuditFilter, ListAudit};
pub use view::AuditPage;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allowed,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Allowed, Self::Denied, Self::Failed]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller asks to record, with the time it happened (read from the
/// caller's clock); request id and hashes are added when it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    pub actor: String,
    pub action: &'static str,
    pub target: String,
    pub outcome: Outcome,
    pub reason: String,
    pub at: DateTime<Utc>,
}

impl NewEntry {
    pub fn new(
        actor: impl Into<String>,
        action: &'static str,
        target: impl Into<String>,
        outcome: Outcome,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            actor: actor.into(),
            action,
            target: target.into(),
            outcome,
            reason: String::new(),
            at,
        }
    }

    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }
}

/// One stored entry, as the audit page and the export show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub request_id: String,
    pub outcome: String,
    pub reason: String,
    pub prev_hash: String,
    pub hash: String,
}

#[cfg(feature = "ssr")]
mod record {
    use super::{db, Entry, NewEntry};
    use crate::{error::AppError, state::Db};

    /// Appends an entry inside the caller's transaction, so the change and
    /// its record are stored together or not at all.
    pub async fn record_in(
        conn: &mut sqlx::SqliteConnection,
        entry: NewEntry,
    ) -> Result<Entry, AppError> {
        Ok(db::record(conn, entry, &crate::error::current_request_id()).await?)
    }

    /// Appends an entry on its own (refusals and failures, where nothing
    /// else is written).
    pub async fn record_alone(db: &Db, entry: NewEntry) -> Result<(), AppError> {
        let mut tx = db.write.begin().await?;
        record_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a refusal or failure through the counter (`refusals`): it
    /// is written only when it is the first of its kind from this client
    /// this window; summaries of windows that have passed go with it.
    pub async fn record_refusal(
        db: &Db,
        refusals: &super::refusals::Refusals,
        client: &str,
        entry: NewEntry,
        now: chrono::DateTime<chrono::Utc>,
        request_id: &str,
    ) -> Result<(), sqlx::Error> {
        let first = refusals.note(client, entry, now);
        let due = refusals.due(now);
        if first.is_none() && due.is_empty() {
            return Ok(());
        }
        let mut tx = db.write.begin().await?;
        for entry in due.into_iter().chain(first) {
            db::record(&mut tx, entry, request_id).await?;
        }
        tx.commit().await
    }

    /// Writes the summaries of windows that have passed (run now and then,
    /// so a flood that stopped is still summed up).
    pub async fn record_due_refusals(
        db: &Db,
        refusals: &super::refusals::Refusals,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), sqlx::Error> {
        let due = refusals.due(now);
        if due.is_empty() {
            return Ok(());
        }
        let mut tx = db.write.begin().await?;
        for entry in due {
            db::record(&mut tx, entry, "").await?;
        }
        tx.commit().await
    }

    /// Records a change a caller made at `at`, inside the transaction that
    /// made it.
    pub async fn record_change(
        conn: &mut sqlx::SqliteConnection,
        caller: &crate::auth::Caller,
        action: &'static str,
        target: impl Into<String>,
        reason: impl Into<String>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AppError> {
        let entry = NewEntry::new(
            caller.audit_name(),
            action,
            target,
            super::Outcome::Allowed,
            at,
        )
        .because(reason);
        record_in(conn, entry).await?;
        Ok(())
    }
}

#[cfg(feature = "ssr")]
pub use record::{record_alone, record_change, record_due_refusals, record_in, record_refusal};
