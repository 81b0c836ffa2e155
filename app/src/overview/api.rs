//! One read for the whole home page, every list bounded.
use crate::{
    drills::{schedule::DrillDate, trend::RunbookTrend},
    error::AppError,
    incidents::ListedIncident,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How many lines each block shows at most.
#[cfg(feature = "ssr")]
const SHOWN: i64 = 10;

/// A notice drafted by someone else, waiting for a second person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub incident_id: i64,
    pub incident: String,
    pub stage: String,
    pub drafted_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Home {
    pub open: Vec<ListedIncident>,
    pub waiting: Vec<Waiting>,
    pub without_primary: Vec<String>,
    pub without_backup: Vec<String>,
    pub upcoming: Vec<DrillDate>,
    pub overdue: Vec<DrillDate>,
    pub actions: Vec<crate::actions::Item>,
    pub trends: Vec<RunbookTrend>,
    /// For admins: how the backups and restore drills stand.
    pub backups: Option<crate::backups::Standing>,
}

#[server(prefix = "/api", endpoint = "home")]
pub async fn get_home() -> Result<Home, AppError> {
    use crate::incidents::{db as incidents, Status};
    let (state, caller) = crate::auth::guard::require::<GetHome>().await?;
    let now = state.clock.now();
    let mut conn = state.db.read.acquire().await?;
    let open = incidents::list(&mut conn, None, None, None, 200)
        .await?
        .into_iter()
        .filter(|l| l.incident.status != Status::Resolved)
        .take(SHOWN as usize)
        .map(|l| crate::incidents::api::line(l, now))
        .collect();
    let waiting = crate::incidents::db::awaiting_approval(&mut conn, caller.person_id(), SHOWN)
        .await?
        .into_iter()
        .map(|a| Waiting {
            incident_id: a.incident_id,
            incident: a.incident,
            stage: a.stage,
            drafted_by: a.drafted_by,
        })
        .collect();
    let gaps = crate::roster::db::load(&mut conn).await?.gaps();
    let (_, upcoming, overdue) =
        crate::drills::schedule_api::server::standings(&mut conn, now).await?;
    let actions = crate::actions::db::open(&mut conn, now.date_naive(), SHOWN).await?;
    let trends = crate::drills::trend::trends(&mut conn).await?;
    let backups = match caller.role() {
        Some(crate::auth::Role::Admin) => crate::backups::db::standing(&mut conn, now).await?,
        _ => None,
    };
    Ok(Home {
        backups,
        open,
        waiting,
        without_primary: gaps.without_primary,
        without_backup: gaps.without_backup,
        upcoming: upcoming.into_iter().take(5).collect(),
        overdue,
        actions,
        trends,
    })
}
