//! The `backup_runs` table: written once per run (the oldest beyond
//! `RUNS_KEPT` of a kind deleted then), read newest first.
use super::{file_name, Kind, NewRun, Run, Standing};
use crate::{
    audit::{self, NewEntry, Outcome},
    state::Db,
};
use chrono::{DateTime, Utc};

/// A run as stored: its kind as text and its file as a full path.
#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    kind: String,
    file: String,
    bytes: i64,
    ok: bool,
    message: String,
    pruned: i64,
    every_s: i64,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, kind, file, bytes, ok, message, pruned, every_s, started_at, finished_at";

impl RunRow {
    fn run(self) -> Run {
        Run {
            id: self.id,
            kind: if self.kind == "drill" {
                Kind::Drill
            } else {
                Kind::Scheduled
            },
            file: file_name(&self.file).to_owned(),
            bytes: self.bytes,
            ok: self.ok,
            message: self.message,
            pruned: self.pruned,
            every_s: self.every_s,
            started_at: self.started_at,
            finished_at: self.finished_at,
        }
    }
}

/// Records a run and its audit entry in one transaction
/// (`backup.scheduled` or `backup.drill`).
pub async fn record(db: &Db, run: NewRun<'_>) -> Result<(), sqlx::Error> {
    let mut tx = db.write.begin().await?;
    sqlx::query(
        "INSERT INTO backup_runs (kind, file, bytes, ok, message, pruned, every_s, started_at, finished_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(run.kind.as_str())
    .bind(run.file)
    .bind(run.bytes as i64)
    .bind(run.ok)
    .bind(run.message)
    .bind(run.pruned as i64)
    .bind(run.every.num_seconds())
    .bind(run.started_at)
    .bind(run.started_at + run.took)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM backup_runs WHERE kind = ? AND id <= \
         (SELECT id FROM backup_runs WHERE kind = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
    )
    .bind(run.kind.as_str())
    .bind(run.kind.as_str())
    .bind(super::RUNS_KEPT)
    .execute(&mut *tx)
    .await?;
    let reason = match run.kind {
        Kind::Scheduled => format!(
            "{} ({} bytes); {} older pruned",
            run.message, run.bytes, run.pruned
        ),
        Kind::Drill => format!("{} (took {} ms)", run.message, run.took.num_milliseconds()),
    };
    let entry = NewEntry::new(
        run.actor,
        run.kind.audit_action(),
        format!("backup:{}", run.file),
        if run.ok {
            Outcome::Allowed
        } else {
            Outcome::Failed
        },
        run.started_at + run.took,
    )
    .because(reason);
    audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await
}

async fn newest(
    conn: &mut sqlx::SqliteConnection,
    kind: Kind,
    only_good: bool,
) -> Result<Option<Run>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM backup_runs WHERE kind = ? {} ORDER BY id DESC LIMIT 1",
        if only_good { "AND ok" } else { "" }
    );
    let row: Option<RunRow> = sqlx::query_as(&sql)
        .bind(kind.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(RunRow::run))
}

/// The newest scheduled run whose verify passed.
pub async fn last_good(conn: &mut sqlx::SqliteConnection) -> Result<Option<Run>, sqlx::Error> {
    newest(conn, Kind::Scheduled, true).await
}

/// How the backups stand at `now`; `None` when nothing was ever recorded.
pub async fn standing(
    conn: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
) -> Result<Option<Standing>, sqlx::Error> {
    let last_run = newest(conn, Kind::Scheduled, false).await?;
    let last_drill = newest(conn, Kind::Drill, false).await?;
    if last_run.is_none() && last_drill.is_none() {
        return Ok(None);
    }
    let last_good = last_good(conn).await?;
    Ok(Some(Standing::judge(last_run, last_good, last_drill, now)))
}

/// The newest runs of both kinds, newest first.
pub async fn recent(
    conn: &mut sqlx::SqliteConnection,
    limit: i64,
) -> Result<Vec<Run>, sqlx::Error> {
    let rows: Vec<RunRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM backup_runs ORDER BY id DESC LIMIT ?"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(RunRow::run).collect())
}
