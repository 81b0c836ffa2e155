//! The `sealed_keys` table as a key rotation sees it: every key Muster
//! sealed for itself (the events' fingerprint key, webhook and channel
//! secrets), whichever domain made it. Each of those domains keeps its own
//! queries for its own rows; only a rotation reads them all, so these live
//! here, above every domain. The table's lowest owner would be `sealing`,
//! which keeps no database code.
use sqlx::SqliteConnection;

/// One key, sealed with the instance key.
#[derive(sqlx::FromRow)]
pub struct SealedKey {
    pub name: String,
    pub sealed: Vec<u8>,
}

/// Every sealed key, by name.
pub async fn all(conn: &mut SqliteConnection) -> Result<Vec<SealedKey>, sqlx::Error> {
    sqlx::query_as("SELECT name, sealed FROM sealed_keys ORDER BY name")
        .fetch_all(conn)
        .await
}

/// Replaces a key's sealed bytes (sealed anew under another key).
pub async fn set(
    conn: &mut SqliteConnection,
    name: &str,
    sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sealed_keys SET sealed = ? WHERE name = ?")
        .bind(sealed)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// A key's sealed bytes as stored (an error if there is no such key).
pub async fn sealed(conn: &mut SqliteConnection, name: &str) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query_scalar("SELECT sealed FROM sealed_keys WHERE name = ?")
        .bind(name)
        .fetch_one(conn)
        .await
}
