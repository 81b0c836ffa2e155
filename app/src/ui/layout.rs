use crate::{
    auth::{Caller, Role, UserMenu},
    environment::Environment,
};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn EnvironmentBanner(environment: Environment) -> impl IntoView {
    environment.banner().map(|text| {
        view! {
            <div class=format!("env-banner env-{}", environment.as_str()) role="note">
                <strong>{text}</strong>
            </div>
        }
    })
}

/// One entry per area of the product, added as each area comes to exist,
/// with the least role that may open it.
const NAV: &[(&str, &str, Role)] = &[
    ("/", "Overview", Role::Viewer),
    ("/notes", "Team notes", Role::Viewer),
    ("/incidents", "Incidents", Role::Viewer),
    ("/runbooks", "Runbooks", Role::Viewer),
    ("/notices", "Notices", Role::Viewer),
    ("/roster", "Roster", Role::Viewer),
    ("/roster/roles", "Incident roles", Role::Viewer),
    ("/admin/users", "Accounts", Role::Admin),
    ("/admin/tokens", "API tokens", Role::Admin),
    ("/admin/audit", "Audit log", Role::Admin),
];

#[component]
pub fn Header(caller: Caller) -> impl IntoView {
    let role = caller.role();
    view! {
        <header class="site-header">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <a class="brand" href="/">"Muster"</a>
            {role.map(|role| view! {
                <nav aria-label="Main">
                    <ul>
                        {NAV
                            .iter()
                            .filter(|(_, _, least)| role >= *least)
                            .map(|(href, label, _)| view! { <li><A href=*href>{*label}</A></li> })
                            .collect_view()}
                    </ul>
                </nav>
            })}
            <UserMenu caller/>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>"Muster " <span class="version">{crate::VERSION}</span></p>
        </footer>
    }
}
