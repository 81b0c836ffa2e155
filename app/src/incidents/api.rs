//! Thin server functions for incidents: everyone signed in reads;
//! responders and up act. Each change is one transaction with its timeline
//! entry and audit record, and then wakes the live pages.
#[cfg(feature = "ssr")]
use super::act::Part;
use super::{Delta, IncidentView, Status};
use crate::{error::AppError, runbooks::Severity};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One line of the incidents list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedIncident {
    pub id: i64,
    pub title: String,
    pub status: Status,
    pub severity: Severity,
    pub runbook: Option<String>,
    pub declared_at: chrono::DateTime<chrono::Utc>,
    /// How long it ran (or has run, if open).
    pub duration: String,
    pub commander: Option<String>,
}

#[server(prefix = "/api", endpoint = "incidents/list")]
pub async fn list_incidents(
    status: String,
    severity: String,
    runbook: String,
) -> Result<Vec<ListedIncident>, AppError> {
    let (state, _) = crate::auth::guard::require::<ListIncidents>().await?;
    let status = match status.trim() {
        "" => None,
        s => Some(Status::parse("Status", s)?),
    };
    let severity = match severity.trim() {
        "" => None,
        s => Some(Severity::parse("Severity", s)?),
    };
    let runbook = crate::fields::optional_id("Runbook", &runbook)?;
    let mut conn = state.db.read.acquire().await?;
    let now = state.clock.now();
    Ok(super::db::list(&mut conn, status, severity, runbook, 200)
        .await?
        .into_iter()
        .map(|l| line(l, now))
        .collect())
}

/// A listed incident as a list shows it, its duration as of `now`.
#[cfg(feature = "ssr")]
pub(crate) fn line(l: super::db::Listed, now: chrono::DateTime<chrono::Utc>) -> ListedIncident {
    ListedIncident {
        id: l.incident.id,
        title: l.incident.title,
        status: l.incident.status,
        severity: l.incident.severity,
        runbook: l.incident.runbook.map(|(_, _, t)| t),
        declared_at: l.incident.declared_at,
        duration: crate::clock::elapsed(
            l.incident.declared_at,
            l.incident.resolved_at.unwrap_or(now),
        ),
        commander: l.commander,
    }
}

#[server(prefix = "/api", endpoint = "incidents/get")]
pub async fn get_incident(id: i64) -> Result<IncidentView, AppError> {
    let (state, _) = crate::auth::guard::require::<GetIncident>().await?;
    load_page(&state, id, None).await
}

/// The incident with the page of its timeline written before entry
/// `before` (the newest page when absent).
#[server(prefix = "/api", endpoint = "incidents/page")]
pub async fn get_incident_page(id: i64, before: Option<i64>) -> Result<IncidentView, AppError> {
    let (state, _) = crate::auth::guard::require::<GetIncidentPage>().await?;
    load_page(&state, id, before).await
}

#[cfg(feature = "ssr")]
async fn load_page(
    state: &crate::state::AppState,
    id: i64,
    before: Option<i64>,
) -> Result<IncidentView, AppError> {
    let mut conn = state.db.read.acquire().await?;
    super::db::load(&mut conn, id, state.clock.now(), before)
        .await?
        .ok_or_else(|| AppError::NotFound("That incident".into()))
}

/// Declares an incident, pinning the runbook's current version.
#[server(prefix = "/api", endpoint = "incidents/declare")]
pub async fn declare_incident(
    title: String,
    severity: String,
    impact: String,
    runbook: String,
) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<DeclareIncident>().await?;
    let title = crate::fields::text_field("Title", &title, true, 160)?;
    let impact = crate::fields::text_field("Impact", &impact, false, 1000)?;
    let severity = Severity::parse("Severity", &severity)?;
    let runbook_id = crate::fields::optional_id("Runbook", &runbook)?;
    let mut tx = state.db.write.begin().await?;
    let id = declare_in(
        &mut tx,
        &caller,
        (&title, severity, &impact),
        runbook_id,
        (
            &crate::reach::Place {
                environment: state.environment,
                public_url: &state.public_url,
            },
            None,
        ),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/incidents/{id}"));
    Ok(())
}

/// Declares an incident inside the caller's transaction, pinning the
/// runbook's current version, and records it in the audit log: the
/// declare form and an alert's "declare" both come here.
#[cfg(feature = "ssr")]
pub(crate) async fn declare_in(
    tx: &mut sqlx::SqliteConnection,
    caller: &crate::auth::Caller,
    (title, severity, impact): (&str, Severity, &str),
    runbook_id: Option<i64>,
    (place, alert_rule): (&crate::reach::Place<'_>, Option<i64>),
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, AppError> {
    use crate::{
        plans::{db as store, Kind},
        runbooks::Runbook,
    };
    let pinned = match runbook_id {
        None => None,
        Some(id) => Some(
            store::get::<Runbook>(&mut *tx, Kind::Runbook, id, None)
                .await?
                .ok_or_else(|| AppError::invalid("Runbook", "no such runbook"))?,
        ),
    };
    let author = caller.author();
    let declaration = super::db::Declaration {
        title,
        severity,
        impact,
        runbook: pinned.as_ref().map(|p| (p.id, p.info.version, &p.content)),
        author: &author,
        at: now,
        drill: None,
    };
    let id = super::db::declare(&mut *tx, &declaration).await?;
    reach_declared(&mut *tx, id, &declaration, place, alert_rule).await?;
    crate::audit::record_change(
        &mut *tx,
        caller,
        "incident.declare",
        format!("incident:{id}"),
        format!("{}: {title}", severity.as_str()),
        now,
    )
    .await?;
    Ok(id)
}

/// Reaches the people a new incident needs, in the declaring
/// transaction: its commander and the roles its runbook lists, then what
/// the routing rules of its runbook (or the alert rule that raised it)
/// add. In a drill, the sandbox or staging, nobody is reached: the
/// timeline says whom it would have called.
#[cfg(feature = "ssr")]
pub(crate) async fn reach_declared(
    tx: &mut sqlx::SqliteConnection,
    id: i64,
    d: &super::db::Declaration<'_>,
    place: &crate::reach::Place<'_>,
    alert_rule: Option<i64>,
) -> Result<(), AppError> {
    use crate::reach::route::{self, About, Held};
    let held: Vec<Held> = super::db::roles(&mut *tx, id)
        .await?
        .into_iter()
        .map(|r| Held {
            role_id: r.role_id,
            role: r.role,
            person: r.person_id,
        })
        .collect();
    let mut needed: Vec<i64> = held
        .iter()
        .filter(|h| h.role == crate::timeline::COMMANDER)
        .map(|h| h.role_id)
        .collect();
    if let Some((_, _, book)) = d.runbook {
        for step in &book.steps {
            if !needed.contains(&step.role_id) {
                needed.push(step.role_id);
            }
        }
    }
    let about = About::new(
        id,
        (d.title, d.severity.as_str(), "investigating"),
        d.drill.is_some(),
        d.at,
        d.at,
    );
    route::on_declare(
        tx,
        place,
        &about,
        &held,
        &needed,
        (d.runbook.map(|(r, _, _)| r), alert_rule),
        d.at,
    )
    .await
}

/// A note, optionally about an earlier time, or a correction of an entry.
#[server(prefix = "/api", endpoint = "incidents/note")]
pub async fn add_incident_note(
    id: i64,
    text: String,
    happened_at: String,
    corrects: String,
) -> Result<Delta, AppError> {
    use super::EntryKind;
    let (state, caller) = crate::auth::guard::require::<AddIncidentNote>().await?;
    let text = crate::fields::text_field("Note", &text, true, 4000)?;
    let corrects = crate::fields::optional_id("Correction", &corrects)?;
    super::act::act(
        &state,
        &caller,
        id,
        "incident.note",
        move |tx, author, now| {
            Box::pin(async move {
                let incident = super::db::get(tx, id)
                    .await?
                    .ok_or_else(|| AppError::NotFound("That incident".into()))?;
                let happened_at =
                    crate::clock::parse_happened_at(&happened_at, incident.declared_at, now)?;
                let subject = crate::timeline::Subject::Incident(id);
                if let Some(entry) = corrects {
                    crate::timeline::db::check_corrects(tx, subject, entry).await?;
                }
                let kind = if corrects.is_some() {
                    EntryKind::Correction
                } else {
                    EntryKind::Note
                };
                let mut entry = crate::timeline::NewEntry::new(kind, text, &author, now);
                entry.happened_at = happened_at;
                entry.corrects = corrects;
                crate::timeline::db::append(tx, subject, entry).await?;
                Ok((kind.as_str().to_owned(), Part::Header))
            })
        },
    )
    .await
}

#[server(prefix = "/api", endpoint = "incidents/status")]
pub async fn set_status(id: i64, status: String) -> Result<Delta, AppError> {
    let (state, caller) = crate::auth::guard::require::<SetStatus>().await?;
    let status = Status::parse("Status", &status)?;
    super::act::act(
        &state,
        &caller,
        id,
        "incident.status",
        move |tx, author, now| {
            Box::pin(async move {
                super::db::set_status(tx, id, status, &author, now)
                    .await?
                    .ok_or_else(|| AppError::NotFound("That incident".into()))?;
                Ok((status.as_str().to_owned(), Part::Header))
            })
        },
    )
    .await
}

#[server(prefix = "/api", endpoint = "incidents/severity")]
pub async fn set_severity(id: i64, severity: String) -> Result<Delta, AppError> {
    let (state, caller) = crate::auth::guard::require::<SetSeverity>().await?;
    let severity = Severity::parse("Severity", &severity)?;
    super::act::act(
        &state,
        &caller,
        id,
        "incident.severity",
        move |tx, author, now| {
            Box::pin(async move {
                if !super::db::set_severity(tx, id, severity, &author, now).await? {
                    return Err(AppError::NotFound("That incident".into()));
                }
                Ok((severity.as_str().to_owned(), Part::Header))
            })
        },
    )
    .await
}

/// Gives a role to a person (empty `person_id`: nobody): a handoff when
/// someone held it.
#[server(prefix = "/api", endpoint = "incidents/role")]
pub async fn assign_role(id: i64, role_id: i64, person_id: String) -> Result<Delta, AppError> {
    let (state, caller) = crate::auth::guard::require::<AssignRole>().await?;
    let person_id = crate::fields::optional_id("Person", &person_id)?;
    let (environment, public_url) = (state.environment, state.public_url.clone());
    super::act::act(
        &state,
        &caller,
        id,
        "incident.role",
        move |tx, author, now| {
            Box::pin(async move {
                let before = super::db::role(tx, id, role_id).await?;
                let person = match person_id {
                    None => None,
                    Some(pid) => Some((
                        pid,
                        crate::roster::db::person_name(&mut *tx, pid)
                            .await?
                            .ok_or_else(|| AppError::invalid("Person", "is not in the roster"))?,
                    )),
                };
                if !super::db::assign_role(tx, id, role_id, person, &author, now).await? {
                    return Err(AppError::NotFound("That incident role".into()));
                }
                // A handoff reaches the new holder.
                if let Some(before) =
                    before.filter(|b| person_id.is_some() && b.person_id != person_id)
                {
                    let incident = super::db::get(tx, id)
                        .await?
                        .ok_or_else(|| AppError::NotFound("That incident".into()))?;
                    let about = crate::reach::route::About::new(
                        id,
                        (
                            &incident.title,
                            incident.severity.as_str(),
                            incident.status.as_str(),
                        ),
                        incident.drill_run.is_some(),
                        incident.declared_at,
                        now,
                    );
                    let held = crate::reach::route::Held {
                        role_id,
                        role: before.role,
                        person: person_id,
                    };
                    let place = crate::reach::Place {
                        environment,
                        public_url: &public_url,
                    };
                    crate::reach::route::on_handoff(tx, &place, &about, &held, now).await?;
                }
                Ok((format!("role {role_id}"), Part::Role(role_id)))
            })
        },
    )
    .await
}

#[server(prefix = "/api", endpoint = "incidents/step")]
pub async fn tick_step(id: i64, step: u32, done: bool) -> Result<Delta, AppError> {
    let (state, caller) = crate::auth::guard::require::<TickStep>().await?;
    super::act::act(
        &state,
        &caller,
        id,
        "incident.step",
        move |tx, author, now| {
            Box::pin(async move {
                super::db::tick(tx, id, step, done, &author, now)
                    .await?
                    .ok_or_else(|| AppError::NotFound("That step".into()))?;
                let reason = format!("step {step}: {}", if done { "done" } else { "undone" });
                Ok((reason, Part::Step(step)))
            })
        },
    )
    .await
}

/// Drafts a customer notice from an approved template: values come from
/// the form, which the page fills from the incident; the template renders
/// strictly, so a value left out is an error naming it.
#[server(prefix = "/api", endpoint = "incidents/notice/draft")]
pub async fn draft_notice(
    id: i64,
    template: i64,
    // Absent when a caller fills none by hand.
    #[server(default)] values: std::collections::BTreeMap<String, String>,
    next_update_minutes: String,
) -> Result<Delta, AppError> {
    use crate::{
        notices::{engine, NoticeTemplate, VARIABLES},
        plans::{db as store, Kind},
    };
    let (state, caller) = crate::auth::guard::require::<DraftNotice>().await?;
    let next_update_in = match next_update_minutes.trim() {
        "" => None,
        m => Some(
            m.parse::<i64>()
                .ok()
                .filter(|m| (1..=1440).contains(m))
                .map(chrono::Duration::minutes)
                .ok_or_else(|| {
                    AppError::invalid(
                        "Next update in",
                        format!("'{m}' is not a number of minutes from 1 to 1440"),
                    )
                })?,
        ),
    };
    let mut known = std::collections::BTreeMap::new();
    for (name, _) in VARIABLES {
        let value = values
            .get(*name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default();
        if value.chars().count() > 1000 {
            return Err(AppError::invalid(*name, "is longer than 1000 characters"));
        }
        if !value.is_empty() {
            known.insert((*name).to_owned(), value);
        }
    }
    // A token drafts as the person who created it.
    let author_id = caller.person_id();
    super::act::act(
        &state,
        &caller,
        id,
        "incident.notice.draft",
        move |tx, author, now| {
            Box::pin(async move {
                let next_update_at = next_update_in.map(|m| now + m);
                if let Some(at) = next_update_at {
                    known.insert("next_update_at".into(), crate::ui::when(at));
                }
                let incident = super::db::get(tx, id)
                    .await?
                    .ok_or_else(|| AppError::NotFound("That incident".into()))?;
                // What the incident knows, unless given by hand.
                let from_incident = [
                    ("started_at", crate::ui::when(incident.declared_at)),
                    ("severity", incident.severity.title().to_owned()),
                    ("incident_title", incident.title.clone()),
                    ("impact", incident.impact.clone()),
                    (
                        "resolved_at",
                        incident
                            .resolved_at
                            .map(crate::ui::when)
                            .unwrap_or_default(),
                    ),
                ];
                for (name, value) in from_incident {
                    if !value.is_empty() {
                        known.entry(name.to_owned()).or_insert(value);
                    }
                }
                let not_approved =
                    || AppError::invalid("Template", "is not an approved notice template");
                let latest = store::get::<NoticeTemplate>(tx, Kind::Template, template, None)
                    .await?
                    .ok_or_else(not_approved)?;
                let version = latest.approved.ok_or_else(not_approved)?;
                let stored =
                    store::get::<NoticeTemplate>(tx, Kind::Template, template, Some(version))
                        .await?
                        .ok_or_else(not_approved)?;
                let (subject, body) = engine::render(&stored.content, &known)
                    .map_err(|e| AppError::invalid("Notice", e))?;
                let draft = super::db::Draft {
                    template_id: template,
                    template_version: version,
                    template: &stored.content,
                    subject: &subject,
                    body: &body,
                    next_update_at,
                    author: &author,
                    author_id,
                };
                let notice = super::db::draft_notice(tx, id, &draft, now).await?;
                Ok((stored.content.title, Part::Notice(notice)))
            })
        },
    )
    .await
}

/// A second person (not the one who drafted it) approves a notice.
#[server(prefix = "/api", endpoint = "incidents/notice/approve")]
pub async fn approve_incident_notice(id: i64, notice: i64) -> Result<Delta, AppError> {
    let (state, caller) = crate::auth::guard::require::<ApproveIncidentNotice>().await?;
    let approver = caller.approver();
    super::act::act(
        &state,
        &caller,
        id,
        "incident.notice.approve",
        move |tx, author, now| {
            Box::pin(async move {
                let drafted = super::db::notices(tx, id)
                    .await?
                    .into_iter()
                    .find(|n| n.id == notice);
                let drafted = drafted.ok_or_else(|| AppError::NotFound("That notice".into()))?;
                crate::approval::check(
                    drafted.drafted_by_id,
                    approver,
                    crate::approval::Approving::Notice,
                )?;
                if !super::db::approve_notice(tx, id, notice, &author, now).await? {
                    return Err(AppError::Conflict(
                        "That notice is already approved.".into(),
                    ));
                }
                Ok((format!("notice {notice}"), Part::Notice(notice)))
            })
        },
    )
    .await
}

/// Records an approved notice as published, and sends it to every
/// channel marked for customers (in the same transaction, through the
/// outbox; withheld in a drill, the sandbox or staging). The timeline says
/// where it went, and later each channel's answer.
#[server(prefix = "/api", endpoint = "incidents/notice/publish")]
pub async fn publish_notice(id: i64, notice: i64) -> Result<Delta, AppError> {
    let (state, caller) = crate::auth::guard::require::<PublishNotice>().await?;
    let (environment, public_url) = (state.environment, state.public_url.clone());
    super::act::act(
        &state,
        &caller,
        id,
        "incident.notice.publish",
        move |tx, author, now| {
            Box::pin(async move {
                if !super::db::publish_notice(tx, id, notice, &author, now).await? {
                    return Err(AppError::Conflict(
                        "Only an approved notice that is not yet published can be published."
                            .into(),
                    ));
                }
                let published = super::db::notice(tx, id, notice)
                    .await?
                    .ok_or_else(|| AppError::NotFound("That notice".into()))?;
                let (subject, body) = (published.subject, published.body);
                let incident = super::db::get(tx, id)
                    .await?
                    .ok_or_else(|| AppError::NotFound("That incident".into()))?;
                let place = crate::reach::Place {
                    environment,
                    public_url: &public_url,
                };
                crate::reach::route::to_customers(
                    tx,
                    &place,
                    (id, incident.drill_run.is_some()),
                    (&subject, &body),
                    now,
                )
                .await?;
                Ok((format!("notice {notice}"), Part::Notice(notice)))
            })
        },
    )
    .await
}
