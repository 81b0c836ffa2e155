//! The runbook editor. Every control is a plain form, so it works without
//! JavaScript and from the keyboard; changes go to a shared draft until an
//! editor saves it as a version with a change note.
use super::{
    api::{get_draft, RunbookData},
    ChangeStep, DiscardDraft, LinkTemplate, Phase, SaveDraftHeader, SaveRunbook, SaveStep,
    Severity, Step,
};
use crate::{
    fields::id_param,
    ui::{returned_error, when, ErrorNotice, Markdown},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RunbookEditPage() -> impl IntoView {
    let id = id_param();
    let errors = (
        returned_error(ServerAction::<SaveDraftHeader>::new()),
        returned_error(ServerAction::<SaveStep>::new()),
        returned_error(ServerAction::<ChangeStep>::new()),
        returned_error(ServerAction::<LinkTemplate>::new()),
        returned_error(ServerAction::<SaveRunbook>::new()),
        returned_error(ServerAction::<DiscardDraft>::new()),
    );
    view! {
        <Title text="Edit runbook"/>
        {errors}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match get_draft(id).await {
                    Ok(data) => view! { <Editor data/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Editor(data: RunbookData) -> impl IntoView {
    let book = data.runbook.clone();
    let id = data.id;
    let status = match &data.draft {
        None => format!("No unsaved changes: this is version {}.", data.latest),
        Some((base, by, at)) if *base == data.latest => {
            format!("Unsaved changes to version {base}, last by {by} at {}.", when(*at))
        }
        Some((base, by, at)) => format!(
            "Unsaved changes to version {base}, last by {by} at {}. Version {} was saved since (by another editor or an import), so these changes cannot be saved: discard them and edit the latest version.",
            when(*at),
            data.latest
        ),
    };
    let header = ServerAction::<SaveDraftHeader>::new();
    view! {
        <h1>{format!("Editing {}", book.title)}</h1>
        <p class="draft-status" role="status">{status}</p>
        <p><a href=format!("/runbooks/{id}")>"Back to the runbook"</a></p>
        <details open=book.steps.is_empty()>
            <summary>"Title, tags, severity and summary"</summary>
            <ActionForm action=header attr:class="stack narrow" attr:id="runbook-header">
                <input type="hidden" name="id" value=id/>
                <label for="rb-title">"Title"</label>
                <input id="rb-title" name="title" value=book.title.clone() required/>
                <label for="rb-tags">"Scenario tags (comma-separated)"</label>
                <input id="rb-tags" name="tags" value=book.tags.join(", ")/>
                <label for="rb-severity">"Default severity"</label>
                <select id="rb-severity" name="severity">
                    {Severity::ALL.map(|s| view! { <option value=s.as_str() selected=s == book.severity>{s.title()}</option> }).collect_view()}
                </select>
                <label for="rb-summary">"Summary (Markdown)"</label>
                <textarea id="rb-summary" name="summary" rows="4">{book.summary.clone()}</textarea>
                <div><button type="submit">"Update details"</button></div>
            </ActionForm>
        </details>
        {Phase::ALL.map(|phase| view! { <PhaseEditor data=data.clone() phase/> }).collect_view()}
        <h2>"Add a step"</h2>
        <StepForm data=data.clone() step=None/>
        <TemplateLinks data=data.clone()/>
        <SaveVersion id has_draft=data.draft.is_some()/>
    }
}

#[component]
fn PhaseEditor(data: RunbookData, phase: Phase) -> impl IntoView {
    let id = data.id;
    let steps: Vec<Step> = data.runbook.phase_steps(phase).cloned().collect();
    let count = steps.len();
    let change = ServerAction::<ChangeStep>::new();
    view! {
        <section class="phase" data-phase=phase.as_str()>
            <h2>{phase.title()}</h2>
            {(count == 0).then(|| view! { <p class="empty">"No steps in this phase."</p> })}
            <ol class="steps">
                {steps.into_iter().enumerate().map(|(n, step)| {
                    let sid = step.id;
                    let label = format!("step {} of {}", n + 1, phase.title());
                    view! {
                        <li class="step" data-step=sid>
                            <p class="step-meta">
                                <span class="owner">{data.role_name(step.role_id)}</span>
                                {step.target_minutes.map(|m| format!(" · within {m} min"))}
                            </p>
                            <Markdown text=step.text.clone()/>
                            <ActionForm action=change attr:class="inline step-actions">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="step" value=sid/>
                                {(n > 0).then(|| view! { <button type="submit" class="small" name="change" value="up" aria-label=format!("Move {label} up")>"Up"</button> })}
                                {(n + 1 < count).then(|| view! { <button type="submit" class="small" name="change" value="down" aria-label=format!("Move {label} down")>"Down"</button> })}
                                <button type="submit" class="small" name="change" value="remove" aria-label=format!("Remove {label}")>"Remove"</button>
                            </ActionForm>
                            <details>
                                <summary>"Edit step"</summary>
                                <StepForm data=data.clone() step=Some(step)/>
                            </details>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn StepForm(data: RunbookData, step: Option<Step>) -> impl IntoView {
    let save = ServerAction::<SaveStep>::new();
    let key = step.as_ref().map_or("new".to_owned(), |s| s.id.to_string());
    let field = move |name: &str| format!("step-{}-{name}", key.clone());
    let form_id = field("form");
    let (phase, role, target, text) =
        step.as_ref()
            .map_or((Phase::Triage, 0, String::new(), String::new()), |s| {
                (
                    s.phase,
                    s.role_id,
                    s.target_minutes.map(|m| m.to_string()).unwrap_or_default(),
                    s.text.clone(),
                )
            });
    view! {
        <ActionForm action=save attr:class="stack narrow step-form" attr:id=form_id>
            <input type="hidden" name="id" value=data.id/>
            <input type="hidden" name="step" value=step.as_ref().map(|s| s.id.to_string()).unwrap_or_default()/>
            <label for=field("phase")>"Phase"</label>
            <select id=field("phase") name="phase">
                {Phase::ALL.map(|p| view! { <option value=p.as_str() selected=p == phase>{p.title()}</option> }).collect_view()}
            </select>
            <label for=field("role")>"Owning role"</label>
            <select id=field("role") name="role_id">
                {data.roles.iter().map(|(rid, name)| view! { <option value=*rid selected=*rid == role>{name.clone()}</option> }).collect_view()}
            </select>
            <label for=field("target")>"Target time (minutes from declaration, optional)"</label>
            <input id=field("target") name="target" inputmode="numeric" value=target/>
            <label for=field("text")>"What to do (Markdown)"</label>
            <textarea id=field("text") name="text" rows="4" required>{text}</textarea>
            <div><button type="submit">{if step.is_some() { "Update step" } else { "Add step" }}</button></div>
        </ActionForm>
    }
}

#[component]
fn TemplateLinks(data: RunbookData) -> impl IntoView {
    let link = ServerAction::<LinkTemplate>::new();
    let id = data.id;
    let linked = data.runbook.templates.clone();
    let others: Vec<(i64, String)> = data
        .templates
        .iter()
        .filter(|(t, _)| !linked.contains(t))
        .cloned()
        .collect();
    view! {
        <h2>"Customer notices"</h2>
        <ul class="linked-templates">
            {linked.clone().into_iter().map(|t| view! {
                <li>
                    {data.template_title(t).unwrap_or_else(|| "(removed template)".into())}" "
                    <ActionForm action=link attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="template" value=t/>
                        <button type="submit" class="small" name="change" value="unlink">"Unlink"</button>
                    </ActionForm>
                </li>
            }).collect_view()}
        </ul>
        {(!others.is_empty()).then(|| view! {
            <ActionForm action=link attr:class="inline-form">
                <input type="hidden" name="id" value=id/>
                <label for="link-template">"Notice template"</label>
                <select id="link-template" name="template">
                    {others.into_iter().map(|(t, name)| view! { <option value=t>{name}</option> }).collect_view()}
                </select>
                <button type="submit" name="change" value="link">"Link"</button>
            </ActionForm>
        })}
    }
}

#[component]
fn SaveVersion(id: i64, has_draft: bool) -> impl IntoView {
    let save = ServerAction::<SaveRunbook>::new();
    let discard = ServerAction::<DiscardDraft>::new();
    view! {
        <h2>"Save"</h2>
        <ActionForm action=save attr:class="stack narrow" attr:id="save-version">
            <input type="hidden" name="id" value=id/>
            <label for="change-note">"Change note"</label>
            <input id="change-note" name="note" required placeholder="What changed and why"/>
            <div><button type="submit">"Save as new version"</button></div>
        </ActionForm>
        {has_draft.then(|| view! {
            <ActionForm action=discard attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="secondary">"Discard unsaved changes"</button>
            </ActionForm>
        })}
    }
}
