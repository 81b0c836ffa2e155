//! Backups on a schedule while Muster serves: every so often a sealed
//! backup is written to the backup folder (atomically, as `create` always
//! writes), verified whole, and only then are the oldest pruned down to
//! the keep count. Each run is recorded (`backup_runs`, and the audit log)
//! so the admin pages can say when the last good backup was.
use super::format::Key;
use app::{
    backups::{Kind, NewRun},
    state::Db,
};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// Where and how often, from the settings.
pub struct Schedule {
    pub dir: PathBuf,
    pub every: chrono::Duration,
    pub keep: usize,
    pub key: Key,
}

/// How one run went.
#[derive(Debug, PartialEq, Eq)]
pub struct Run {
    pub file: PathBuf,
    pub bytes: u64,
    pub ok: bool,
    pub message: String,
    pub pruned: Vec<PathBuf>,
}

/// The backups in `dir` this schedule wrote, oldest first. Only names the
/// schedule writes count (`muster-20261129T030000Z.mbk`, or `-2.mbk` and on
/// for a second in the same second), ordered by the time they hold: a
/// backup someone made by hand (`muster-2026-11-29.mbk`) is never pruned.
pub fn backups_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<((DateTime<Utc>, u32), PathBuf)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter_map(|p| {
                    let when = p.file_name()?.to_str().and_then(scheduled_time)?;
                    Some((when, p))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

/// The time (and same-second number) in a name the schedule writes.
fn scheduled_time(name: &str) -> Option<(DateTime<Utc>, u32)> {
    let stem = name.strip_prefix("muster-")?.strip_suffix(".mbk")?;
    let (time, n) = match stem.split_once('-') {
        Some((time, n)) => (time, n.parse::<u32>().ok().filter(|n| *n >= 2)?),
        None => (stem, 1),
    };
    let at = chrono::NaiveDateTime::parse_from_str(time, "%Y%m%dT%H%M%SZ").ok()?;
    Some((at.and_utc(), n))
}

fn name_for(dir: &Path, at: DateTime<Utc>) -> PathBuf {
    let stem = format!("muster-{}", at.format("%Y%m%dT%H%M%SZ"));
    let mut path = dir.join(format!("{stem}.mbk"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{stem}-{n}.mbk"));
        n += 1;
    }
    path
}

/// Writes, verifies, prunes and records one backup.
pub async fn run_once(db: &Db, database: &Path, s: &Schedule, now: DateTime<Utc>) -> Run {
    let began = std::time::Instant::now();
    let file = name_for(&s.dir, now);
    let outcome = async {
        let made = super::create(database, &file, &s.key, |_, _| {}).await?;
        super::verify(&file, &s.key).await?;
        Ok::<_, crate::cli::commands::Failure>(made.bytes)
    }
    .await;
    let mut run = match outcome {
        Ok(bytes) => Run {
            file,
            bytes,
            ok: true,
            message: "written and verified".into(),
            pruned: Vec::new(),
        },
        Err(f) => Run {
            file,
            bytes: 0,
            ok: false,
            message: f.0,
            pruned: Vec::new(),
        },
    };
    if run.ok {
        let all = backups_in(&s.dir);
        let extra = all.len().saturating_sub(s.keep);
        for old in all.into_iter().take(extra) {
            if std::fs::remove_file(&old).is_ok() {
                run.pruned.push(old);
            }
        }
    }
    let took = chrono::Duration::from_std(began.elapsed()).unwrap_or_default();
    let file = run.file.display().to_string();
    let recorded = app::backups::db::record(
        db,
        NewRun {
            kind: Kind::Scheduled,
            file: &file,
            bytes: run.bytes,
            ok: run.ok,
            message: &run.message,
            pruned: run.pruned.len(),
            every: s.every,
            started_at: now,
            took,
            actor: "muster",
        },
    )
    .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record a backup run");
    }
    run
}

/// When the newest scheduled backup that passed its verify finished.
pub async fn last_good(db: &Db) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let mut conn = db.read.acquire().await?;
    Ok(app::backups::db::last_good(&mut conn)
        .await?
        .map(|r| r.finished_at))
}

/// Runs the schedule for as long as Muster serves: the first backup is
/// due one interval after the last good one (at once if there is none).
pub async fn run_every(db: Db, database: PathBuf, s: Schedule) {
    let mut due = match last_good(&db).await {
        Ok(Some(t)) => t + s.every,
        _ => Utc::now(),
    };
    loop {
        let wait = (due - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        let run = run_once(&db, &database, &s, Utc::now()).await;
        if run.ok {
            tracing::info!(file = %run.file.display(), bytes = run.bytes, pruned = run.pruned.len(), "backup written and verified");
        } else {
            tracing::error!(file = %run.file.display(), problem = %run.message, "the scheduled backup failed");
        }
        due = Utc::now() + s.every;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_the_schedule_writes_are_its_backups_in_time_order() {
        let dir = tempfile::tempdir().expect("dir");
        for name in [
            "muster-20261129T030000Z-2.mbk",
            "muster-2026-11-29.mbk",
            "muster-20261128T030000Z.mbk",
            "muster-20261129T030000Z.mbk",
            "muster-20261129T030000Z-10.mbk",
            "muster-before-upgrade.mbk",
            "muster-20261301T000000Z.mbk",
            "other.mbk",
        ] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        let names: Vec<String> = backups_in(dir.path())
            .iter()
            .map(|p| {
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "muster-20261128T030000Z.mbk",
                "muster-20261129T030000Z.mbk",
                "muster-20261129T030000Z-2.mbk",
                "muster-20261129T030000Z-10.mbk",
            ]
        );
    }
}
