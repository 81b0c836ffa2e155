//! The audit page: filter by actor, action and time; export what is shown.
use super::{api::list_audit, AuditFilter, Entry};
use crate::ui::{DataTable, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = query.with_untracked(|q| AuditFilter {
        actor: q.get("actor").unwrap_or_default(),
        action: q.get("action").unwrap_or_default(),
        since: q.get("since").unwrap_or_default(),
        until: q.get("until").unwrap_or_default(),
    });
    let export = format!(
        "/admin/audit/export?{}",
        query.with_untracked(|q| q.to_query_string().trim_start_matches('?').to_owned())
    );
    view! {
        <Title text="Audit log"/>
        <h1>"Audit log"</h1>
        <p class="lede">
            "Every change and every refusal, newest first. Entries cannot be edited or removed; each is chained to the one before it."
        </p>
        <FilterForm filter=filter.clone()/>
        <p><a href=export download="muster-audit.jsonl">"Export these entries as JSON lines"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let filter = filter.clone();
                Suspend::new(async move {
                    match list_audit(filter).await {
                        Ok(entries) => view! { <AuditTable entries/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn FilterForm(filter: AuditFilter) -> impl IntoView {
    view! {
        <form method="get" action="/admin/audit" class="filters">
            <div class="stack">
                <label for="f-actor">"Actor"</label>
                <input id="f-actor" name="actor" value=filter.actor placeholder="user:ops@example.com"/>
            </div>
            <div class="stack">
                <label for="f-action">"Action starts with"</label>
                <input id="f-action" name="action" value=filter.action placeholder="session."/>
            </div>
            <div class="stack">
                <label for="f-since">"From (UTC)"</label>
                <input id="f-since" name="since" value=filter.since placeholder="2026-11-01"/>
            </div>
            <div class="stack">
                <label for="f-until">"Before (UTC)"</label>
                <input id="f-until" name="until" value=filter.until placeholder="2026-12-01"/>
            </div>
            <div class="filter-actions"><button type="submit">"Filter"</button></div>
        </form>
    }
}

#[component]
fn AuditTable(entries: Vec<Entry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="empty">"No entries match."</p> }.into_any();
    }
    view! {
        <DataTable id="audit-log" class="audit" headers=&["#", "Time (UTC)", "Actor", "Action", "Target", "Outcome", "Reason", "Request"]>
                    {entries
                        .into_iter()
                        .map(|e| {
                            let class = format!("outcome-{}", e.outcome);
                            view! {
                                <tr class=class>
                                    <td>{e.id}</td>
                                    <td><time datetime=e.at.clone()>{e.at.replace('T', " ").chars().take(19).collect::<String>()}</time></td>
                                    <td>{e.actor}</td>
                                    <td><code>{e.action}</code></td>
                                    <td>{e.target}</td>
                                    <td>{e.outcome}</td>
                                    <td>{e.reason}</td>
                                    <td><code class="rid">{e.request_id}</code></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
    }
    .into_any()
}
