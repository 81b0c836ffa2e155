//! A run as the server reads it for its pages (the console, the players'
//! view, the report), who may drive it, and what a change to it tells.
use super::lines::{DrillsOverview, ExpectationLine, InjectLine, RunLine, RunView};
use crate::{
    auth::{Caller, Role},
    drills::{
        db::{self, Run},
        score::{Score, Verdict},
        Audience, RunState,
    },
    error::AppError,
    timeline::Subject,
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// How many of the run's newest record entries the console shows.
pub const RECORD_SHOWN: i64 = 200;

pub async fn overview(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> Result<DrillsOverview, AppError> {
    use crate::plans::{db as plans, Kind};
    let runs = sqlx::query_as::<
        _,
        (
            i64,
            String,
            String,
            String,
            Option<DateTime<Utc>>,
            Option<i64>,
        ),
    >(
        "SELECT id, title, state, facilitator, scheduled_for, incident_id FROM drill_runs \
         ORDER BY state = 'ended', COALESCE(scheduled_for, created_at) DESC LIMIT 200",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(
        |(id, title, state, facilitator, scheduled_for, incident_id)| {
            Ok(RunLine {
                id,
                title,
                state: RunState::parse("State", &state)?,
                facilitator,
                scheduled_for,
                incident_id,
            })
        },
    )
    .collect::<Result<Vec<_>, AppError>>()?;
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
        people: sqlx::query_as("SELECT id, name FROM people ORDER BY name")
            .fetch_all(&mut *conn)
            .await?,
        facilitators: sqlx::query_as(
            "SELECT id, display_name FROM users WHERE disabled_at IS NULL AND role != 'viewer' \
             ORDER BY display_name LIMIT 500",
        )
        .fetch_all(&mut *conn)
        .await?,
    })
}

/// An account that may facilitate: active, and allowed to drive the
/// clock (responder or above). Its id and name.
pub async fn facilitator(db: &sqlx::SqlitePool, id: i64) -> Result<(i64, String), AppError> {
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT display_name, role FROM users WHERE id = ? AND disabled_at IS NULL")
            .bind(id)
            .fetch_optional(db)
            .await?;
    match found {
        Some((name, role)) if role != "viewer" => Ok((id, name)),
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
    let me: Option<(i64,)> = match caller.person_id() {
        Some(user) => {
            sqlx::query_as("SELECT id FROM people WHERE user_id = ?")
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    let my_role_ids: Vec<i64> = players
        .iter()
        .filter(|(_, _, person, _)| me.is_some_and(|(p,)| p == *person))
        .map(|(role, _, _, _)| *role)
        .collect();
    let role_names = crate::roster::db::role_names(&mut *conn).await?;
    let released = db::released(&mut *conn, id).await?;
    let judged = db::judgments(&mut *conn, id).await?;
    let injects = scenario
        .injects
        .iter()
        .filter_map(|i| {
            let release = released.iter().find(|(r, _, _)| *r == i.id);
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
                released_at: release.map(|(_, at, _)| *at),
                early: release.is_some_and(|(_, _, early)| *early),
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
            .find(|(r, _, _)| *r == inject.id)
            .map(|(_, at, _)| *at);
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
        players: players
            .into_iter()
            .map(|(_, role, _, person)| (role, person))
            .collect(),
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
