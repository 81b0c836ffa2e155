//! Events as an incident's evidence: linking and unlinking them (each in
//! the incident's own change, so every open page sees it), the events it
//! may want, and the link forms. Events sit below incidents, so the events
//! pages do not import these forms: the shell gives them (`link_offers`).
use super::IncidentTitle;
use crate::{
    auth::{caller_may, Role},
    error::AppError,
    events::{event_rows, EventRow, LinkOffers},
    fields::id_param,
    ui::{returned_error, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

/// Links the chosen events to an incident, then shows the incident.
#[server(prefix = "/api", endpoint = "events/link")]
pub async fn link_events(incident: String, events: Option<Vec<String>>) -> Result<(), AppError> {
    use crate::events::link;
    let (state, caller) = crate::auth::guard::require::<LinkEvents>().await?;
    let incident = crate::fields::optional_id("Incident", &incident)?
        .ok_or_else(|| AppError::invalid("Incident", "choose the incident to link to"))?;
    let events = events.unwrap_or_default();
    if events.is_empty() {
        return Err(AppError::invalid("Events", "choose at least one event"));
    }
    if events.len() > link::MAX_LINKED {
        return Err(AppError::invalid(
            "Events",
            format!("at most {} at a time", link::MAX_LINKED),
        ));
    }
    let ids = events
        .iter()
        .map(|e| {
            crate::fields::optional_id("Events", e)?
                .ok_or_else(|| AppError::invalid("Events", "an empty event number"))
        })
        .collect::<Result<Vec<i64>, _>>()?;
    super::act::act(
        &state,
        &caller,
        incident,
        "incident.evidence.link",
        move |tx, author, now| {
            Box::pin(async move {
                let why = link::link(tx, incident, &ids, &author, now).await?;
                Ok((why, super::act::Part::Header))
            })
        },
    )
    .await?;
    leptos_axum::redirect(&format!("/incidents/{incident}#timeline"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "events/unlink")]
pub async fn unlink_event(incident: i64, event: i64) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<UnlinkEvent>().await?;
    super::act::act(
        &state,
        &caller,
        incident,
        "incident.evidence.unlink",
        move |tx, author, now| {
            Box::pin(async move {
                let why = crate::events::link::unlink(tx, incident, event, &author, now).await?;
                Ok((why, super::act::Part::Header))
            })
        },
    )
    .await?;
    Ok(())
}

/// Events that may be evidence for an incident (its title comes along):
/// from an hour before it was declared until it ended, carrying its
/// request ids or its runbook's tags.
#[server(prefix = "/api", endpoint = "events/suggest")]
pub async fn suggest_evidence(incident: i64) -> Result<(String, Vec<EventRow>), AppError> {
    let (state, _) = crate::auth::guard::require::<SuggestEvidence>().await?;
    let mut conn = state.db.read.acquire().await?;
    let window = super::db::evidence_window(&mut conn, incident)
        .await?
        .ok_or_else(|| AppError::NotFound("That incident".into()))?;
    let tags: Vec<String> = window
        .tags
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let ids = crate::events::link::request_ids(&mut conn, incident).await?;
    let span = (
        window.declared_at - chrono::Duration::hours(1),
        window.resolved_at.unwrap_or_else(|| state.clock.now()),
    );
    let rows =
        crate::events::query::suggest(&state.db.read, span, &ids, &tags, incident, 200).await?;
    Ok((window.title, rows))
}

/// Incidents not resolved, newest first: where events may be linked.
#[server(prefix = "/api", endpoint = "incidents/open")]
pub async fn open_incidents() -> Result<Vec<IncidentTitle>, AppError> {
    let (state, _) = crate::auth::guard::require::<OpenIncidents>().await?;
    let mut conn = state.db.read.acquire().await?;
    Ok(super::db::open_titles(&mut conn, 50).await?)
}

/// The link forms the shell gives the events pages.
pub fn link_offers() -> LinkOffers {
    LinkOffers {
        rows: link_rows,
        one: link_one,
        unlink,
        errors,
    }
}

/// The refusals a link or unlink came back with (a form posted without
/// JavaScript returns here with its error).
fn errors() -> AnyView {
    view! {
        {returned_error(ServerAction::<LinkEvents>::new())}
        {returned_error(ServerAction::<UnlinkEvent>::new())}
    }
    .into_any()
}

/// A form around rows of events with boxes to choose, and where to link them.
fn link_rows(rows: AnyView) -> AnyView {
    let link = ServerAction::<LinkEvents>::new();
    view! {
        <ActionForm action=link attr:id="link-form">
            {rows}
            <LinkControls/>
        </ActionForm>
    }
    .into_any()
}

/// A form that links one event.
fn link_one(event: i64) -> AnyView {
    let link = ServerAction::<LinkEvents>::new();
    view! {
        <ActionForm action=link attr:id="link-form">
            <input type="hidden" name="events[]" value=event/>
            <LinkControls/>
        </ActionForm>
    }
    .into_any()
}

/// A button that unlinks an event from an incident.
fn unlink(incident: i64, event: i64) -> AnyView {
    let unlink = ServerAction::<UnlinkEvent>::new();
    view! {
        <ActionForm action=unlink attr:class="inline">
            <input type="hidden" name="incident" value=incident/>
            <input type="hidden" name="event" value=event/>
            <button type="submit" class="small">"Unlink"</button>
        </ActionForm>
    }
    .into_any()
}

/// The link form's incident choice and button, for the rows inside it.
#[component]
fn LinkControls() -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match open_incidents().await {
                    Ok(incidents) if incidents.is_empty() => view! {
                        <p class="hint">"No open incident to link events to."</p>
                    }.into_any(),
                    Ok(incidents) => view! {
                        <div class="inline-form link-controls">
                            <label for="link-incident">"Link the chosen events to"</label>
                            <select id="link-incident" name="incident">
                                {incidents.into_iter().map(|i| view! { <option value=i.id>{format!("#{} {}", i.id, i.title)}</option> }).collect_view()}
                            </select>
                            <button type="submit">"Link to incident"</button>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn EvidencePage() -> impl IntoView {
    let id = id_param();
    let responder = caller_may(Role::Responder);
    let link_error = returned_error(ServerAction::<LinkEvents>::new());
    view! {
        <Title text="Suggested evidence"/>
        {link_error}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match suggest_evidence(id).await {
                    Ok((title, rows)) => {
                        let link = ServerAction::<LinkEvents>::new();
                        let empty = rows.is_empty();
                        view! {
                            <h1>"Suggested evidence"</h1>
                            <p class="lede">
                                <a href=format!("/incidents/{id}")>{format!("#{id} {title}")}</a>
                                ": events from an hour before it was declared until it ended that carry its request ids (of its linked events or written in its notes) or its runbook's tags."
                            </p>
                            {if empty {
                                view! { <p class="empty">"Nothing to suggest yet. Link an event from the " <a href="/events">"events page"</a> " and its request id will bring the others."</p> }.into_any()
                            } else if responder {
                                view! {
                                    <ActionForm action=link attr:id="link-form">
                                        <input type="hidden" name="incident" value=id/>
                                        {event_rows(rows, true)}
                                        <div><button type="submit">"Link the chosen events"</button></div>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                event_rows(rows, false).into_any()
                            }}
                        }.into_any()
                    }
                    Err(error) => view! { <h1>"Suggested evidence"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
