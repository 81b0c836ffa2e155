//! What server functions and routes reach through context: never globals,
//! so every test can run against its own database.
use crate::{environment::Environment, error::AppError};
use sqlx::SqlitePool;

/// Two pools over one SQLite file: every write goes through the single
/// writer connection (SQLite allows one writer at a time, and this avoids
/// "database is locked" and the WAL-reset bug of older SQLite), while reads
/// share a pool of read-only connections.
#[derive(Clone, Debug)]
pub struct Db {
    pub read: SqlitePool,
    pub write: SqlitePool,
    /// One connection that copies the write-ahead log into the database
    /// beside the writer, so no commit waits for that copy.
    pub checkpointer: SqlitePool,
    /// The live hub the writer tells after each commit that added to a
    /// timeline (`timeline::commits`); the state hands it to pages.
    pub live: crate::live::Live,
}

impl Db {
    pub async fn close(&self) {
        self.write.close().await;
        self.checkpointer.close().await;
        self.read.close().await;
    }
}

/// The base of what every server function and route reads. It names no
/// domain: each domain that needs more provides its own part beside it
/// (the access domain's is `auth::AuthState`).
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub environment: Environment,
    pub public_url: String,
    /// Tells live pages that their incident (or drill run) changed.
    pub live: crate::live::Live,
    /// Where "now" comes from (real time, except in tests).
    pub clock: crate::clock::Clock,
    /// Which addresses Muster may connect to on its own behalf (public
    /// ones, and the networks an admin allows).
    pub outbound: crate::outbound::Outbound,
}

impl AppState {
    /// The state of a new server over this database: `muster serve` and
    /// the tests both start here.
    pub fn new(db: Db, environment: Environment, public_url: String) -> Self {
        Self {
            live: db.live.clone(),
            db,
            environment,
            public_url,
            clock: crate::clock::system(),
            outbound: Default::default(),
        }
    }
}

/// The state provided to every server function and page rendered on the server.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::internal("AppState missing from the request context"))
}
