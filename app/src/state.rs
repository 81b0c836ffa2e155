//! What server functions and routes reach through context: never globals,
//! so every test can run against its own database.
use crate::{
    auth::{
        mfa::crypto::SecretKey, password::Hasher, reveal::Reveals, sessions::SessionPolicy,
        throttle::Throttle,
    },
    environment::Environment,
    error::AppError,
};
use sqlx::SqlitePool;

/// Two pools over one SQLite file: every write goes through the single
/// writer connection (SQLite allows one writer at a time, and this avoids
/// "database is locked" and the WAL-reset bug of older SQLite), while reads
/// share a pool of read-only connections.
#[derive(Clone, Debug)]
pub struct Db {
    pub read: SqlitePool,
    pub write: SqlitePool,
}

impl Db {
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub environment: Environment,
    pub public_url: String,
    pub sessions: SessionPolicy,
    pub hasher: Hasher,
    pub throttle: Throttle,
    pub reveals: Reveals,
    /// Seals TOTP secrets; from the settings, never stored in the database.
    pub secret_key: SecretKey,
    /// Whether editors and admins must use two-step sign-in (mirrors the
    /// stored setting so no request has to read it).
    pub require_mfa: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Tells live incident pages that an incident changed.
    pub live: crate::incidents::live::Live,
}

/// The state provided to every server function and page rendered on the server.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::internal("AppState missing from the request context"))
}
