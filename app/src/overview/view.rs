//! The home page's blocks. Each one is a card with a heading that links to
//! its page, and a plain sentence when there is nothing to show.
use super::api::{get_home, Home};
use crate::{
    drills::{schedule_view::dates, trend::charts},
    ui::ErrorNotice,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text=""/>
        <h1>"Muster"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match get_home().await {
                    Ok(home) => blocks(home).into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn empty(id: &'static str, text: &'static str) -> AnyView {
    view! { <p class="empty" id=id>{text}</p> }.into_any()
}

fn blocks(h: Home) -> impl IntoView {
    let open = if h.open.is_empty() {
        empty("open-incidents", "No open incidents.")
    } else {
        view! {
            <ul id="open-incidents" class="home-list">
                {h.open.into_iter().map(|i| view! {
                    <li>
                        <a href=format!("/incidents/{}", i.id)>{i.title}</a>
                        <span class=format!("status-badge status-{}", i.status.as_str())>{i.status.title()}</span>
                        " " {i.severity.as_str().to_uppercase()}
                        " · open " <strong>{i.duration}</strong>
                        {format!(" · commander: {}", i.commander.unwrap_or_else(|| "nobody yet".into()))}
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let waiting = if h.waiting.is_empty() {
        empty("waiting-notices", "No notices are waiting for you.")
    } else {
        view! {
            <ul id="waiting-notices" class="home-list">
                {h.waiting.into_iter().map(|w| view! {
                    <li>
                        <a href=format!("/incidents/{}", w.incident_id)>{w.incident}</a>
                        {format!(": {} notice drafted by {}", w.stage, w.drafted_by)}
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let gaps = if h.without_primary.is_empty() && h.without_backup.is_empty() {
        empty("roster-gaps", "Every role has a primary and a backup.")
    } else {
        view! {
            <ul id="roster-gaps" class="home-list">
                {(!h.without_primary.is_empty()).then(|| view! { <li class="warn">{format!("No primary: {}", h.without_primary.join(", "))}</li> })}
                {(!h.without_backup.is_empty()).then(|| view! { <li>{format!("No backup: {}", h.without_backup.join(", "))}</li> })}
            </ul>
        }
        .into_any()
    };
    let actions = if h.actions.is_empty() {
        empty("open-actions", "No open action items.")
    } else {
        view! {
            <ul id="open-actions" class="home-list">
                {h.actions.into_iter().map(|a| view! {
                    <li class=if a.overdue { "late" } else { "" }>
                        <a href=a.link>{a.title}</a>
                        {format!(" · {} · due {}{}", a.owner, a.due_on, if a.overdue { " (overdue)" } else { "" })}
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let backups = h.backups.map(|b| {
        use crate::backups::view::{last_backup_text, last_drill_text};
        view! {
            <section class="card" aria-labelledby="home-backups">
                <h2 id="home-backups"><a href="/admin/backups">"Backups"</a></h2>
                {b.backup_warning.clone().map(|w| view! { <p class="warn" id="backup-warning" role="alert">{w}</p> })}
                <p id="backup-last">{last_backup_text(&b)}</p>
                <p id="drill-last">{last_drill_text(&b)}</p>
            </section>
        }
    });
    view! {
        <div class="home-grid">
            {backups}
            <section class="card" aria-labelledby="home-incidents">
                <h2 id="home-incidents"><a href="/incidents">"Open incidents"</a></h2>
                {open}
            </section>
            <section class="card" aria-labelledby="home-approvals">
                <h2 id="home-approvals"><a href="/incidents">"Waiting for your approval"</a></h2>
                {waiting}
            </section>
            <section class="card" aria-labelledby="home-roster">
                <h2 id="home-roster"><a href="/roster">"Roster gaps"</a></h2>
                {gaps}
            </section>
            <section class="card" aria-labelledby="home-drills">
                <h2 id="home-drills"><a href="/drills">"Drills"</a></h2>
                <h3>"Overdue"</h3>
                {dates("home-overdue", h.overdue, "Nothing overdue.")}
                <h3>"Coming up"</h3>
                {dates("home-upcoming", h.upcoming, "No drills coming up.")}
            </section>
            <section class="card" aria-labelledby="home-actions">
                <h2 id="home-actions"><a href="/actions">"Open action items"</a></h2>
                {actions}
            </section>
            <section class="card wide" aria-labelledby="home-trend">
                <h2 id="home-trend"><a href="/drills">"Time to commander and first notice"</a></h2>
                {charts(h.trends)}
            </section>
            <section class="card" aria-labelledby="home-notes">
                <h2 id="home-notes"><a href="/notes">"Team notes"</a></h2>
                <p>"Leave a short note for whoever is on call."</p>
            </section>
        </div>
    }
}
