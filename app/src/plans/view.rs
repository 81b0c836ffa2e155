//! The list-and-search block of the runbooks and templates pages, and the
//! version history with its comparison (plain GET forms: no JavaScript).
use super::{
    api::{compare_versions, list_plans, version_history},
    DiffLine, Kind, PlanSummary,
};
use crate::fields::{id_param, query};
use crate::ui::{when, DataTable, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;

/// A search form and the matching plans of a kind.
#[component]
pub fn PlanList(kind: Kind) -> impl IntoView {
    let (q, tag) = (query("q"), query("tag"));
    let (q2, tag2) = (q.clone(), tag.clone());
    let base = kind.base_path();
    view! {
        <form method="get" action=base class="inline-form search" role="search">
            <label for="q">"Search"</label>
            <input id="q" name="q" type="search" value=q placeholder="title or text"/>
            <label for="tag">"Tag"</label>
            <input id="tag" name="tag" value=tag placeholder="e.g. stripe"/>
            <button type="submit">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let (q, tag) = (q2.clone(), tag2.clone());
                Suspend::new(async move {
                    match list_plans(kind, q, tag).await {
                        Ok(plans) => view! { <PlanTable kind plans/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn PlanTable(kind: Kind, plans: Vec<PlanSummary>) -> impl IntoView {
    if plans.is_empty() {
        return view! { <p class="empty">"Nothing matches."</p> }.into_any();
    }
    let headers = kind.info().list_headers;
    let needs_approval = kind.info().needs_approval;
    view! {
        <DataTable id="plans" headers>
            {plans.into_iter().map(|p| {
                let href = format!("{}/{}", kind.base_path(), p.id);
                let version = match (needs_approval, p.approved) {
                    (true, Some(a)) if a == p.latest => format!("v{} (approved)", p.latest),
                    (true, Some(a)) => format!("v{} (v{a} approved)", p.latest),
                    (true, None) => format!("v{} (not approved)", p.latest),
                    (false, _) => format!("v{}", p.latest),
                };
                let title = p.title.clone();
                view! {
                    <tr data-title=title>
                        <td><a href=href>{p.title}</a></td>
                        <td>{p.tags.iter().map(|t| view! {
                            <a class="tag" href=format!("{}?tag={t}", kind.base_path())>{t.clone()}</a>" "
                        }).collect_view()}</td>
                        <td>{p.label}</td>
                        <td>{version}</td>
                        <td>{format!("{} by {}", when(p.updated_at), p.updated_by)}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}

/// Every version of a runbook or template, and the differences between
/// the two chosen (by default the last two).
#[component]
pub fn HistoryPage(kind: Kind) -> impl IntoView {
    let id = id_param();
    let (from, to) = (
        query("from").parse::<i64>().ok(),
        query("to").parse::<i64>().ok(),
    );
    view! {
        <Title text="Version history"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (title, versions) = match version_history(kind, id).await {
                    Ok(found) => found,
                    Err(error) => return view! { <ErrorNotice error/> }.into_any(),
                };
                let latest = versions.first().map_or(1, |v| v.version);
                let to = to.unwrap_or(latest);
                let from = from.unwrap_or((to - 1).max(1));
                let diff = compare_versions(kind, id, from, to).await;
                let base = format!("{}/{id}", kind.base_path());
                let options = move |chosen: i64| {
                    (1..=latest).rev().map(|v| view! { <option value=v selected=v == chosen>{format!("Version {v}")}</option> }).collect_view()
                };
                view! {
                    <h1>{format!("History of {title}")}</h1>
                    <p><a href=base.clone()>{format!("Back to {title}")}</a></p>
                    <form method="get" action=format!("{base}/history") class="inline-form compare">
                        <label for="from">"Compare"</label>
                        <select id="from" name="from">{options(from)}</select>
                        <label for="to">"with"</label>
                        <select id="to" name="to">{options(to)}</select>
                        <button type="submit">"Compare"</button>
                    </form>
                    <h2>{format!("Changes from version {from} to version {to}")}</h2>
                    {match diff {
                        Ok(lines) => view! { <Diff lines/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }}
                    <h2>"Versions"</h2>
                    <DataTable id="versions" headers=&["Version", "Saved", "By", "Change note", "Approved"]>
                        {versions.into_iter().map(|v| view! {
                            <tr>
                                <td><a href=format!("{base}/versions/{}", v.version)>{format!("Version {}", v.version)}</a></td>
                                <td>{when(v.created_at)}</td>
                                <td>{v.author}</td>
                                <td>{v.note}</td>
                                <td>{match (v.approved_by, v.approved_at) {
                                    (Some(by), Some(at)) => format!("{} by {by}", when(at)),
                                    _ => String::new(),
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </DataTable>
                }
                .into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Diff(lines: Vec<DiffLine>) -> impl IntoView {
    if lines.is_empty() {
        return view! { <p class="empty">"These versions are the same."</p> }.into_any();
    }
    view! {
        <div class="diff" role="table" aria-label="Differences">
            {lines.into_iter().map(|line| {
                let (class, mark, text) = match line {
                    DiffLine::Same(t) => ("same", " ", t),
                    DiffLine::Removed(t) => ("removed", "−", t),
                    DiffLine::Added(t) => ("added", "+", t),
                    DiffLine::Skipped(n) => ("skipped", "…", format!("{n} unchanged lines")),
                };
                let label = match class { "removed" => "Removed: ", "added" => "Added: ", _ => "" };
                view! {
                    <div class=format!("diff-line {class}") role="row">
                        <span class="mark" aria-hidden="true">{mark}</span>
                        <span class="visually-hidden">{label}</span>
                        <span class="text">{text}</span>
                    </div>
                }
            }).collect_view()}
        </div>
    }
    .into_any()
}
