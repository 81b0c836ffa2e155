//! Thin server functions for drills: everyone signed in reads; editors
//! plan runs; the run's facilitator (or an admin) drives its clock and
//! judges its expectations. Each change is one transaction with its
//! audit record; then the drill clock moves on at once and open pages
//! are told.
use super::{score::Verdict, RunState};
use crate::{clock::VirtualClock, error::AppError, plans::PlanSummary};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One line of the runs list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLine {
    pub id: i64,
    pub title: String,
    pub state: RunState,
    pub facilitator: String,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub incident_id: Option<i64>,
}

/// The drills page: scenarios, runs, and what the plan form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillsOverview {
    pub scenarios: Vec<PlanSummary>,
    pub runs: Vec<RunLine>,
    /// (id, name)
    pub roles: Vec<(i64, String)>,
    pub people: Vec<(i64, String)>,
    /// Accounts that may facilitate: (id, name).
    pub facilitators: Vec<(i64, String)>,
    pub schedules: Vec<super::schedule::ScheduleLine>,
    pub upcoming: Vec<super::schedule::DrillDate>,
    pub overdue: Vec<super::schedule::DrillDate>,
}

/// An inject as the run page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectLine {
    pub id: u32,
    pub offset: String,
    pub title: String,
    /// The body as safe HTML.
    pub html: String,
    pub audience: String,
    /// Virtual time; `None` while upcoming.
    pub released_at: Option<DateTime<Utc>>,
    pub early: bool,
}

/// An expectation as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationLine {
    pub inject_id: u32,
    pub inject: String,
    pub id: u32,
    pub text: String,
    pub within_minutes: Option<u32>,
    pub verdict: Verdict,
    /// Seconds from its inject's release to what met it.
    pub taken_s: Option<i64>,
    pub evidence: Option<i64>,
    pub judged_by: String,
    pub comment: String,
}

/// The run page: the console for its facilitator, the players' view for
/// everyone else (only the released injects meant for their roles).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub run: RunLine,
    /// The run's revision: the live page fetches again when the stream
    /// says it moved past this.
    pub revision: i64,
    /// The server's real time when this was read: the page's clock runs on
    /// from it.
    pub real_now: DateTime<Utc>,
    pub scenario_id: i64,
    pub scenario_version: i64,
    pub clock: Option<VirtualClock>,
    /// Virtual seconds gone by, and planned.
    pub elapsed_s: i64,
    pub planned_s: i64,
    pub facilitating: bool,
    /// (role, person)
    pub players: Vec<(String, String)>,
    /// The roles the caller plays.
    pub my_roles: Vec<String>,
    pub injects: Vec<InjectLine>,
    pub expectations: Vec<ExpectationLine>,
    pub score: super::score::Score,
    pub record: Vec<crate::timeline::Entry>,
}

/// The run page as its live island holds it: what ticks in the browser,
/// and the rest drawn on the server for the caller as HTML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunLive {
    pub id: i64,
    pub title: String,
    pub revision: i64,
    /// The server's real time when this was drawn.
    pub real_now: DateTime<Utc>,
    pub state: RunState,
    pub clock: Option<VirtualClock>,
    pub planned_s: i64,
    /// The injects released for the caller: the next fetch names them,
    /// so what arrives after is marked new.
    pub released: Vec<u32>,
    /// The titles of the injects released since the fetch before.
    pub arrived: Vec<String>,
    pub html: String,
}

/// One version of a scenario, with the names its ids stand for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioView {
    pub id: i64,
    pub version: i64,
    pub latest: i64,
    pub content: super::Scenario,
    /// The runbook's title ("" for none).
    pub runbook: String,
    pub roles: std::collections::BTreeMap<i64, String>,
    /// The description and each inject's body as safe HTML, made on the
    /// server (the browser has no Markdown renderer).
    pub description_html: String,
    pub bodies_html: Vec<String>,
}

#[server(prefix = "/api", endpoint = "drills/scenario")]
pub async fn get_scenario(id: i64, version: Option<i64>) -> Result<ScenarioView, AppError> {
    use crate::plans::{db as plans, Kind};
    let (state, caller) = crate::auth::guard::require::<GetScenario>().await?;
    let mut conn = state.db.read.acquire().await?;
    super::db::may_read_scenario(&mut conn, id, &caller).await?;
    let stored = plans::get::<super::Scenario>(&mut conn, Kind::Scenario, id, version)
        .await?
        .ok_or_else(|| AppError::NotFound("That scenario".into()))?;
    let runbook = match stored.content.runbook {
        Some(r) => plans::title(&mut conn, Kind::Runbook, r)
            .await?
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(ScenarioView {
        id,
        version: stored.info.version,
        latest: stored.latest,
        runbook,
        roles: crate::roster::db::role_names(&mut conn).await?,
        description_html: crate::ui::safe_html(&stored.content.description),
        bodies_html: stored
            .content
            .injects
            .iter()
            .map(|i| crate::ui::safe_html(&i.body))
            .collect(),
        content: stored.content,
    })
}

#[server(prefix = "/api", endpoint = "drills/list")]
pub async fn list_drills() -> Result<DrillsOverview, AppError> {
    let (state, _) = crate::auth::guard::require::<ListDrills>().await?;
    let mut conn = state.db.read.acquire().await?;
    server::overview(&mut conn, state.clock.now()).await
}

/// `refresh` says the page already showed the run, and `seen` which
/// injects it showed released (ids, comma-separated; anything else is
/// ignored; empty when it showed none, so the first release is new too).
/// Without `refresh` it is a first load: nothing is marked new.
#[server(prefix = "/api", endpoint = "drills/run")]
pub async fn get_run(
    id: i64,
    #[server(default)] refresh: bool,
    #[server(default)] seen: String,
) -> Result<RunLive, AppError> {
    let (state, caller) = crate::auth::guard::require::<GetRun>().await?;
    let mut conn = state.db.read.acquire().await?;
    let view = server::run_view(&mut conn, id, &caller, state.clock.now(), false).await?;
    let seen: Option<Vec<u32>> = refresh.then(|| {
        seen.split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect()
    });
    Ok(super::console::live(view, seen.as_deref()))
}

#[server(prefix = "/api", endpoint = "drills/report")]
pub async fn get_report(id: i64) -> Result<super::report::Report, AppError> {
    let (state, caller) = crate::auth::guard::require::<GetReport>().await?;
    let mut conn = state.db.read.acquire().await?;
    super::report::build(&mut conn, id, &caller, state.clock.now()).await
}

/// The facilitator writes the report's strengths and areas to improve.
#[server(prefix = "/api", endpoint = "drills/report/notes")]
pub async fn save_report_notes(
    id: i64,
    strengths: String,
    improvements: String,
) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<SaveReportNotes>().await?;
    let strengths = crate::fields::text_field("Strengths", &strengths, false, 4000)?;
    let improvements =
        crate::fields::text_field("Areas for improvement", &improvements, false, 4000)?;
    let mut tx = state.db.write.begin().await?;
    server::facilitated(&mut tx, id, &caller).await?;
    sqlx::query("UPDATE drill_runs SET strengths = ?, improvements = ?, revision = revision + 1 WHERE id = ?")
        .bind(&strengths)
        .bind(&improvements)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.report",
        format!("drill-run:{id}"),
        "strengths and areas for improvement",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The facilitator adds an action item: what, who owns it, by when.
#[server(prefix = "/api", endpoint = "drills/actions/add")]
pub async fn add_action(id: i64, text: String, owner: i64, due_on: String) -> Result<(), AppError> {
    use crate::actions::{db, NewItem};
    let (state, caller) = crate::auth::guard::require::<AddAction>().await?;
    let item = NewItem::checked(&text, owner, &due_on, "", "")?;
    let mut tx = state.db.write.begin().await?;
    server::facilitated(&mut tx, id, &caller).await?;
    db::add(
        &mut tx,
        db::Source::Run(id),
        &item,
        &caller.audit_name(),
        state.clock.now(),
    )
    .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.action",
        format!("drill-run:{id}"),
        format!("{} (due {})", item.title, item.due_on),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How many of the run's newest record entries the console shows.
pub const RECORD_SHOWN: i64 = 200;

/// Plans a run of a scenario with its players (`players[ROLE]=PERSON`)
/// and its facilitator (an account; blank: the caller), for a time or to
/// start now at a speed (`start` in percent).
#[server(prefix = "/api", endpoint = "drills/plan")]
pub async fn plan_run(
    scenario: i64,
    #[server(default)] players: std::collections::BTreeMap<String, String>,
    #[server(default)] facilitator: String,
    scheduled_for: String,
    start: String,
) -> Result<i64, AppError> {
    let (state, caller) = crate::auth::guard::require::<PlanRun>().await?;
    let me = caller
        .person_id()
        .ok_or_else(|| AppError::invalid("Facilitator", "a run is facilitated by a person"))?;
    let author = crate::incidents::author(&caller);
    let (facilitator_id, facilitator) =
        match crate::fields::optional_id("Facilitator", &facilitator)? {
            None => (me, author.clone()),
            Some(id) => server::facilitator(&state.db.read, id).await?,
        };
    let mut cast = Vec::new();
    for (role, person) in &players {
        let role = crate::fields::optional_id("Players", role)?
            .ok_or_else(|| AppError::invalid("Players", "a role without a number"))?;
        if let Some(person) = crate::fields::optional_id("Players", person)? {
            cast.push((role, person));
        }
    }
    let now = state.clock.now();
    let scheduled_for = match scheduled_for.trim() {
        "" => None,
        raw => Some(server::parse_when(raw, now)?),
    };
    let speed = match start.trim() {
        "" => None,
        s => Some(server::speed(s)?),
    };
    let mut tx = state.db.write.begin().await?;
    let id = super::db::create(
        &mut tx,
        &super::db::NewRun {
            scenario_id: scenario,
            facilitator_id,
            facilitator: &facilitator,
            players: &cast,
            scheduled_for,
            author: &author,
            at: now,
        },
    )
    .await?;
    if let Some(speed) = speed {
        let run = super::db::get(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::internal("the run just made"))?;
        super::db::start(&mut tx, &run, now, speed, &author, &server::place(&state)).await?;
    }
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.plan",
        format!("drill-run:{id}"),
        format!("scenario {scenario}, {} player(s)", cast.len()),
    )
    .await?;
    tx.commit().await?;
    super::run::advance_one(&state, id).await?;
    leptos_axum::redirect(&format!("/drills/runs/{id}"));
    Ok(id)
}

/// The facilitator drives the clock: `start` (with `speed`), `pause`,
/// `resume`, `speed`, `next` (jump to the next inject) or `end`.
#[server(prefix = "/api", endpoint = "drills/clock")]
pub async fn drive_clock(id: i64, change: String, speed: String) -> Result<(), AppError> {
    use super::db::ClockChange;
    let (state, caller) = crate::auth::guard::require::<DriveClock>().await?;
    let now = state.clock.now();
    let author = crate::incidents::author(&caller);
    let mut tx = state.db.write.begin().await?;
    let run = server::facilitated(&mut tx, id, &caller).await?;
    let change_name = change.trim().to_owned();
    match change_name.as_str() {
        "start" => {
            super::db::start(
                &mut tx,
                &run,
                now,
                server::speed(&speed)?,
                &author,
                &server::place(&state),
            )
            .await?;
        }
        other => {
            let change = match other {
                "pause" => ClockChange::Pause,
                "resume" => ClockChange::Resume,
                "speed" => ClockChange::Speed(server::speed(&speed)?),
                "next" => ClockChange::Next,
                "end" => ClockChange::End,
                _ => {
                    return Err(AppError::invalid(
                        "Change",
                        "is not one of start, pause, resume, speed, next, end",
                    ))
                }
            };
            super::db::change_clock(&mut tx, &run, change, now, &author).await?;
        }
    }
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.clock",
        format!("drill-run:{id}"),
        change_name,
    )
    .await?;
    tx.commit().await?;
    server::changed(&state, id).await
}

/// The facilitator releases an inject now, before its time.
#[server(prefix = "/api", endpoint = "drills/release")]
pub async fn release_inject(id: i64, inject: u32) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<ReleaseInject>().await?;
    let mut tx = state.db.write.begin().await?;
    let run = server::facilitated(&mut tx, id, &caller).await?;
    let clock = match (run.state, run.clock) {
        (RunState::Running | RunState::Paused, Some(clock)) => clock,
        _ => {
            return Err(AppError::Conflict(
                "Only a drill under way releases injects.".into(),
            ))
        }
    };
    let scenario = super::db::scenario(&mut tx, &run).await?;
    let chosen = scenario
        .inject(inject)
        .ok_or_else(|| AppError::NotFound("That inject".into()))?;
    let at = clock.now_at(state.clock.now());
    let author = crate::incidents::author(&caller);
    if !super::db::release(&mut tx, id, chosen, at, true, &author).await? {
        return Err(AppError::Conflict(
            "That inject is already released.".into(),
        ));
    }
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.release",
        format!("drill-run:{id}"),
        format!("inject {inject} released early"),
    )
    .await?;
    tx.commit().await?;
    server::changed(&state, id).await
}

/// The facilitator judges an expectation met, missed or waived, with a
/// comment; it replaces what the clock decided.
#[server(prefix = "/api", endpoint = "drills/judge")]
pub async fn judge_expectation(
    id: i64,
    inject: u32,
    expectation: u32,
    verdict: String,
    comment: String,
) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<JudgeExpectation>().await?;
    let verdict = Verdict::parse("Verdict", &verdict)?;
    let comment = crate::fields::text_field("Comment", &comment, false, 500)?;
    let mut tx = state.db.write.begin().await?;
    let run = server::facilitated(&mut tx, id, &caller).await?;
    let scenario = super::db::scenario(&mut tx, &run).await?;
    let (_, wanted) = scenario
        .expectations()
        .find(|(i, e)| i.id == inject && e.id == expectation)
        .ok_or_else(|| AppError::NotFound("That expectation".into()))?;
    let released = super::db::released(&mut tx, id).await?;
    if !released.iter().any(|(i, _, _)| *i == inject) {
        return Err(AppError::Conflict(
            "Its inject is not released yet: nothing to judge.".into(),
        ));
    }
    let author = crate::incidents::author(&caller);
    let at = run.now(state.clock.now());
    super::db::judge(
        &mut tx,
        id,
        &super::db::NewJudgment {
            inject,
            expectation,
            verdict,
            at,
            met_at: (verdict == Verdict::Met).then_some(at),
            evidence: None,
            by: &author,
            comment: &comment,
            text: &wanted.text,
        },
    )
    .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.judge",
        format!("drill-run:{id}"),
        format!(
            "inject {inject} expectation {expectation}: {}",
            verdict.as_str()
        ),
    )
    .await?;
    tx.commit().await?;
    server::changed(&state, id).await
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use super::{ExpectationLine, InjectLine, RunLine, RunView};
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

    use super::RECORD_SHOWN;

    pub async fn overview(
        conn: &mut SqliteConnection,
        now: DateTime<Utc>,
    ) -> Result<super::DrillsOverview, AppError> {
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
        Ok(super::DrillsOverview {
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
        let found: Option<(String, String)> = sqlx::query_as(
            "SELECT display_name, role FROM users WHERE id = ? AND disabled_at IS NULL",
        )
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

    /// After a change: the clock moves on at once (an inject a jump made
    /// due is released now, not at the next tick) and open pages are told.
    pub async fn changed(state: &crate::state::AppState, id: i64) -> Result<(), AppError> {
        super::super::run::advance_one(state, id).await?;
        let mut conn = state.db.read.acquire().await?;
        if let Some(revision) =
            crate::timeline::db::revision(&mut conn, Subject::DrillRun(id)).await?
        {
            state.live.changed(Subject::DrillRun(id), revision, None);
        }
        let incident = db::get(&mut conn, id).await?.and_then(|r| r.incident_id);
        if let Some(incident) = incident {
            let subject = Subject::Incident(incident);
            if let Some(revision) = crate::timeline::db::revision(&mut conn, subject).await? {
                state.live.changed(subject, revision, None);
            }
        }
        Ok(())
    }

    /// Where this Muster runs, for the drill's rehearsed calls.
    pub fn place(state: &crate::state::AppState) -> crate::reach::Place<'_> {
        crate::reach::Place {
            environment: state.environment,
            public_url: &state.public_url,
        }
    }

    /// "10x", "0.5", "250" (percent) as a speed in percent.
    pub fn speed(raw: &str) -> Result<u32, AppError> {
        let raw = raw.trim().trim_end_matches(['x', 'X']);
        let pct = match raw.parse::<f64>() {
            Ok(x) if x > 0.0 && x <= 10.0 => (x * 100.0).round() as u32,
            Ok(x) if x > 10.0 && x.fract() == 0.0 => x as u32,
            _ => 0,
        };
        if crate::clock::SPEEDS.contains(&pct) {
            Ok(pct)
        } else {
            Err(AppError::invalid(
                "Speed",
                format!(
                    "'{}' is not a speed from 0.5x to 10x",
                    crate::fields::shown(raw)
                ),
            ))
        }
    }

    /// A planned time, `YYYY-MM-DD HH:MM` in UTC, not in the past.
    pub fn parse_when(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
        let at = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw, f).ok())
            .ok_or_else(|| {
                AppError::invalid(
                    "Planned for",
                    format!(
                        "'{}' is not a time such as 2026-12-03 14:00 (UTC)",
                        crate::fields::shown(raw)
                    ),
                )
            })?
            .and_utc();
        if at < now - chrono::Duration::minutes(1) {
            return Err(AppError::invalid("Planned for", "is in the past"));
        }
        Ok(at)
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
}
