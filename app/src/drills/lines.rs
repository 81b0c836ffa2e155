//! What the drill pages show: the runs list, a run as its console and
//! players see it, and a scenario version. Read by the server functions,
//! the console, the report and the pages alike.
use super::{score::Verdict, RunState};
use crate::{clock::VirtualClock, plans::PlanSummary};
use chrono::{DateTime, Utc};
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
