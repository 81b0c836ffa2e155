//! Backups as people see them: the record of each scheduled backup and
//! each restore drill (`backup_runs`), and what that record says about how
//! safe the data is. The server's backup module makes backups and runs
//! drills; it records them here, and the admin page and the home page read
//! them from here, so one module owns the table.
pub mod api;
#[cfg(feature = "ssr")]
pub mod db;
pub mod view;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A restore drill older than this is overdue: a backup that has not been
/// restored lately is only a hope. Monthly, and after every upgrade.
pub const DRILL_EVERY_DAYS: i64 = 30;

/// How many runs the admin page lists.
pub const RUNS_SHOWN: i64 = 50;

/// How many runs of each kind are kept (four scheduled a day is most of a
/// year); older ones are deleted as new ones are recorded. The audit log
/// keeps every run's entry regardless.
pub const RUNS_KEPT: i64 = 1_000;

/// Scheduled backup, or restore drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Scheduled,
    Drill,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Scheduled => "scheduled",
            Kind::Drill => "drill",
        }
    }

    /// The audit log's name for a run of this kind.
    pub fn audit_action(self) -> &'static str {
        match self {
            Kind::Scheduled => "backup.scheduled",
            Kind::Drill => "backup.drill",
        }
    }
}

/// One recorded run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub id: i64,
    pub kind: Kind,
    /// The backup's file name (never its folder: pages need no paths).
    pub file: String,
    pub bytes: i64,
    pub ok: bool,
    pub message: String,
    pub pruned: i64,
    pub every_s: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

impl Run {
    /// How long it took, in milliseconds.
    pub fn took_ms(&self) -> i64 {
        (self.finished_at - self.started_at).num_milliseconds()
    }
}

/// What a run to be recorded says (the record adds its id).
pub struct NewRun<'a> {
    pub kind: Kind,
    /// The backup's full path, as the operator knows it.
    pub file: &'a str,
    pub bytes: u64,
    pub ok: bool,
    pub message: &'a str,
    pub pruned: usize,
    pub every: Duration,
    pub started_at: DateTime<Utc>,
    pub took: Duration,
    /// Who asked: `muster` for the schedule, a person for a drill.
    pub actor: &'a str,
}

/// How the backups stand: the newest scheduled run, the newest good one,
/// the newest drill, and what deserves a warning.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub last_run: Option<Run>,
    pub last_good: Option<Run>,
    pub last_drill: Option<Run>,
    /// A failed or missed scheduled backup: shown on every admin's home.
    pub backup_warning: Option<String>,
    /// No passing restore drill lately, or the last one failed.
    pub drill_warning: Option<String>,
}

/// The file name of a path written by either kind of system.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

impl Standing {
    /// Judges the newest runs at `now`. A scheduled backup is missed when
    /// none has succeeded for two of its intervals.
    pub fn judge(
        last_run: Option<Run>,
        last_good: Option<Run>,
        last_drill: Option<Run>,
        now: DateTime<Utc>,
    ) -> Self {
        let backup_warning = last_run.as_ref().and_then(|last| {
            if !last.ok {
                return Some(format!(
                    "The last scheduled backup failed ({}): {}",
                    crate::ui::when(last.finished_at),
                    last.message
                ));
            }
            let since = last_good.as_ref()?.finished_at;
            (now - since > Duration::seconds(2 * last.every_s)).then(|| {
                format!(
                    "No backup has succeeded since {}: one is due every {}.",
                    crate::ui::when(since),
                    crate::clock::duration_text(last.every_s)
                )
            })
        });
        let drill_warning = match &last_drill {
            None if last_good.is_some() => Some(
                "No restore drill has been run: restore the newest backup to prove it opens."
                    .to_owned(),
            ),
            None => None,
            Some(d) if !d.ok => Some(format!(
                "The last restore drill failed ({}): {}",
                crate::ui::when(d.finished_at),
                d.message
            )),
            Some(d) if now - d.finished_at > Duration::days(DRILL_EVERY_DAYS) => Some(format!(
                "The last restore drill was {}; run one at least every {DRILL_EVERY_DAYS} days.",
                crate::ui::when(d.finished_at)
            )),
            Some(_) => None,
        };
        Self {
            last_run,
            last_good,
            last_drill,
            backup_warning,
            drill_warning,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn run(kind: Kind, ok: bool, finished: DateTime<Utc>) -> Run {
        Run {
            id: 1,
            kind,
            file: "muster-x.mbk".into(),
            bytes: 10,
            ok,
            message: if ok { "fine" } else { "disk full" }.into(),
            pruned: 0,
            every_s: 6 * 3600,
            started_at: finished - Duration::seconds(2),
            finished_at: finished,
        }
    }

    #[test]
    fn a_backup_is_missed_after_two_intervals_and_a_drill_after_thirty_days() {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let good = run(Kind::Scheduled, true, t);
        let drill = run(Kind::Drill, true, t);
        let fresh = Standing::judge(
            Some(good.clone()),
            Some(good.clone()),
            Some(drill.clone()),
            t + Duration::hours(12),
        );
        assert_eq!((fresh.backup_warning, fresh.drill_warning), (None, None));
        let late = Standing::judge(
            Some(good.clone()),
            Some(good.clone()),
            Some(drill.clone()),
            t + Duration::hours(12) + Duration::seconds(1),
        );
        assert!(late
            .backup_warning
            .unwrap()
            .starts_with("No backup has succeeded since"));
        let old = Standing::judge(
            Some(good.clone()),
            Some(good.clone()),
            Some(drill),
            t + Duration::days(31),
        );
        assert!(old
            .drill_warning
            .unwrap()
            .contains("at least every 30 days"));
        let failed = Standing::judge(
            Some(run(Kind::Scheduled, false, t)),
            Some(good.clone()),
            Some(run(Kind::Drill, false, t)),
            t,
        );
        assert!(failed.backup_warning.unwrap().ends_with("disk full"));
        assert!(failed
            .drill_warning
            .unwrap()
            .starts_with("The last restore drill failed"));
        let never = Standing::judge(Some(good.clone()), Some(good), None, t);
        assert!(never
            .drill_warning
            .unwrap()
            .starts_with("No restore drill has been run"));
        assert_eq!(Standing::judge(None, None, None, t), Standing::default());
    }
}
