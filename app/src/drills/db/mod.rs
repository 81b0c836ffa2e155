//! Drill runs in SQLite: the run and its players here, the injects it
//! released and its judgments (`judgments`), schedules and calendar feeds
//! (`schedules`). Every change appends to the run's own timeline, which
//! moves the run's revision on in the same transaction.
use super::{lines::RunLine, RunState, Scenario};
use crate::{
    clock::VirtualClock,
    error::AppError,
    plans::{db as plans, Kind},
    runbooks::{Runbook, Severity},
    timeline::{self, Kind as EntryKind, NewEntry, Subject},
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

mod judgments;
mod schedules;
pub use judgments::*;
pub use schedules::*;

/// A run as stored, with its drill incident's clock once started.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Run {
    pub id: i64,
    pub scenario_id: i64,
    pub scenario_version: i64,
    pub title: String,
    pub facilitator_id: i64,
    pub facilitator: String,
    pub scheduled_for: Option<DateTime<Utc>>,
    #[sqlx(try_from = "String")]
    pub state: RunState,
    pub incident_id: Option<i64>,
    pub ended_at: Option<DateTime<Utc>>,
    pub revision: i64,
    #[sqlx(skip)]
    pub clock: Option<VirtualClock>,
}

impl Run {
    /// The run's virtual time when the real time is `real` (real time
    /// before it starts).
    pub fn now(&self, real: DateTime<Utc>) -> DateTime<Utc> {
        self.clock.map_or(real, |c| c.now_at(real))
    }
}

/// What a new run is made of.
pub struct NewRun<'a> {
    pub scenario_id: i64,
    pub facilitator_id: i64,
    pub facilitator: &'a str,
    /// (incident role id, person id)
    pub players: &'a [(i64, i64)],
    pub scheduled_for: Option<DateTime<Utc>>,
    pub author: &'a str,
    pub at: DateTime<Utc>,
}

/// Records a run of the scenario's current version, with its players.
pub async fn create(conn: &mut SqliteConnection, new: &NewRun<'_>) -> Result<i64, AppError> {
    let scenario = plans::get::<Scenario>(&mut *conn, Kind::Scenario, new.scenario_id, None)
        .await?
        .ok_or_else(|| AppError::invalid("Scenario", "no such scenario"))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO drill_runs (scenario_id, scenario_version, title, facilitator_id, facilitator, \
         scheduled_for, state, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?, ?) RETURNING id",
    )
    .bind(new.scenario_id)
    .bind(scenario.info.version)
    .bind(&scenario.content.title)
    .bind(new.facilitator_id)
    .bind(new.facilitator)
    .bind(new.scheduled_for)
    .bind(new.at)
    .bind(new.author)
    .fetch_one(&mut *conn)
    .await?;
    for (role, person) in new.players {
        sqlx::query("INSERT INTO drill_participants (run_id, role_id, person_id) VALUES (?, ?, ?)")
            .bind(id)
            .bind(role)
            .bind(person)
            .execute(&mut *conn)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => {
                    AppError::invalid("Players", "a role is given twice")
                }
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    AppError::invalid("Players", "no such role or person")
                }
                _ => e.into(),
            })?;
    }
    Ok(id)
}

const RUN_COLUMNS: &str = "id, scenario_id, scenario_version, title, facilitator_id, facilitator, \
     scheduled_for, state, incident_id, ended_at, revision";

/// Whether a scenario's text (injects, audiences, expectations, its
/// versions and their comparisons) is hidden from `caller` now: while a
/// run of it is planned or under way, only editors and those runs'
/// facilitators may read it, so no player sees what is still to come.
pub async fn scenario_hidden_from(
    conn: &mut SqliteConnection,
    scenario_id: i64,
    caller: &crate::auth::Caller,
) -> Result<bool, sqlx::Error> {
    if caller.role() >= Some(crate::auth::Role::Editor) {
        return Ok(false);
    }
    let facilitators: Vec<i64> = sqlx::query_scalar(
        "SELECT facilitator_id FROM drill_runs WHERE scenario_id = ? AND state <> 'ended'",
    )
    .bind(scenario_id)
    .fetch_all(conn)
    .await?;
    Ok(!facilitators.is_empty() && !facilitators.iter().any(|f| caller.person_id() == Some(*f)))
}

/// Refuses `caller` a scenario's text while it is hidden (see
/// [`scenario_hidden_from`]).
pub async fn may_read_scenario(
    conn: &mut SqliteConnection,
    scenario_id: i64,
    caller: &crate::auth::Caller,
) -> Result<(), AppError> {
    if scenario_hidden_from(conn, scenario_id, caller).await? {
        return Err(AppError::Conflict(
            "This scenario is being drilled: its injects and expectations are hidden until the drill ends.".into(),
        ));
    }
    Ok(())
}

pub async fn get(conn: &mut SqliteConnection, id: i64) -> Result<Option<Run>, sqlx::Error> {
    let run: Option<Run> = sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} FROM drill_runs WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(mut run) = run else {
        return Ok(None);
    };
    if let Some(incident) = run.incident_id {
        run.clock = crate::incidents::db::get(&mut *conn, incident)
            .await?
            .and_then(|i| i.clock);
    }
    Ok(Some(run))
}

/// Runs whose clock may release or judge something: started, not ended.
pub async fn live_runs(conn: &mut SqliteConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM drill_runs WHERE state IN ('running', 'paused') ORDER BY id")
        .fetch_all(&mut *conn)
        .await
}

/// The scenario version a run pinned.
pub async fn scenario(conn: &mut SqliteConnection, run: &Run) -> Result<Scenario, AppError> {
    Ok(plans::get::<Scenario>(
        conn,
        Kind::Scenario,
        run.scenario_id,
        Some(run.scenario_version),
    )
    .await?
    .ok_or_else(|| AppError::internal("a run's scenario version is kept"))?
    .content)
}

/// A player: the incident role they play in the run, and who they are.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Player {
    pub role_id: i64,
    pub role: String,
    pub person_id: i64,
    pub person: String,
}

/// The players, in the roster's order of their roles.
pub async fn players(conn: &mut SqliteConnection, run: i64) -> Result<Vec<Player>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.role_id, r.name AS role, d.person_id, p.name AS person FROM drill_participants d \
         JOIN incident_roles r ON r.id = d.role_id JOIN people p ON p.id = d.person_id \
         WHERE d.run_id = ? ORDER BY r.position, r.name",
    )
    .bind(run)
    .fetch_all(conn)
    .await
}

/// Appends to the run's own record.
pub async fn record(
    conn: &mut SqliteConnection,
    run: i64,
    entry: NewEntry,
) -> Result<timeline::db::Appended, sqlx::Error> {
    timeline::db::append(conn, Subject::DrillRun(run), entry).await
}

/// How many drills may be under way (running or paused) at once: the
/// drill clock moves each of them on every second.
pub const MAX_LIVE: i64 = 20;

/// Starts a scheduled run: declares its drill incident from the
/// scenario's runbook, with the players in their roles, on a virtual
/// clock that starts now. The incident's id.
pub async fn start(
    conn: &mut SqliteConnection,
    run: &Run,
    real: DateTime<Utc>,
    speed_pct: u32,
    author: &str,
    place: &crate::reach::Place<'_>,
) -> Result<i64, AppError> {
    if run.state != RunState::Scheduled {
        return Err(AppError::Conflict("This drill has already started.".into()));
    }
    let live: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM drill_runs WHERE state IN ('running', 'paused')")
            .fetch_one(&mut *conn)
            .await?;
    if live >= MAX_LIVE {
        return Err(AppError::Conflict(format!(
            "{live} drills are under way; end one before starting another (at most {MAX_LIVE} at once)."
        )));
    }
    let scenario = scenario(&mut *conn, run).await?;
    let runbook = match scenario.runbook {
        Some(id) => plans::get::<Runbook>(&mut *conn, Kind::Runbook, id, None).await?,
        None => None,
    };
    let players: Vec<(i64, i64)> = players(&mut *conn, run.id)
        .await?
        .into_iter()
        .map(|p| (p.role_id, p.person_id))
        .collect();
    let clock = VirtualClock::started(real, speed_pct);
    let title = format!("DRILL: {}", scenario.title);
    let impact = format!(
        "Tabletop drill of the scenario {} (version {}). Nothing leaves Muster.",
        scenario.title, run.scenario_version
    );
    let declaration = crate::incidents::db::Declaration {
        title: &title,
        severity: runbook
            .as_ref()
            .map_or(Severity::Sev2, |r| r.content.severity),
        impact: &impact,
        runbook: runbook.as_ref().map(|r| (r.id, r.info.version, &r.content)),
        author,
        at: clock.now_at(real),
        drill: Some(crate::incidents::db::Drill {
            run: run.id,
            clock: &clock,
            players: &players,
        }),
    };
    let incident = crate::incidents::db::declare(&mut *conn, &declaration).await?;
    // The routing is rehearsed too: every call is withheld (a drill).
    crate::incidents::reach_declared(&mut *conn, incident, &declaration, place, None).await?;
    sqlx::query("UPDATE drill_runs SET state = 'running', incident_id = ? WHERE id = ?")
        .bind(incident)
        .bind(run.id)
        .execute(&mut *conn)
        .await?;
    let text = format!(
        "Started at {}: the drill incident is #{incident}",
        VirtualClock::speed_label(clock.speed_pct)
    );
    record(
        conn,
        run.id,
        NewEntry::new(EntryKind::DrillClock, text, author, clock.now_at(real)),
    )
    .await?;
    Ok(incident)
}

/// A change the facilitator makes to a running drill's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockChange {
    Pause,
    Resume,
    Speed(u32),
    /// Virtual time jumps to the next inject not yet released.
    Next,
    End,
}

/// Applies a clock change and records it; false when it changes nothing
/// (pausing a paused drill).
pub async fn change_clock(
    conn: &mut SqliteConnection,
    run: &Run,
    change: ClockChange,
    real: DateTime<Utc>,
    author: &str,
) -> Result<bool, AppError> {
    let (Some(incident), Some(mut clock)) = (run.incident_id, run.clock) else {
        return Err(AppError::Conflict("This drill has not started.".into()));
    };
    if run.state == RunState::Ended {
        return Err(AppError::Conflict("This drill has ended.".into()));
    }
    let before = clock;
    let mut state = run.state;
    let text = match change {
        ClockChange::Pause => {
            clock.pause(real);
            state = RunState::Paused;
            "Paused".to_owned()
        }
        ClockChange::Resume => {
            clock.resume(real);
            state = RunState::Running;
            "Resumed".to_owned()
        }
        ClockChange::Speed(pct) => {
            if !crate::clock::SPEEDS.contains(&pct) {
                return Err(AppError::invalid("Speed", "is not from 0.5x to 10x"));
            }
            clock.set_speed(real, pct);
            format!("Speed {}", VirtualClock::speed_label(pct))
        }
        ClockChange::Next => {
            let scenario = scenario(&mut *conn, run).await?;
            let released = released(&mut *conn, run.id).await?;
            let next = scenario
                .injects
                .iter()
                .find(|i| !released.iter().any(|r| r.inject_id == i.id))
                .ok_or_else(|| AppError::Conflict("Every inject is released.".into()))?;
            clock.jump_to(real, i64::from(next.offset_s) * 1000);
            format!("Jumped to {}", super::offset_text(next.offset_s))
        }
        ClockChange::End => {
            clock.pause(real);
            state = RunState::Ended;
            "Ended".to_owned()
        }
    };
    if clock == before && state == run.state {
        return Ok(false);
    }
    crate::incidents::db::set_clock(&mut *conn, incident, &clock).await?;
    let at = clock.now_at(real);
    sqlx::query("UPDATE drill_runs SET state = ?, ended_at = ? WHERE id = ?")
        .bind(state.as_str())
        .bind((state == RunState::Ended).then_some(at))
        .bind(run.id)
        .execute(&mut *conn)
        .await?;
    record(
        conn,
        run.id,
        NewEntry::new(EntryKind::DrillClock, text, author, at),
    )
    .await?;
    Ok(true)
}

/// The facilitator's strengths and areas for improvement on a run's
/// report (a change of the run: its revision moves on).
pub async fn set_report_notes(
    conn: &mut SqliteConnection,
    id: i64,
    strengths: &str,
    improvements: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE drill_runs SET strengths = ?, improvements = ?, revision = revision + 1 WHERE id = ?",
    )
    .bind(strengths)
    .bind(improvements)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A run's strengths and areas for improvement, as its report shows them.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportNotes {
    pub strengths: String,
    pub improvements: String,
}

pub async fn report_notes(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<ReportNotes, sqlx::Error> {
    sqlx::query_as("SELECT strengths, improvements FROM drill_runs WHERE id = ?")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// A run as the runs list reads it, its state still text.
#[derive(sqlx::FromRow)]
struct ListedRow {
    id: i64,
    title: String,
    state: String,
    facilitator: String,
    scheduled_for: Option<DateTime<Utc>>,
    incident_id: Option<i64>,
}

/// The runs list: those not ended first, then by when each was planned
/// for (or made), newest first; at most 200.
pub async fn listed(conn: &mut SqliteConnection) -> Result<Vec<RunLine>, AppError> {
    let rows: Vec<ListedRow> = sqlx::query_as(
        "SELECT id, title, state, facilitator, scheduled_for, incident_id FROM drill_runs \
         ORDER BY state = 'ended', COALESCE(scheduled_for, created_at) DESC LIMIT 200",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(RunLine {
                id: r.id,
                title: r.title,
                state: RunState::parse("State", &r.state)?,
                facilitator: r.facilitator,
                scheduled_for: r.scheduled_for,
                incident_id: r.incident_id,
            })
        })
        .collect()
}
