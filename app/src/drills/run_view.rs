//! A run as the server reads it for its pages (the console, the players'
//! view, the report), who may drive it, and what a change to it tells.
use super::lines::{DrillsOverview, ExpectationLine, InjectLine, RunLine, RunView};
use crate::{
    auth::{Caller, Role},
    drills::{
        db::{self, Run},
        score::{Score, Verdict},
        Audience,
    },
    error::AppError,
    timeline::Subject,
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// How many of the run's newest record entries the console shows.
pub const RECORD_SHOWN: i64 = 200;
/// How many accounts the plan form offers as facilitators.
const FACILITATORS: i64 = 500;

pub async fn overview(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> Result<DrillsOverview, AppError> {
    use crate::plans::{db as plans, Kind};
    let runs = db::listed(&mut *conn).await?;
    let (schedules, upcoming, overdue) =
        crate::drills::schedule_api::server::standings(&mut *conn, now).await?;
    Ok(DrillsOverview {
        schedules,
        upcoming,
        overdue,
        scenarios: plans::list(&mut *conn, Kind::Scenario, "", "").await?,
        runs,
        roles: crate::roster::db::role_names(&mut *conn)
            .await?
            .into_iter()
            .collect(),
        people: crate::roster::db::people_names(&mut *conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect(),
        facilitators: crate::auth::db::users::enabled_non_viewer_names(&mut *conn, FACILITATORS)
            .await?
            .into_iter()
            .map(|a| (a.id, a.display_name))
            .collect(),
    })
}

/// An account that may facilitate: active, and allowed to drive the
/// clock (responder or above). Its id and name.
pub async fn facilitator(db: &sqlx::SqlitePool, id: i64) -> Result<(i64, String), AppError> {
    match crate::auth::db::users::find(db, id).await? {
        Some((user, false)) if user.role != Role::Viewer => Ok((id, user.display_name)),
        _ => Err(AppError::invalid(
            "Facilitator",
            "choose an active account that may run drills (responder or above)",
        )),
    }
}

/// The run, if the caller facilitates it (or is an admin).
pub async fn facilitated(
    conn: &mut SqliteConnection,
    id: i64,
    caller: &Caller,
) -> Result<Run, AppError> {
    let run = db::get(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That drill".into()))?;
    if caller.person_id() == Some(run.facilitator_id) || caller.role() == Some(Role::Admin) {
        Ok(run)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Where this Muster runs, for the drill's rehearsed calls.
pub fn place(state: &crate::state::AppState) -> crate::reach::Place<'_> {
    crate::reach::Place {
        environment: state.environment,
        public_url: &state.public_url,
    }
}

/// The run as `caller` may see it; `everything` shows all injects and
/// expectations (the report of an ended drill).
pub async fn run_view(
    conn: &mut SqliteConnection,
    id: i64,
    caller: &Caller,
    real: DateTime<Utc>,
    everything: bool,
) -> Result<RunView, AppError> {
    let run = db::get(&mut *conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That drill".into()))?;
    let facilitating =
        caller.person_id() == Some(run.facilitator_id) || caller.role() == Some(Role::Admin);
    let full = facilitating || everything;
    let scenario = db::scenario(&mut *conn, &run).await?;
    let players = db::players(&mut *conn, id).await?;
    let me = match caller.person_id() {
        Some(user) => crate::roster::db::person_of_user(&mut *conn, user).await?,
        None => None,
    };
    let my_role_ids: Vec<i64> = players
        .iter()
        .filter(|p| me == Some(p.person_id))
        .map(|p| p.role_id)
        .collect();
    let role_names = crate::roster::db::role_names(&mut *conn).await?;
    let released = db::released(&mut *conn, id).await?;
    let judged = db::judgments(&mut *conn, id).await?;
    let injects = scenario
        .injects
        .iter()
        .filter_map(|i| {
            let release = released.iter().find(|r| r.inject_id == i.id);
            let visible = full || (release.is_some() && i.audience.includes(&my_role_ids));
            visible.then(|| InjectLine {
                id: i.id,
                offset: crate::drills::offset_text(i.offset_s),
                title: i.title.clone(),
                html: crate::ui::safe_html(&i.body),
                audience: match &i.audience {
                    Audience::Everyone => "everyone".into(),
                    Audience::Roles(r) => r
                        .iter()
                        .map(|id| role_names.get(id).cloned().unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                released_at: release.map(|r| r.released_at),
                early: release.is_some_and(|r| r.early),
            })
        })
        .collect();
    let mut expectations = Vec::new();
    for (inject, e) in scenario.expectations() {
        let j = judged
            .iter()
            .find(|j| j.inject_id == inject.id && j.expectation_id == e.id);
        let released_at = released
            .iter()
            .find(|r| r.inject_id == inject.id)
            .map(|r| r.released_at);
        expectations.push(ExpectationLine {
            inject_id: inject.id,
            inject: inject.title.clone(),
            id: e.id,
            text: e.text.clone(),
            within_minutes: e.within_minutes,
            verdict: j.map_or(Verdict::Pending, |j| j.state.0),
            taken_s: j
                .and_then(|j| j.met_at)
                .zip(released_at)
                .map(|(met, rel)| (met - rel).num_seconds().max(0)),
            evidence: j.and_then(|j| j.evidence),
            judged_by: j.map(|j| j.judged_by.clone()).unwrap_or_default(),
            comment: j.map(|j| j.comment.clone()).unwrap_or_default(),
        });
    }
    let score = Score::of(&scenario, expectations.iter().map(|e| e.verdict));
    // The newest entries only: a facilitator may pause, resume and
    // re-judge without end, and the console stays one page.
    let record = if facilitating {
        let mut newest =
            crate::timeline::db::before(&mut *conn, Subject::DrillRun(id), None, RECORD_SHOWN)
                .await?;
        newest.reverse();
        newest
    } else {
        Vec::new()
    };
    let revision = crate::timeline::db::revision(&mut *conn, Subject::DrillRun(id))
        .await?
        .unwrap_or_default();
    Ok(RunView {
        revision,
        real_now: real,
        elapsed_s: run.clock.map_or(0, |c| c.elapsed_ms_at(real) / 1000),
        planned_s: i64::from(scenario.planned_minutes) * 60,
        clock: run.clock,
        scenario_id: run.scenario_id,
        scenario_version: run.scenario_version,
        facilitating,
        my_roles: my_role_ids
            .iter()
            .filter_map(|r| role_names.get(r).cloned())
            .collect(),
        players: players.into_iter().map(|p| (p.role, p.person)).collect(),
        injects,
        expectations: if full { expectations } else { Vec::new() },
        score,
        record,
        run: RunLine {
            id: run.id,
            title: run.title,
            state: run.state,
            facilitator: run.facilitator,
            scheduled_for: run.scheduled_for,
            incident_id: run.incident_id,
        },
    })
}
