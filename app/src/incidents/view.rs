//! The incident page: one
//! island that renders on the server (every control is a plain form, so it
//! works without JavaScript) and, hydrated, applies each change as it comes.
//! Its weight does not grow with the history: one page of the timeline,
//! one correction form.
use super::draft::{prefilled, DraftForm};
use super::timeline_view::{timeline, CorrectForm};
use super::{
    api::get_incident_page, severity_meaning, AddIncidentNote, ApproveIncidentNotice, AssignRole,
    ChecklistItem, Delta, DraftNotice, IncidentNotice, IncidentView, PublishNotice, SetSeverity,
    SetStatus, Status, TickStep,
};
use crate::{
    auth::{caller_may, current_caller, Role},
    clock::{duration_text, elapsed},
    error::AppError,
    fields::{id_param, query},
    runbooks::{Phase, Severity},
    ui::{returned_error, when, ErrorNotice},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;

/// What higher layers offer on an incident's page (writing its review,
/// replaying it as a drill): the shell gives it, so incidents name neither
/// reviews nor drills.
pub type Offers = fn(&IncidentView) -> AnyView;

#[component]
pub fn IncidentPage(#[prop(optional)] offers: Option<Offers>) -> impl IntoView {
    let id = id_param();
    // Keyset paging: `?before=ENTRY` shows the page of entries before it.
    let before = query("before").parse::<i64>().ok();
    let correcting = query("correct").parse::<i64>().ok();
    let responder = caller_may(Role::Responder);
    let me = current_caller().user().map(|u| u.id);
    let environment = use_context::<crate::environment::Environment>().unwrap_or_default();
    let publish_note = match environment.banner() {
        Some(_) => format!("This is a {} environment: publishing records the notice here and never sends anything outside Muster.", environment.as_str()),
        None => "No outbound channels are configured: publishing records the notice on the timeline; copy its text to send it.".to_owned(),
    };
    // Errors of plain form posts come back in the address; show them.
    let errors = (
        returned_error(ServerAction::<AddIncidentNote>::new()),
        returned_error(ServerAction::<SetStatus>::new()),
        returned_error(ServerAction::<SetSeverity>::new()),
        returned_error(ServerAction::<AssignRole>::new()),
        returned_error(ServerAction::<TickStep>::new()),
        returned_error(ServerAction::<DraftNotice>::new()),
        returned_error(ServerAction::<ApproveIncidentNotice>::new()),
        returned_error(ServerAction::<PublishNotice>::new()),
    );
    view! {
        <Title text="Incident"/>
        {errors}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let publish_note = publish_note.clone();
                Suspend::new(async move {
                    match get_incident_page(id, before).await {
                        Ok(incident) => {
                            // Drawn on the server only, so none of their code
                            // is sent to the browser: drafting is a plain form
                            // post, and the picture is as of the page's load.
                            let draft = responder.then(|| view! {
                                <DraftForm id templates=incident.templates.clone() prefill=prefilled(&incident)/>
                            });
                            let picture = view! { <super::chart::TimelineChart incident=incident.clone()/> };
                            let offers = offers.map(|offer| offer(&incident));
                            view! {
                                <LiveIncident incident can_act=responder me publish_note correcting before/>
                                <section class="draft-notice-section" aria-label="Draft a customer notice">{draft}</section>
                                {offers}
                                <section aria-labelledby="picture-title" class="timeline-picture">
                                    <h2 id="picture-title">"The incident as a picture"</h2>
                                    <p class="hint">"As of when this page was loaded."</p>
                                    {picture}
                                </section>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The incident page itself. Hydrated, it applies each change that comes
/// down the incident's live stream (or back from its own actions) without
/// asking the server again; it fetches once when it finds it missed one
/// (a gap in revisions, or a reconnect), and its clock ticks.
#[island]
pub fn LiveIncident(
    incident: IncidentView,
    can_act: bool,
    me: Option<i64>,
    publish_note: String,
    /// The entry the correction form starts with (`?correct=ID`).
    correcting: Option<i64>,
    /// The page of the timeline shown (`?before=ENTRY`); `None` for the
    /// newest, which follows the live stream. An older page keeps its
    /// entries and takes only the rest of each change.
    before: Option<i64>,
) -> impl IntoView {
    let id = incident.incident.id;
    let declared = incident.incident.declared_at;
    let now = RwSignal::new(incident.now);
    #[cfg(feature = "hydrate")]
    let real_now = incident.real_now;
    let state = RwSignal::new(incident);
    let problem = RwSignal::new(None::<AppError>);
    let correcting = RwSignal::new(correcting);
    let hydrated = crate::ui::hydrated_marker();
    let refresh = move || {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = get_incident_page(id, before).await {
                // Fetches can finish out of order: never go back in time.
                state.update(|shown| {
                    if fresh.incident.revision >= shown.incident.revision {
                        *shown = fresh;
                    }
                });
            }
        });
    };
    let apply = move |mut delta: Delta| {
        if before.is_some() {
            // New entries belong to the newest page, not this older one.
            delta.entries.clear();
        }
        let applied = state.try_update(|v| v.apply(delta));
        if applied == Some(super::Applied::Gap) {
            refresh();
        }
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        // A drill incident's clock runs at the drill's speed, or stands.
        crate::clock::tick(now, real_now, crate::clock::browser_ms, move |real| {
            state.with_untracked(|v| v.incident.now(real))
        });
        if before.is_none() {
            live::follow(id, state, apply, refresh);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = refresh;

    let note = ServerAction::<AddIncidentNote>::new();
    let correct = ServerAction::<AddIncidentNote>::new();
    let note_form = NodeRef::<leptos::html::Form>::new();
    let actions = Actions {
        status: ServerAction::new(),
        severity: ServerAction::new(),
        role: ServerAction::new(),
        step: ServerAction::new(),
        approve: ServerAction::new(),
        publish: ServerAction::new(),
    };
    after(note, problem, apply);
    after(correct, problem, apply);
    // A note that went in is cleared, so a second click cannot add it twice.
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(form)) = (note.value().get(), note_form.get_untracked()) {
            form.reset();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = correct.value().get() {
            correcting.set(None);
        }
    });
    actions.watch(problem, apply);

    view! {
        <div class="incident" data-hydrated=hydrated data-revision=move || state.with(|v| v.incident.revision)>
            {move || problem.get().map(|error| view! { <ErrorNotice error/> })}
            <div class="incident-bar" aria-label="Where the incident stands">
                {move || state.with(status_line)}
                <p class="clock" aria-live="off">
                    "Clock: " <strong id="incident-clock">{move || elapsed(declared, state.with(|v| v.incident.resolved_at).unwrap_or(now.get()))}</strong>
                </p>
                {move || next_update(state.with(|v| v.incident.next_update_at), state.with(|v| v.incident.status), now.get())}
            </div>
            {move || state.with(|v| head(v, can_act, actions))}
            {move || state.with(measures)}
            <div class="incident-grid">
                <section aria-labelledby="timeline-title" class="timeline">
                    <h2 id="timeline-title">"Timeline"</h2>
                    {can_act.then(|| view! {
                        <ActionForm action=note node_ref=note_form attr:class="stack note-form" attr:id="incident-note-form">
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="corrects" value=""/>
                            <label for="incident-note-text">"Add to the timeline"</label>
                            <textarea id="incident-note-text" name="text" rows="2" required></textarea>
                            <label for="incident-note-at">"This happened at (UTC, optional, e.g. 03:15)"</label>
                            <input id="incident-note-at" name="happened_at" placeholder="now"/>
                            <div><button type="submit">"Add note"</button></div>
                        </ActionForm>
                    })}
                    {move || state.with(|v| timeline(v, before, can_act, correcting))}
                    {can_act.then(|| view! { <CorrectForm id correcting action=correct/> })}
                </section>
                <section aria-labelledby="checklist-title" class="checklist">
                    <h2 id="checklist-title">"Checklist"</h2>
                    {move || state.with(|v| checklist(v, now, can_act, actions))}
                </section>
            </div>
            <section aria-labelledby="roles-title" class="incident-roles">
                <h2 id="roles-title">"Roles"</h2>
                {move || state.with(|v| roles(v, can_act, actions))}
            </section>
            <section aria-labelledby="notices-title" class="incident-notices">
                <h2 id="notices-title">"Customer notices"</h2>
                <p class="hint">{publish_note}</p>
                {move || state.with(|v| notices(v, me, can_act, actions))}
            </section>
        </div>
    }
}

/// The server actions of the page's controls, created once per island.
#[derive(Clone, Copy)]
struct Actions {
    status: ServerAction<SetStatus>,
    severity: ServerAction<SetSeverity>,
    role: ServerAction<AssignRole>,
    step: ServerAction<TickStep>,
    approve: ServerAction<ApproveIncidentNotice>,
    publish: ServerAction<PublishNotice>,
}

impl Actions {
    fn watch(
        self,
        problem: RwSignal<Option<AppError>>,
        apply: impl Fn(Delta) + Copy + Send + Sync + 'static,
    ) {
        after(self.status, problem, apply);
        after(self.severity, problem, apply);
        after(self.role, problem, apply);
        after(self.step, problem, apply);
        after(self.approve, problem, apply);
        after(self.publish, problem, apply);
    }
}

/// When an action finishes: show its error, or apply the change it made.
fn after<S>(
    action: ServerAction<S>,
    problem: RwSignal<Option<AppError>>,
    apply: impl Fn(Delta) + Send + Sync + 'static,
) where
    S: leptos::server_fn::ServerFn<Error = AppError, Output = Delta>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Effect::new(move |_| match action.value().get() {
        Some(Err(error)) => problem.set(Some(error)),
        Some(Ok(delta)) => {
            problem.set(None);
            apply(delta);
        }
        None => {}
    });
}

/// Status, severity: what the bar that stays in view says.
fn status_line(v: &IncidentView) -> impl IntoView {
    let i = &v.incident;
    view! {
        <p class=format!("status-badge big status-{}", i.status.as_str()) id="incident-status">{i.status.title()}</p>
        <p class=format!("severity big {}", i.severity.as_str()) id="incident-severity">{i.severity.label()}</p>
    }
}

fn head(v: &IncidentView, can_act: bool, a: Actions) -> AnyView {
    let i = &v.incident;
    let (id, status, severity) = (i.id, i.status, i.severity);
    let runbook = i.runbook.clone().map(|(rid, version, title)| view! {
        <p class="meta">"Runbook: "<a href=format!("/runbooks/{rid}/versions/{version}")>{format!("{title} (version {version})")}</a></p>
    });
    view! {
        <Title text=i.title.clone()/>
        {i.drill_run.map(|run| view! {
            <p class="drill-banner" id="drill-banner">{format!("DRILL (run {run}): a practice incident on a virtual clock. Notices are never sent outside Muster and nobody is paged.")}</p>
        })}
        {(!v.failed_deliveries.is_empty()).then(|| view! {
            <p class="warn" id="delivery-warning" role="alert">{format!("Could not be delivered: {}", v.failed_deliveries.join("; "))}</p>
        })}
        <h1>{i.title.clone()}</h1>
        <p class="severity-meaning"><strong>{i.severity.label()}": "</strong>{severity_meaning(i.severity)}</p>
        {(!i.impact.is_empty()).then(|| view! { <p class="impact"><strong>"Impact: "</strong>{i.impact.clone()}</p> })}
        <p class="meta">{format!("Declared {} by {}", when(i.declared_at), i.declared_by)}</p>
        {runbook}
        <p class="meta"><a href=format!("/incidents/{id}/timeline.md")>"Timeline as Markdown"</a>" · "<a href=format!("/incidents/{id}/timeline.json")>"JSON"</a>" · "<a href=format!("/incidents/{id}/timeline.csv")>"CSV"</a>" · "<a href=format!("/incidents/{id}/evidence") id="suggest-evidence">"Suggest evidence"</a></p>
        {can_act.then(|| view! {
            <div class="incident-controls">
                <ActionForm action=a.status attr:class="inline status-form">
                    <input type="hidden" name="id" value=id/>
                    {Status::ALL.into_iter().filter(|s| *s != status).map(|s| {
                        let label = match (status, s) {
                            (Status::Resolved, _) => format!("Reopen as {}", s.as_str()),
                            (_, Status::Resolved) => "Resolve".to_owned(),
                            _ => format!("Mark {}", s.as_str()),
                        };
                        view! { <button type="submit" name="status" value=s.as_str()>{label}</button>" " }
                    }).collect_view()}
                </ActionForm>
                <ActionForm action=a.severity attr:class="inline-form severity-form">
                    <input type="hidden" name="id" value=id/>
                    <label for="set-severity">"Severity"</label>
                    <select id="set-severity" name="severity">
                        {Severity::ALL.map(|s| view! { <option value=s.as_str() selected=s == severity>{s.title()}</option> }).collect_view()}
                    </select>
                    <button type="submit">"Change"</button>
                </ActionForm>
            </div>
        })}
    }
    .into_any()
}

fn next_update(due: Option<DateTime<Utc>>, status: Status, now: DateTime<Utc>) -> Option<AnyView> {
    let due = due.filter(|_| status != Status::Resolved)?;
    Some(if now > due {
        view! { <p class="warn next-update" role="alert">{format!("Next customer update overdue by {} (was due {}).", elapsed(due, now), when(due))}</p> }.into_any()
    } else {
        view! { <p class="ok next-update">{format!("Next customer update due in {} ({}).", elapsed(now, due), when(due))}</p> }.into_any()
    })
}

fn measures(v: &IncidentView) -> Option<AnyView> {
    if v.incident.status != Status::Resolved {
        return None;
    }
    let m = v.measures();
    let show = |d: Option<i64>| d.map_or("never".to_owned(), duration_text);
    Some(view! {
        <section class="measures card" aria-labelledby="measures-title" id="measures">
            <h2 id="measures-title">"How it went"</h2>
            <dl>
                <dt>"Time to commander assigned"</dt><dd>{show(m.to_commander)}</dd>
                <dt>"Time to first notice published"</dt><dd>{show(m.to_first_notice)}</dd>
                <dt>"Checklist completed"</dt><dd>{format!("{} of {} steps", m.steps_done, m.steps_total)}</dd>
                <dt>"Overdue steps"</dt>
                <dd>{if m.overdue.is_empty() {
                    view! { "none" }.into_any()
                } else {
                    view! { <ul class="overdue-steps">{m.overdue.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul> }.into_any()
                }}</dd>
            </dl>
        </section>
    }.into_any())
}

fn roles(v: &IncidentView, can_act: bool, a: Actions) -> AnyView {
    let id = v.incident.id;
    view! {
        <ul class="role-list">
            {v.roles.iter().map(|r| {
                let select = format!("hand-{}", r.role_id);
                let holder = r.person_id;
                let people = v.people.clone();
                let (role_id, role) = (r.role_id, r.role.clone());
                view! {
                    <li data-role=r.role.clone()>
                        <strong>{r.role.clone()}": "</strong>
                        <span class="holder">{r.person.clone().unwrap_or_else(|| "nobody".into())}</span>
                        {can_act.then(|| view! {
                            <ActionForm action=a.role attr:class="inline-form handoff">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="role_id" value=role_id/>
                                <label for=select.clone() class="visually-hidden">{format!("Hand {role} to")}</label>
                                <select id=select name="person_id">
                                    <option value="">"Nobody"</option>
                                    {people.into_iter().map(|(pid, name)| view! { <option value=pid selected=Some(pid) == holder>{name}</option> }).collect_view()}
                                </select>
                                <button type="submit" class="small">"Hand off"</button>
                            </ActionForm>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

fn checklist(v: &IncidentView, now: RwSignal<DateTime<Utc>>, can_act: bool, a: Actions) -> AnyView {
    if v.checklist.is_empty() {
        return view! { <p class="empty">"No runbook, so no checklist."</p> }.into_any();
    }
    let id = v.incident.id;
    let declared = v.incident.declared_at;
    let done = v.checklist.iter().filter(|s| s.done_at.is_some()).count();
    view! {
        <p class="meta">{format!("{done} of {} done", v.checklist.len())}</p>
        {Phase::ALL.into_iter().filter(|p| v.checklist.iter().any(|s| s.phase == *p)).map(|phase| view! {
            <h3>{phase.title()}</h3>
            <ol class="steps">
                {v.checklist.iter().filter(|s| s.phase == phase).cloned().map(|item| checklist_item(id, declared, item, now, can_act, a)).collect_view()}
            </ol>
        }).collect_view()}
    }
    .into_any()
}

fn checklist_item(
    id: i64,
    declared: DateTime<Utc>,
    item: ChecklistItem,
    now: RwSignal<DateTime<Utc>>,
    can_act: bool,
    a: Actions,
) -> impl IntoView {
    let late = item.clone();
    let overdue = move || late.overdue(declared, now.get());
    let overdue_class = overdue.clone();
    let done = item.done_at.is_some();
    let due = item
        .due_at(declared)
        .map(|d| format!(" · due {}", crate::ui::hh_mm(d)));
    view! {
        <li class=move || if overdue_class() { "step overdue" } else if done { "step done" } else { "step" } data-step=item.step_id>
            <p class="step-meta">
                <span class="owner">{item.role.clone()}</span>
                {item.target_minutes.map(|m| format!(" · within {m} min"))}
                {due}
                {move || overdue().then(|| view! { <strong class="overdue-flag">" · Overdue"</strong> })}
            </p>
            <div class="markdown" inner_html=item.html.clone()></div>
            {item.done_at.map(|at| view! { <p class="done-by">{format!("Done {} by {}", when(at), item.done_by.clone().unwrap_or_default())}</p> })}
            {can_act.then(|| view! {
                <ActionForm action=a.step attr:class="inline tick">
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="step" value=item.step_id/>
                    <input type="hidden" name="done" value=(!done).to_string()/>
                    <button type="submit" class="small">{if done { "Undo" } else { "Mark done" }}</button>
                </ActionForm>
            })}
        </li>
    }
}

fn notices(v: &IncidentView, me: Option<i64>, can_act: bool, a: Actions) -> AnyView {
    let id = v.incident.id;
    if v.notices.is_empty() {
        return view! { <p class="empty">"No notices yet."</p> }.into_any();
    }
    view! {
        <ol class="notice-list">
            {v.notices.iter().map(|n: &IncidentNotice| {
                let state = match (&n.approved_by, &n.published_at) {
                    (_, Some(at)) => format!("Published {} by {}", when(*at), n.published_by.clone().unwrap_or_default()),
                    (Some(by), None) => format!("Approved by {by}; not published yet"),
                    (None, None) => "Draft: needs a second person's approval".to_owned(),
                };
                let mine = n.drafted_by_id.is_some() && n.drafted_by_id == me;
                let approvable = can_act && n.approved_at.is_none() && crate::approval::may_approve(n.drafted_by_id, me);
                let publishable = can_act && n.approved_at.is_some() && n.published_at.is_none();
                let notice = n.id;
                view! {
                    <li class="notice card" data-notice=n.id>
                        <p class="meta">{format!("{} · {} · drafted {} by {}", n.template, n.channel.title(), when(n.drafted_at), n.drafted_by)}</p>
                        <p class="notice-state">{state}</p>
                        <p><strong>"Subject: "</strong>{n.subject.clone()}</p>
                        <pre class="notice-preview">{n.body.clone()}</pre>
                        {(can_act && mine && n.approved_at.is_none()).then(|| view! { <p class="hint">"You drafted this notice; someone else must approve it."</p> })}
                        {approvable.then(|| view! {
                            <ActionForm action=a.approve attr:class="inline approve-notice">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="notice" value=notice/>
                                <button type="submit">"Approve notice"</button>
                            </ActionForm>
                        })}
                        {publishable.then(|| view! {
                            <ActionForm action=a.publish attr:class="inline publish-notice">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="notice" value=notice/>
                                <button type="submit">"Publish"</button>
                            </ActionForm>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

#[cfg(feature = "hydrate")]
mod live {
    use super::{Delta, IncidentView};
    use leptos::prelude::*;

    /// Follows the incident's live stream: a change is applied as it comes;
    /// a bare revision (the first event, or after the server fell behind)
    /// makes the page fetch once if it is behind.
    pub fn follow(
        id: i64,
        state: RwSignal<IncidentView>,
        apply: impl Fn(Delta) + Copy + 'static,
        refresh: impl Fn() + Copy + 'static,
    ) {
        crate::ui::listen(&format!("/incidents/{id}/live"), move |data| {
            if let Ok(revision) = data.parse::<i64>() {
                if revision > state.with_untracked(|v| v.incident.revision) {
                    refresh();
                }
                return;
            }
            match serde_json::from_str::<Delta>(&data) {
                Ok(delta) => apply(delta),
                Err(_) => refresh(),
            }
        });
    }
}
