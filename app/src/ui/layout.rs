use crate::environment::Environment;
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

/// One entry per area of the product, added as each area comes to exist.
const NAV: &[(&str, &str)] = &[("/", "Overview"), ("/notes", "Team notes")];

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <a class="brand" href="/">"Muster"</a>
            <nav aria-label="Main">
                <ul>
                    {NAV
                        .iter()
                        .map(|(href, label)| view! { <li><A href=*href>{*label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
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
