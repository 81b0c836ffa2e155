//! Moving a drill on: release the injects its virtual time has reached and
//! judge what the drill incident's record now shows. Called by the
//! server's drill job (when something falls due, and after every change)
//! and by tests with a time they control. Everything a step decides is
//! worked out from the stored clock and the stored releases, so running
//! it late, twice, or after a restart releases each inject exactly once
//! and at its own virtual time.
use super::{
    db::{self, NewJudgment},
    score::{self, Verdict},
    RunState,
};
use crate::{
    error::AppError,
    incidents::EntryKind,
    state::AppState,
    timeline::{self, Subject},
};
use chrono::{DateTime, Duration, Utc};
use sqlx::SqliteConnection;

/// The author of what the drill's clock does by itself.
pub const CLOCK_AUTHOR: &str = "Drill clock";

/// The kinds of the drill incident's record that expectations read.
const EVIDENCE_KINDS: [EntryKind; 5] = [
    EntryKind::RoleAssigned,
    EntryKind::StepDone,
    EntryKind::NoticePublished,
    EntryKind::Note,
    EntryKind::Correction,
];

/// What one step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Advanced {
    /// Injects released, by id.
    pub released: Vec<u32>,
    /// Expectations judged: (inject, expectation, verdict).
    pub judged: Vec<(u32, u32, Verdict)>,
    /// The real time something next falls due (an inject or a deadline);
    /// `None` while paused or when nothing is left.
    pub next: Option<DateTime<Utc>>,
}

/// Releases and judges what is due in one run at real time `real`.
pub async fn advance(
    conn: &mut SqliteConnection,
    run_id: i64,
    real: DateTime<Utc>,
) -> Result<Advanced, AppError> {
    let mut done = Advanced::default();
    let Some(run) = db::get(&mut *conn, run_id).await? else {
        return Ok(done);
    };
    let (Some(incident), Some(clock)) = (run.incident_id, run.clock) else {
        return Ok(done);
    };
    if run.state == RunState::Scheduled {
        return Ok(done);
    }
    let ended = run.state == RunState::Ended;
    let scenario = db::scenario(&mut *conn, &run).await?;
    let elapsed = clock.elapsed_ms_at(real);
    let mut released = db::released(&mut *conn, run.id).await?;
    if !ended {
        for inject in &scenario.injects {
            let due_ms = i64::from(inject.offset_s) * 1000;
            if due_ms > elapsed || released.iter().any(|r| r.inject_id == inject.id) {
                continue;
            }
            // Released at its own virtual time, however late the step ran.
            let at = clock.start + Duration::milliseconds(due_ms);
            if db::release(&mut *conn, run.id, inject, at, false, CLOCK_AUTHOR).await? {
                released.push(db::Released {
                    inject_id: inject.id,
                    released_at: at,
                    early: false,
                });
                done.released.push(inject.id);
            }
        }
    }
    let now = clock.now_at(real);
    let judged = db::judgments(&mut *conn, run.id).await?;
    let evidence =
        timeline::db::of_kinds(&mut *conn, Subject::Incident(incident), &EVIDENCE_KINDS).await?;
    for (inject, expectation) in scenario.expectations() {
        let Some(db::Released { released_at, .. }) =
            released.iter().find(|r| r.inject_id == inject.id)
        else {
            continue;
        };
        if judged
            .iter()
            .any(|j| j.inject_id == inject.id && j.expectation_id == expectation.id)
        {
            continue;
        }
        match score::decide(expectation, *released_at, &evidence, now, ended) {
            Some(decided) => {
                db::judge(
                    &mut *conn,
                    run.id,
                    &NewJudgment {
                        inject: inject.id,
                        expectation: expectation.id,
                        verdict: decided.verdict,
                        at: now,
                        met_at: decided.met_at,
                        evidence: decided.evidence,
                        by: CLOCK_AUTHOR,
                        comment: "",
                        text: &expectation.text,
                    },
                )
                .await?;
                done.judged
                    .push((inject.id, expectation.id, decided.verdict));
            }
            None => {
                // Still open: wake when its deadline passes.
                if let Some(m) = expectation.within_minutes {
                    let deadline = *released_at + Duration::minutes(i64::from(m));
                    let ms = (deadline - clock.start).num_milliseconds() + 1;
                    done.next = earliest(done.next, clock.real_time_of(ms));
                }
            }
        }
    }
    if !ended {
        let next_inject = scenario
            .injects
            .iter()
            .filter(|i| !released.iter().any(|r| r.inject_id == i.id))
            .map(|i| i64::from(i.offset_s) * 1000)
            .min();
        if let Some(ms) = next_inject {
            done.next = earliest(done.next, clock.real_time_of(ms));
        }
    }
    Ok(done)
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Moves every started run on at the state's time, each in its own
/// transaction, and tells open pages of the runs that changed. The real
/// time something next falls due in any of them.
pub async fn tick(state: &AppState) -> Result<Option<DateTime<Utc>>, AppError> {
    let runs = {
        let mut conn = state.db.read.acquire().await?;
        db::live_runs(&mut conn).await?
    };
    let mut next = None;
    for run in runs {
        next = earliest(next, advance_one(state, run).await?);
    }
    Ok(next)
}

/// Moves one run on (its commit tells open pages what it released or
/// judged).
pub async fn advance_one(state: &AppState, run: i64) -> Result<Option<DateTime<Utc>>, AppError> {
    let mut tx = state.db.write.begin().await?;
    let done = advance(&mut tx, run, state.clock.now()).await?;
    tx.commit().await?;
    Ok(done.next)
}
