//! The events' own key in `sealed_keys`, as sealed (`record` opens it).
//! Apart from the rest of the events tables so `record`, which they
//! store, can read it without the two importing each other.
use sqlx::SqlitePool;

/// The key stored under `name`, still sealed, if there is one.
pub async fn sealed(write: &SqlitePool, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT sealed FROM sealed_keys WHERE name = ?")
        .bind(name)
        .fetch_optional(write)
        .await
}

/// Stores a sealed key under `name` unless one is stored already (two
/// first imports at once: the first one stored wins).
pub async fn keep_first(write: &SqlitePool, name: &str, sealed: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sealed_keys (name, sealed) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(sealed)
    .execute(write)
    .await?;
    Ok(())
}
