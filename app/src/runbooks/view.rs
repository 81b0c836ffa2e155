//! The runbooks list (search, new runbook) and one runbook as responders
//! read it: phases, steps with owner and target time, linked notices.
use super::{api::get_runbook, api::RunbookData, CreateRunbook, Phase};
use crate::{
    auth::{caller_may, Role},
    fields::id_param,
    plans::{Kind, PlanList},
    ui::{returned_error, when, ErrorNotice, Markdown},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn RunbooksPage() -> impl IntoView {
    let create = ServerAction::<CreateRunbook>::new();
    let error = returned_error(create);
    view! {
        <Title text="Runbooks"/>
        <h1>"Runbooks"</h1>
        <p class="lede">"What to do, step by step, when a known kind of incident starts."</p>
        {error}
        {caller_may(Role::Editor).then(|| view! {
            <ActionForm action=create attr:class="inline-form new-plan">
                <label for="new-title">"New runbook"</label>
                <input id="new-title" name="title" required placeholder="e.g. Payment provider outage"/>
                <button type="submit">"Create"</button>
            </ActionForm>
        })}
        <PlanList kind=Kind::Runbook/>
        <p><a href="/plans">"Import or export runbooks and templates"</a></p>
    }
}

/// The latest version, or the one in the address (`/versions/:version`).
#[component]
pub fn RunbookPage() -> impl IntoView {
    let id = id_param();
    let version =
        use_params_map().with_untracked(|p| p.get("version").and_then(|v| v.parse::<i64>().ok()));
    let editor = caller_may(Role::Editor);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match get_runbook(id, version).await {
                    Ok(data) => view! { <RunbookBody data editor/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RunbookBody(data: RunbookData, editor: bool) -> impl IntoView {
    let book = data.runbook.clone();
    let base = format!("/runbooks/{}", data.id);
    let old = data.info.version != data.latest;
    let title = book.title.clone();
    view! {
        <Title text=title.clone()/>
        <h1>{title}</h1>
        {old.then(|| view! {
            <p class="warn" role="note">{format!("This is version {} of {}. ", data.info.version, data.latest)}
                <a href=base.clone()>"See the latest version"</a></p>
        })}
        <p class="meta">
            <span class=format!("severity {}", book.severity.as_str())>{book.severity.title()}</span>" "
            {book.tags.iter().map(|t| view! { <a class="tag" href=format!("/runbooks?tag={t}")>{t.clone()}</a>" " }).collect_view()}
        </p>
        <p class="meta">{format!("Version {} saved {} by {}: {}", data.info.version, when(data.info.created_at), data.info.author, data.info.note)}</p>
        <p class="actions">
            {(editor && !old).then(|| view! { <a class="button" href=format!("{base}/edit")>"Edit"</a>" " })}
            <a href=format!("{base}/history")>"History and changes"</a>
        </p>
        <Markdown text=book.summary.clone()/>
        <RunbookSteps data=data.clone()/>
        <h2>"Customer notices"</h2>
        {if book.templates.is_empty() {
            view! { <p class="empty">"No notice templates linked."</p> }.into_any()
        } else {
            view! {
                <ul class="linked-templates">
                    {book.templates.iter().map(|t| match data.template_title(*t) {
                        Some(name) => view! { <li><a href=format!("/notices/{t}")>{name}</a></li> }.into_any(),
                        None => view! { <li>"(removed template)"</li> }.into_any(),
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

/// The steps by phase, as read during an incident.
#[component]
pub fn RunbookSteps(data: RunbookData) -> impl IntoView {
    let book = data.runbook.clone();
    if book.steps.is_empty() {
        return view! { <p class="empty">"No steps yet."</p> }.into_any();
    }
    Phase::ALL
        .into_iter()
        .filter(|p| book.phase_steps(*p).next().is_some())
        .map(|phase| {
            view! {
                <section class="phase" data-phase=phase.as_str()>
                    <h2>{phase.title()}</h2>
                    <ol class="steps">
                        {book.phase_steps(phase).map(|step| view! {
                            <li class="step" data-step=step.id>
                                <p class="step-meta">
                                    <span class="owner">{data.role_name(step.role_id)}</span>
                                    {step.target_minutes.map(|m| format!(" · within {m} min"))}
                                </p>
                                <Markdown text=step.text.clone()/>
                            </li>
                        }).collect_view()}
                    </ol>
                </section>
            }
        })
        .collect_view()
        .into_any()
}
