//! Saving a scenario from the editor (a new one, or a new version), and
//! turning a resolved incident into a scenario to edit. Editors only;
//! each save is one transaction with its audit record.
// The editor's form is flat: its server function takes one argument for
// each field, more than clippy's usual seven.
#![allow(clippy::too_many_arguments)]
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the editor starts from: the scenario's fields, its injects as
/// text, and the names it can pick from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditView {
    /// `None` for a new scenario.
    pub id: Option<i64>,
    pub version: i64,
    pub title: String,
    pub tags: String,
    pub runbook: Option<i64>,
    pub planned_minutes: u32,
    pub roles: String,
    pub description: String,
    pub injects: String,
    /// (id, title)
    pub runbooks: Vec<(i64, String)>,
    pub role_names: Vec<String>,
}

#[server(prefix = "/api", endpoint = "drills/scenario/edit")]
pub async fn get_scenario_edit(id: Option<i64>) -> Result<EditView, AppError> {
    use crate::plans::{db as plans, Kind};
    let (state, _) = crate::auth::guard::require::<GetScenarioEdit>().await?;
    let mut conn = state.db.read.acquire().await?;
    let names = crate::roster::db::role_names(&mut conn).await?;
    let runbooks = plans::list(&mut conn, Kind::Runbook, "", "")
        .await?
        .into_iter()
        .map(|p| (p.id, p.title))
        .collect();
    let (version, s) = match id {
        Some(id) => {
            let stored = plans::get::<super::Scenario>(&mut conn, Kind::Scenario, id, None)
                .await?
                .ok_or_else(|| AppError::NotFound("That scenario".into()))?;
            (stored.info.version, stored.content)
        }
        None => (
            0,
            super::Scenario {
                title: String::new(),
                tags: Vec::new(),
                description: String::new(),
                runbook: None,
                planned_minutes: 45,
                roles: Vec::new(),
                injects: Vec::new(),
            },
        ),
    };
    Ok(EditView {
        id,
        version,
        title: s.title.clone(),
        tags: s.tags.join(", "),
        runbook: s.runbook,
        planned_minutes: s.planned_minutes,
        roles: s
            .roles
            .iter()
            .filter_map(|r| names.get(r).cloned())
            .collect::<Vec<_>>()
            .join(", "),
        description: s.description.clone(),
        injects: super::edit::injects_text(&s, &names),
        runbooks,
        role_names: names.into_values().collect(),
    })
}

/// Saves the editor's form as a new scenario (blank `id`) or as the next
/// version of one, and opens it.
#[server(prefix = "/api", endpoint = "drills/scenario/save")]
pub async fn save_scenario(
    id: String,
    title: String,
    #[server(default)] tags: String,
    #[server(default)] runbook: String,
    planned: String,
    #[server(default)] roles: String,
    #[server(default)] description: String,
    #[server(default)] injects: String,
    #[server(default)] note: String,
) -> Result<i64, AppError> {
    use crate::plans::{db as plans, db::Author, Kind};
    let (state, caller) = crate::auth::guard::require::<SaveScenario>().await?;
    let id = crate::fields::optional_id("Scenario", &id)?;
    let note = crate::fields::text_field("Note", &note, false, 300)?;
    let planned_minutes = planned
        .trim()
        .parse::<u32>()
        .map_err(|_| AppError::invalid("Planned duration", "is not a number of minutes"))?;
    let mut tx = state.db.write.begin().await?;
    let names = crate::roster::db::role_names(&mut tx).await?;
    let before = match id {
        Some(id) => Some(
            plans::get::<super::Scenario>(&mut tx, Kind::Scenario, id, None)
                .await?
                .ok_or_else(|| AppError::NotFound("That scenario".into()))?
                .content,
        ),
        None => None,
    };
    let roles = roles
        .split(',')
        .filter(|r| !r.trim().is_empty())
        .map(|r| {
            names
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(r.trim()))
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    AppError::invalid(
                        "Roles",
                        format!(
                            "there is no role named '{}'",
                            crate::fields::shown(r.trim())
                        ),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let runbook = crate::fields::optional_id("Runbook", &runbook)?;
    let runbook_title = match runbook {
        Some(r) => plans::title(&mut tx, Kind::Runbook, r)
            .await?
            .ok_or_else(|| AppError::invalid("Runbook", "is not a runbook"))?,
        None => String::new(),
    };
    let scenario = super::Scenario {
        title,
        tags: tags
            .split(',')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect(),
        description,
        runbook,
        planned_minutes,
        roles,
        injects: super::edit::parse_injects(&injects, &names, before.as_ref())?,
    }
    .checked()?;
    let author = Author::of(&caller, state.clock.now());
    let note = if note.is_empty() {
        "Edited".to_owned()
    } else {
        note
    };
    let index = scenario.index(&runbook_title);
    let saved = match id {
        Some(id) => plans::add_version(&mut tx, id, &index, &scenario, &author, &note)
            .await?
            .map(|_| id),
        None => plans::create(&mut tx, Kind::Scenario, &index, &scenario, &author, &note).await?,
    };
    let saved = saved.ok_or_else(|| {
        AppError::Conflict(format!(
            "A scenario named {} already exists.",
            scenario.title
        ))
    })?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.scenario.save",
        format!("scenario:{saved}"),
        format!("{} ({} injects)", scenario.title, scenario.injects.len()),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/drills/scenarios/{saved}"));
    Ok(saved)
}

/// How many timeline entries and linked events one replay reads.
pub const REPLAY_READS: i64 = 2_000;

/// Turns a resolved incident into a new scenario and opens it in the
/// editor, for the facilitator to shape before anyone plays it.
#[server(prefix = "/api", endpoint = "drills/replay")]
pub async fn replay_incident(incident: i64) -> Result<i64, AppError> {
    use crate::{
        incidents::Status,
        plans::{db as plans, db::Author, Kind},
        timeline::{self, Subject},
    };
    let (state, caller) = crate::auth::guard::require::<ReplayIncident>().await?;
    let now = state.clock.now();
    let mut tx = state.db.write.begin().await?;
    let view = crate::incidents::db::load(&mut tx, incident, now, None)
        .await?
        .ok_or_else(|| AppError::NotFound("That incident".into()))?;
    if view.incident.drill_run.is_some() {
        return Err(AppError::invalid(
            "Incident",
            "is a drill: replay the real incident it rehearsed",
        ));
    }
    if view.incident.status != Status::Resolved {
        return Err(AppError::invalid(
            "Incident",
            "is still open: replay it once it is resolved",
        ));
    }
    let entries =
        timeline::db::after(&mut tx, Subject::Incident(incident), 0, REPLAY_READS).await?;
    let linked = timeline::linked_events(&entries);
    let evidence: Vec<super::replay::Evidence> =
        crate::events::db::evidence(&mut tx, &linked, REPLAY_READS)
            .await?
            .into_iter()
            .map(|e| super::replay::Evidence {
                occurred_at: e.occurred_at,
                source: e.source,
                action: e.action,
                summary: e.summary,
            })
            .collect();
    let mut scenario = super::replay::scenario(&view, &entries, &evidence).checked()?;
    let runbook_title = view
        .incident
        .runbook
        .as_ref()
        .map(|(_, _, t)| t.clone())
        .unwrap_or_default();
    let author = Author::of(&caller, state.clock.now());
    let base = scenario.title.clone();
    let mut n = 1;
    let id = loop {
        let note = format!("Replayed from incident #{incident}");
        if let Some(id) = plans::create(
            &mut tx,
            Kind::Scenario,
            &scenario.index(&runbook_title),
            &scenario,
            &author,
            &note,
        )
        .await?
        {
            break id;
        }
        // A replay of this incident exists: number this one.
        n += 1;
        if n > 20 {
            return Err(AppError::Conflict(format!(
                "{base} has been replayed 20 times; edit one of those."
            )));
        }
        scenario.title = format!("{} ({n})", base.chars().take(110).collect::<String>());
    };
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.replay",
        format!("scenario:{id}"),
        format!(
            "from incident #{incident}: {} injects",
            scenario.injects.len()
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/drills/scenarios/{id}/edit"));
    Ok(id)
}
