//! Opening the SQLite file: refuse what is not ours, migrate what is, and
//! never touch a file we refuse.
use app::state::Db;
use sqlx::{
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    ConnectOptions, Connection, SqliteConnection,
};
use std::{path::Path, time::Duration};

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Written into the SQLite header (`PRAGMA application_id`) so a Muster
/// database can be told from any other SQLite file. "MUST" in ASCII.
pub const APPLICATION_ID: i64 = 0x4D55_5354;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READERS: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path} is not an SQLite database; Muster left it untouched")]
    NotSqlite { path: String },
    #[error("{path} is an SQLite database of another program (it has no Muster mark); Muster left it untouched")]
    NotMuster { path: String },
    #[error("{path} was written by a newer Muster (schema version {found}; this Muster knows up to {known}); upgrade Muster, the file was left untouched")]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("{path}: {source}")]
    Sqlite { path: String, source: sqlx::Error },
    #[error("{path}: no verified copy could be made before upgrading its schema, so it was left as it was: {problem}")]
    UpgradeCopy { path: String, problem: String },
    #[error("{path}: migrating the schema failed: {source}")]
    Migrate {
        path: String,
        source: sqlx::migrate::MigrateError,
    },
}

/// The database and whether this start created it (demo data is loaded
/// only into a new database).
pub struct Opened {
    pub db: Db,
    pub created: bool,
}

pub fn latest_known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

pub async fn open(path: &Path) -> Result<Opened, OpenError> {
    let shown = path.display().to_string();
    let sqlite = |source| OpenError::Sqlite {
        path: shown.clone(),
        source,
    };
    let created = !inspect(path).await?;

    let base = SqliteConnectOptions::new()
        .filename(path)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .log_statements(tracing::log::LevelFilter::Trace);
    // Every transaction on the writer tells live pages what it added to a
    // timeline, once, when the connection comes back (timeline::commits).
    let live = app::live::Live::default();
    let commits = app::timeline::commits::Commits::new(live.clone());
    let watcher = commits.clone();
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .after_release(move |conn, _| {
            let watcher = watcher.clone();
            Box::pin(async move {
                if let Err(err) = watcher.after(conn).await {
                    tracing::warn!(error = %err, "could not tell live pages of a commit");
                }
                Ok(true)
            })
        })
        .connect_with(
            base.clone()
                .create_if_missing(true)
                // A new database gets 16 KiB pages (SQLite's default is
                // 4 KiB): fewer pages to split, log and copy back as an
                // import fills its indexes (measured: a tenth faster). An
                // existing database keeps the size it was made with.
                .page_size(16384)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                // Imports write many rows into several indexes and the
                // search index: 64 MB of cache keeps their pages in memory.
                .pragma("cache_size", "-65536")
                // A statement that may stop midway (a multi-row insert)
                // keeps its undo journal in memory, not in a temporary
                // file opened, written and deleted per statement
                // (measured: a tenth of an import's system time).
                .pragma("temp_store", "memory")
                // Commits never copy the log into the database themselves
                // (a checkpoint inside a commit held every webhook sender
                // waiting on it): `checkpoints` does that beside them.
                .pragma("wal_autocheckpoint", "0"),
        )
        .await
        .map_err(sqlite)?;
    if !created {
        copy_before_upgrade(&write, path).await?;
    }
    MIGRATOR
        .run(&write)
        .await
        .map_err(|source| OpenError::Migrate {
            path: shown.clone(),
            source,
        })?;
    sqlx::query(&format!("PRAGMA application_id = {APPLICATION_ID}"))
        .execute(&write)
        .await
        .map_err(sqlite)?;
    {
        let mut conn = write.acquire().await.map_err(sqlite)?;
        commits.start(&mut conn).await.map_err(sqlite)?;
    }
    let checkpointer = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(base.clone())
        .await
        .map_err(sqlite)?;
    tokio::spawn(checkpoints(checkpointer.clone()));
    let read = SqlitePoolOptions::new()
        .max_connections(READERS)
        .connect_with(base.read_only(true))
        .await
        .map_err(sqlite)?;
    Ok(Opened {
        db: Db {
            read,
            write,
            checkpointer,
            live,
        },
        created,
    })
}

/// Before migrating a database that holds data, a copy of it beside it
/// named with its schema version (`muster.db.before-schema-V`), made with
/// `VACUUM INTO`, checked (integrity and the audit chain) and only then
/// given its name. A copy that is already there is kept: it was checked
/// when it was made. Returns the copy's path when one was needed.
pub async fn copy_before_upgrade(
    write: &sqlx::SqlitePool,
    path: &Path,
) -> Result<Option<std::path::PathBuf>, OpenError> {
    let failed = |problem: String| OpenError::UpgradeCopy {
        path: path.display().to_string(),
        problem,
    };
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(write)
            .await
            .unwrap_or_default();
    let Some(old) = applied.iter().copied().max() else {
        return Ok(None);
    };
    if MIGRATOR.iter().all(|m| applied.contains(&m.version)) {
        return Ok(None);
    }
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".before-schema-{old}"));
    let copy = std::path::PathBuf::from(name);
    if copy.exists() {
        return Ok(Some(copy));
    }
    let mut partial = copy.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let target = partial
        .to_str()
        .ok_or_else(|| failed("the path is not UTF-8".into()))?
        .to_owned();
    sqlx::query("VACUUM INTO ?")
        .bind(&target)
        .execute(write)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let checked = async {
        let mut conn = SqliteConnectOptions::new()
            .filename(&partial)
            .read_only(true)
            .connect()
            .await?;
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await?;
        let audit = app::audit::db::verify(&mut conn).await?;
        conn.close().await?;
        Ok::<_, sqlx::Error>((integrity, audit.first_bad))
    }
    .await
    .map_err(|e| failed(e.to_string()))?;
    match checked {
        (integrity, _) if integrity != "ok" => {
            let _ = std::fs::remove_file(&partial);
            return Err(failed(format!(
                "the copy fails its integrity check: {integrity}"
            )));
        }
        (_, Some((id, why))) => {
            let _ = std::fs::remove_file(&partial);
            return Err(failed(format!(
                "its audit log is broken at entry {id}: {why}"
            )));
        }
        _ => {}
    }
    std::fs::rename(&partial, &copy).map_err(|e| failed(e.to_string()))?;
    tracing::info!(
        copy = %copy.display(),
        schema = old,
        "wrote a verified copy of the database before upgrading its schema"
    );
    Ok(Some(copy))
}

/// How often the write-ahead log is copied into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Copies committed pages from the write-ahead log into the database on a
/// connection of its own, without blocking the writer or readers
/// (PASSIVE), until the database is closed. The log stays small (it is
/// reused once copied), and no commit waits for a copy.
async fn checkpoints(pool: sqlx::SqlitePool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = pool.close_event() => return,
        }
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            Ok(_) => {}
            Err(sqlx::Error::PoolClosed) => return,
            Err(err) => tracing::warn!(error = %err, "a checkpoint of the write-ahead log failed"),
        }
    }
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

fn read_header(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut header = Vec::with_capacity(SQLITE_MAGIC.len());
    std::fs::File::open(path)?
        .take(SQLITE_MAGIC.len() as u64)
        .read_to_end(&mut header)?;
    Ok(header)
}

/// A read-only connection to an existing Muster database, for commands
/// that only look (nothing is created or migrated).
pub async fn open_read_only(path: &Path) -> Result<SqliteConnection, OpenError> {
    let shown = path.display().to_string();
    if !inspect(path).await? {
        return Err(OpenError::Sqlite {
            path: shown,
            source: sqlx::Error::Protocol("there is no Muster database in this file yet".into()),
        });
    }
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|source| OpenError::Sqlite {
            path: shown,
            source,
        })
}

/// Looks at an existing file without changing it. Returns whether it holds
/// a Muster database (false for a missing or empty file: a new database).
async fn inspect(path: &Path) -> Result<bool, OpenError> {
    let shown = path.display().to_string();
    let header = match read_header(path) {
        Ok(bytes) if bytes.is_empty() => return Ok(false),
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(OpenError::Sqlite {
                path: shown,
                source: sqlx::Error::Io(e),
            })
        }
    };
    if header != SQLITE_MAGIC {
        return Err(OpenError::NotSqlite { path: shown });
    }
    let sqlite = |source| OpenError::Sqlite {
        path: shown.clone(),
        source,
    };
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(sqlite)?;
    let result = check_mark_and_version(&mut conn, &shown).await;
    conn.close().await.map_err(sqlite)?;
    result
}

async fn check_mark_and_version(
    conn: &mut SqliteConnection,
    shown: &str,
) -> Result<bool, OpenError> {
    let sqlite = |source| OpenError::Sqlite {
        path: shown.to_owned(),
        source,
    };
    let app_id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut *conn)
        .await
        .map_err(sqlite)?;
    let objects: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
        .fetch_one(&mut *conn)
        .await
        .map_err(sqlite)?;
    if app_id != APPLICATION_ID {
        return if objects == 0 {
            Ok(false)
        } else {
            Err(OpenError::NotMuster {
                path: shown.to_owned(),
            })
        };
    }
    let found: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *conn)
            .await
            .map_err(sqlite)?;
    let known = latest_known_version();
    match found {
        Some(found) if found > known => Err(OpenError::TooNew {
            path: shown.to_owned(),
            found,
            known,
        }),
        _ => Ok(true),
    }
}

/// Whether the database answers and every migration this build knows has
/// been applied: what `/healthz` reports.
pub async fn schema_is_current(db: &Db) -> Result<bool, sqlx::Error> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&db.read)
            .await?;
    let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    Ok(applied == known)
}

pub async fn sqlite_version(db: &Db) -> Result<String, sqlx::Error> {
    let v: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&db.read)
        .await?;
    Ok(v)
}
