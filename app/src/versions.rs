//! Version history and comparison for every kind of plan. The store
//! (`plans`) keeps versions without knowing what they hold; each domain
//! gives the text of its own versions (runbooks, notice templates,
//! scenarios) and says who may read them; this module, above them all,
//! puts the two together. Plain GET forms: no JavaScript.
use crate::{
    error::AppError,
    fields::{id_param, query},
    plans::{DiffLine, Kind, VersionInfo},
    ui::{when, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[server(prefix = "/api", endpoint = "plans/history")]
pub async fn version_history(kind: Kind, id: i64) -> Result<(String, Vec<VersionInfo>), AppError> {
    let (state, caller) = crate::auth::guard::require::<VersionHistory>().await?;
    let mut conn = state.db.read.acquire().await?;
    server::may_read(&mut conn, kind, id, &caller).await?;
    let versions = crate::plans::db::history(&mut conn, kind, id).await?;
    let title = crate::plans::db::title(&mut conn, kind, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("That {}", kind.as_str())))?;
    Ok((title, versions))
}

#[server(prefix = "/api", endpoint = "plans/compare")]
pub async fn compare_versions(
    kind: Kind,
    id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<DiffLine>, AppError> {
    let (state, caller) = crate::auth::guard::require::<CompareVersions>().await?;
    let mut conn = state.db.read.acquire().await?;
    server::may_read(&mut conn, kind, id, &caller).await?;
    let old = server::text(&mut conn, kind, id, from).await?;
    let new = server::text(&mut conn, kind, id, to).await?;
    Ok(crate::plans::diff(&old, &new))
}

#[cfg(feature = "ssr")]
mod server {
    use crate::{auth::Caller, error::AppError, plans::Kind};
    use sqlx::SqliteConnection;

    /// Refuses what the plan's own domain keeps from `caller` (a scenario
    /// while it is hidden from its players).
    pub async fn may_read(
        conn: &mut SqliteConnection,
        kind: Kind,
        id: i64,
        caller: &Caller,
    ) -> Result<(), AppError> {
        match kind {
            Kind::Scenario => crate::drills::db::may_read_scenario(conn, id, caller).await,
            Kind::Runbook | Kind::Template => Ok(()),
        }
    }

    /// One version as text to compare, as its domain writes it.
    pub async fn text(
        conn: &mut SqliteConnection,
        kind: Kind,
        id: i64,
        version: i64,
    ) -> Result<String, AppError> {
        let text = match kind {
            Kind::Runbook => crate::runbooks::version_text(conn, id, version).await?,
            Kind::Template => crate::notices::version_text(conn, id, version).await?,
            Kind::Scenario => crate::drills::version_text(conn, id, version).await?,
        };
        text.ok_or_else(|| AppError::NotFound(format!("Version {version}")))
    }
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
