//! The document shell and the router: every page gets the environment
//! banner, the header, one main landmark and the footer.
use crate::{
    audit::AuditPage,
    auth::{
        caller_may, current_caller, AccountPage, Forbidden, Role, SetupPage, SignInPage,
        TokensPage, UserMenu, UsersPage,
    },
    environment::Environment,
    notes::NotesPage,
    plans::Kind,
    ui::{returned_error, EnvironmentBanner, Footer, Header},
    versions::HistoryPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// Offered on a resolved real incident: writing its review (responders),
/// replaying it as a drill scenario (editors).
fn incident_offers(page: &crate::incidents::IncidentView) -> AnyView {
    use crate::incidents::Status;
    let id = page.incident.id;
    let resolved_real =
        page.incident.status == Status::Resolved && page.incident.drill_run.is_none();
    let review = (resolved_real && caller_may(Role::Responder)).then(|| {
        let start = ServerAction::<crate::reviews::StartReview>::new();
        view! {
            <ActionForm action=start attr:class="inline" attr:id="review-form">
                <input type="hidden" name="incident" value=id/>
                <button type="submit">"Write the review"</button>
            </ActionForm>
        }
    });
    let replay = (resolved_real && caller_may(Role::Editor)).then(|| {
        let replay = ServerAction::<crate::drills::ReplayIncident>::new();
        view! {
            <ActionForm action=replay attr:class="inline" attr:id="replay-form">
                <input type="hidden" name="incident" value=id/>
                <button type="submit">"Replay as a drill scenario"</button>
            </ActionForm>
        }
    });
    let refused = returned_error(ServerAction::<crate::drills::ReplayIncident>::new());
    view! { {refused} {review} {replay} }.into_any()
}

/// Offered on the report of an ended drill: writing the review of its
/// drill incident (responders).
fn report_offers(report: &crate::drills::report::Report) -> AnyView {
    let ended = report.run.state == crate::drills::RunState::Ended;
    (ended && caller_may(Role::Responder))
        .then_some(report.run.incident_id)
        .flatten()
        .map(|incident| {
            let start = ServerAction::<crate::reviews::StartReview>::new();
            view! {
                <ActionForm action=start attr:class="inline no-print" attr:id="review-form">
                    <input type="hidden" name="incident" value=incident/>
                    <button type="submit">"Write the review"</button>
                </ActionForm>
            }
        })
        .into_any()
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// One entry per area of the product, added as each area comes to exist,
/// with the least role that may open it.
const NAV: &[(&str, &str, Role)] = &[
    ("/", "Overview", Role::Viewer),
    ("/notes", "Team notes", Role::Viewer),
    ("/incidents", "Incidents", Role::Viewer),
    ("/drills", "Drills", Role::Viewer),
    ("/reviews", "Reviews", Role::Viewer),
    ("/actions", "Action items", Role::Viewer),
    ("/events", "Audit events", Role::Viewer),
    ("/runbooks", "Runbooks", Role::Viewer),
    ("/notices", "Notices", Role::Viewer),
    ("/roster", "Roster", Role::Viewer),
    ("/roster/roles", "Incident roles", Role::Viewer),
    ("/routing", "Routing", Role::Editor),
    ("/admin/users", "Accounts", Role::Admin),
    ("/admin/tokens", "API tokens", Role::Admin),
    ("/admin/audit", "Audit log", Role::Admin),
    ("/admin/channels", "Channels", Role::Admin),
    ("/admin/backups", "Backups", Role::Admin),
];

/// The areas this role may open (none before signing in).
fn nav_for(role: Option<Role>) -> Vec<(&'static str, &'static str)> {
    NAV.iter()
        .filter(|(_, _, least)| role.is_some_and(|role| role >= *least))
        .map(|(href, label, _)| (*href, *label))
        .collect()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Provided by the server from its settings; pages never read globals.
    let environment = use_context::<Environment>().unwrap_or_default();
    let caller = current_caller();
    let links = nav_for(caller.role());
    set_security_policy();
    view! {
        <Stylesheet id="muster-css" href="/pkg/muster.css"/>
        <Title formatter=move |page: String| title_for(&page, environment)/>
        <Router>
            <EnvironmentBanner environment/>
            <Header links>
                <UserMenu caller/>
            </Header>
            <main id="main" tabindex="-1">
                {if page_refused() {
                    view! { <Forbidden/> }.into_any()
                } else {
                    view! {
                        <Routes fallback=NotFound>
                            <Route path=path!("/") view=crate::overview::HomePage ssr=SsrMode::Async/>
                            <Route path=path!("/notes") view=NotesPage ssr=SsrMode::Async/>
                            <Route path=path!("/roster") view=crate::roster::RosterPage ssr=SsrMode::Async/>
                            <Route path=path!("/roster/roles") view=crate::roster::RolesPage ssr=SsrMode::Async/>
                            <Route path=path!("/runbooks") view=crate::runbooks::RunbooksPage ssr=SsrMode::Async/>
                            <Route path=path!("/runbooks/:id") view=crate::runbooks::RunbookPage ssr=SsrMode::Async/>
                            <Route path=path!("/runbooks/:id/edit") view=crate::runbooks::RunbookEditPage ssr=SsrMode::Async/>
                            <Route path=path!("/runbooks/:id/history") view=|| view! { <HistoryPage kind=Kind::Runbook/> } ssr=SsrMode::Async/>
                            <Route path=path!("/runbooks/:id/versions/:version") view=crate::runbooks::RunbookPage ssr=SsrMode::Async/>
                            <Route path=path!("/notices") view=crate::notices::NoticesPage ssr=SsrMode::Async/>
                            <Route path=path!("/notices/:id") view=crate::notices::NoticePage ssr=SsrMode::Async/>
                            <Route path=path!("/notices/:id/history") view=|| view! { <HistoryPage kind=Kind::Template/> } ssr=SsrMode::Async/>
                            <Route path=path!("/notices/:id/versions/:version") view=crate::notices::NoticePage ssr=SsrMode::Async/>
                            <Route path=path!("/plans") view=crate::plan_file::PlansPage ssr=SsrMode::Async/>
                            <Route path=path!("/drills") view=crate::drills::DrillsPage ssr=SsrMode::Async/>
                            <Route path=path!("/drills/runs/:id") view=crate::drills::RunPage ssr=SsrMode::Async/>
                            <Route path=path!("/drills/runs/:id/report") view=|| view! { <crate::drills::ReportPage offers=report_offers/> } ssr=SsrMode::Async/>
                            <Route path=path!("/actions") view=crate::actions::ActionsPage ssr=SsrMode::Async/>
                            <Route path=path!("/reviews") view=crate::reviews::ReviewsPage ssr=SsrMode::Async/>
                            <Route path=path!("/reviews/:id") view=crate::reviews::ReviewPage ssr=SsrMode::Async/>
                            <Route path=path!("/drills/scenarios/new") view=crate::drills::ScenarioEditPage ssr=SsrMode::Async/>
                            <Route path=path!("/drills/scenarios/:id") view=crate::drills::ScenarioPage ssr=SsrMode::Async/>
                            <Route path=path!("/drills/scenarios/:id/edit") view=crate::drills::ScenarioEditPage ssr=SsrMode::Async/>
                            <Route path=path!("/drills/scenarios/:id/history") view=|| view! { <HistoryPage kind=Kind::Scenario/> } ssr=SsrMode::Async/>
                            <Route path=path!("/drills/scenarios/:id/versions/:version") view=crate::drills::ScenarioPage ssr=SsrMode::Async/>
                            <Route path=path!("/incidents") view=crate::incidents::IncidentsPage ssr=SsrMode::Async/>
                            <Route path=path!("/incidents/:id") view=|| view! { <crate::incidents::IncidentPage offers=incident_offers/> } ssr=SsrMode::Async/>
                            <Route path=path!("/incidents/:id/evidence") view=crate::incidents::evidence::EvidencePage ssr=SsrMode::Async/>
                            <Route path=path!("/events") view=|| view! { <crate::events::EventsPage links=crate::incidents::evidence::link_offers()/> } ssr=SsrMode::Async/>
                            <Route path=path!("/events/:id") view=|| view! { <crate::events::EventPage links=crate::incidents::evidence::link_offers()/> } ssr=SsrMode::Async/>
                            <Route path=path!("/imports") view=crate::events::ImportPage ssr=SsrMode::Async/>
                            <Route path=path!("/imports/:id") view=crate::events::ImportReportPage ssr=SsrMode::Async/>
                            <Route path=path!("/alerts") view=crate::alerts::AlertsPage ssr=SsrMode::Async/>
                            <Route path=path!("/alerts/:id") view=|| view! { <crate::alerts::AlertPage offers=crate::incidents::from_alert::offer/> } ssr=SsrMode::Async/>
                            <Route path=path!("/alert-rules") view=crate::alerts::RulesPage ssr=SsrMode::Async/>
                            <Route path=path!("/sources") view=crate::hooks::SourcesPage ssr=SsrMode::Async/>
                            <Route path=path!("/sources/:name") view=crate::hooks::SourcePage ssr=SsrMode::Async/>
                            <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                            <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async/>
                            <Route path=path!("/sign-in/mfa") view=crate::auth::mfa::MfaSignInPage ssr=SsrMode::Async/>
                            <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                            <Route path=path!("/admin/users") view=UsersPage ssr=SsrMode::Async/>
                            <Route path=path!("/admin/tokens") view=TokensPage ssr=SsrMode::Async/>
                            <Route path=path!("/admin/audit") view=AuditPage ssr=SsrMode::Async/>
                            <Route path=path!("/admin/backups") view=crate::backups::view::BackupsPage ssr=SsrMode::Async/>
                            <Route path=path!("/admin/channels") view=crate::reach::ChannelsPage ssr=SsrMode::Async/>
                            <Route path=path!("/admin/channels/:name") view=crate::reach::ChannelPage ssr=SsrMode::Async/>
                            <Route path=path!("/routing") view=crate::reach::RoutingPage ssr=SsrMode::Async/>
                            <Route path=path!("/ack") view=crate::reach::AckPage ssr=SsrMode::Async/>
                        </Routes>
                    }
                        .into_any()
                }}
            </main>
            <Footer/>
        </Router>
    }
}

fn page_refused() -> bool {
    #[cfg(feature = "ssr")]
    {
        crate::auth::guard::page_refused()
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// The Content-Security-Policy for pages: scripts only from here or with
/// this response's nonce (the island loader), WebAssembly allowed, nothing
/// framed, forms posted only here.
fn set_security_policy() {
    #[cfg(feature = "ssr")]
    if let (Some(res), Some(nonce)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        leptos::nonce::use_nonce(),
    ) {
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// Non-production tabs say where they are, so two open tabs are never confused.
fn title_for(page: &str, environment: Environment) -> String {
    let base = if page.is_empty() {
        "Muster".to_owned()
    } else {
        format!("{page} · Muster")
    };
    match environment {
        Environment::Production => base,
        other => format!("[{}] {base}", other.as_str().to_uppercase()),
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <h1>"Page not found"</h1>
        <p>"There is nothing at this address. " <a href="/">"Go to the overview"</a> "."</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_non_production_environments() {
        assert_eq!(
            title_for("Team notes", Environment::Production),
            "Team notes · Muster"
        );
        assert_eq!(title_for("", Environment::Staging), "[STAGING] Muster");
    }
}
