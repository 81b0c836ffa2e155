//! The list-and-search block of the runbooks and templates pages (a plain
//! GET form: no JavaScript). Version history is `versions`, above the
//! domains whose versions it shows.
use super::{api::list_plans, Kind, PlanSummary};
use crate::fields::query;
use crate::ui::{when, DataTable, ErrorNotice};
use leptos::prelude::*;

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
