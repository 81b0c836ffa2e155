//! Thin server functions for drills: everyone signed in reads; editors
//! plan runs; the run's facilitator (or an admin) drives its clock and
//! judges its expectations. Each change is one transaction with its
//! audit record; then the drill clock moves on at once and open pages
//! are told.
pub use super::lines::*;
#[cfg(feature = "ssr")]
use super::{input, run_view as server};
#[cfg(feature = "ssr")]
use super::{score::Verdict, RunState};
use crate::error::AppError;
use leptos::prelude::*;

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
    super::db::set_report_notes(&mut tx, id, &strengths, &improvements).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.report",
        format!("drill-run:{id}"),
        "strengths and areas for improvement",
        state.clock.now(),
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
    db::add_recorded(
        &mut tx,
        &caller,
        db::Source::Run(id),
        &item,
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

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
    let author = caller.author();
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
        raw => Some(input::parse_when(raw, now)?),
    };
    let speed = match start.trim() {
        "" => None,
        s => Some(input::speed(s)?),
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
        now,
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
    let author = caller.author();
    let mut tx = state.db.write.begin().await?;
    let run = server::facilitated(&mut tx, id, &caller).await?;
    let change_name = change.trim().to_owned();
    match change_name.as_str() {
        "start" => {
            super::db::start(
                &mut tx,
                &run,
                now,
                input::speed(&speed)?,
                &author,
                &server::place(&state),
            )
            .await?;
        }
        other => {
            let change = match other {
                "pause" => ClockChange::Pause,
                "resume" => ClockChange::Resume,
                "speed" => ClockChange::Speed(input::speed(&speed)?),
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
        now,
    )
    .await?;
    // The clock moves on in the same transaction (an inject a jump made
    // due is released now, not at the next tick): one commit, so open
    // pages hear of the action once.
    // The clock moves on inside the change (an inject a jump made due is
    // released now, not at the next tick); open pages hear of it from the commit.
    super::run::advance(&mut tx, id, state.clock.now()).await?;
    tx.commit().await?;
    Ok(())
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
    let author = caller.author();
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
        state.clock.now(),
    )
    .await?;
    // The clock moves on in the same transaction (an inject a jump made
    // due is released now, not at the next tick): one commit, so open
    // pages hear of the action once.
    super::run::advance(&mut tx, id, state.clock.now()).await?;
    tx.commit().await?;
    Ok(())
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
    if !released.iter().any(|r| r.inject_id == inject) {
        return Err(AppError::Conflict(
            "Its inject is not released yet: nothing to judge.".into(),
        ));
    }
    let author = caller.author();
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
        state.clock.now(),
    )
    .await?;
    // The clock moves on in the same transaction (an inject a jump made
    // due is released now, not at the next tick): one commit, so open
    // pages hear of the action once.
    super::run::advance(&mut tx, id, state.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}
