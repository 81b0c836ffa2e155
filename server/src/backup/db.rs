//! What backups ask of a database file as a whole: a consistent copy of
//! it, SQLite's own check of it, its schema version, and how much of each
//! kind of record it holds. The server sits above every domain, so it
//! counts their tables here directly rather than through each of them.
use sqlx::SqliteConnection;

/// The newest migration applied to a database (0 for none).
pub async fn schema_of(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(conn)
            .await?;
    Ok(v.unwrap_or(0))
}

/// Writes a consistent copy of the database to `target` (which must not
/// exist), while others may go on writing to it.
pub async fn vacuum_into(conn: &mut SqliteConnection, target: &str) -> Result<(), sqlx::Error> {
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(conn)
        .await?;
    Ok(())
}

/// SQLite's integrity check: "ok", or what is wrong.
pub async fn integrity_check(conn: &mut SqliteConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(conn)
        .await
}

/// Copies the write-ahead log into the database file and empties it, so
/// the file alone holds everything.
pub async fn truncate_wal(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(conn)
        .await?;
    Ok(())
}

/// How many of each kind of record a database holds, as a verified
/// backup reports them.
#[derive(Debug, sqlx::FromRow)]
pub struct Holdings {
    pub accounts: i64,
    pub runbooks: i64,
    pub incidents: i64,
    pub timeline_entries: i64,
    pub events: i64,
}

pub async fn holdings(conn: &mut SqliteConnection) -> Result<Holdings, sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM users) AS accounts, \
                (SELECT COUNT(*) FROM plans WHERE kind = 'runbook') AS runbooks, \
                (SELECT COUNT(*) FROM incidents) AS incidents, \
                (SELECT COUNT(*) FROM timeline) AS timeline_entries, \
                (SELECT COUNT(*) FROM events) AS events",
    )
    .fetch_one(conn)
    .await
}
