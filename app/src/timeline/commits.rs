//! Live on commit. After every write transaction the writer connection
//! is handed back to its pool, and this watcher looks at what the
//! transaction added to the timeline: each subject that got entries is
//! told to the live hub once, at its new revision. So every kind of entry
//! (a note, a call, an acknowledgement, an inject) reaches open pages the
//! same way, whichever domain wrote it, and nothing tells twice.
//!
//! It runs on the writer connection itself, before the pool lends it out
//! again: with one writer, commits are seen one at a time and in order.
use crate::live::Live;
use sqlx::SqliteConnection;
use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

/// Not yet started: the database is still being opened (migrations).
const NOT_STARTED: i64 = i64::MAX;

#[derive(Clone, Debug)]
pub struct Commits {
    live: Live,
    /// The newest timeline entry already told.
    seen: Arc<AtomicI64>,
}

impl Commits {
    pub fn new(live: Live) -> Self {
        Self {
            live,
            seen: Arc::new(AtomicI64::new(NOT_STARTED)),
        }
    }

    /// Starts watching from the newest entry there is now (called once
    /// the database is open and migrated).
    pub async fn start(&self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        let newest = super::db::newest_id(conn).await?;
        self.seen.store(newest, Ordering::SeqCst);
        Ok(())
    }

    /// After a transaction on the writer: tells each subject it added
    /// entries to.
    pub async fn after(&self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        let seen = self.seen.load(Ordering::SeqCst);
        if seen == NOT_STARTED {
            return Ok(());
        }
        let mut newest = seen;
        for (subject, last) in super::db::touched_since(&mut *conn, seen).await? {
            newest = newest.max(last);
            if let Some(revision) = super::db::revision(&mut *conn, subject).await? {
                self.live.committed(subject, revision);
            }
        }
        self.seen.store(newest, Ordering::SeqCst);
        Ok(())
    }
}
