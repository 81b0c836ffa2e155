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

/// The site header: the skip link, the brand, the given navigation links
/// (`href`, label) and, at the end, `children` (the signed-in person's
/// menu). What to link is the shell's to say; the header only draws it.
#[component]
pub fn Header(links: Vec<(&'static str, &'static str)>, children: Children) -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <a class="brand" href="/">"Muster"</a>
            {(!links.is_empty()).then(|| view! {
                <nav aria-label="Main">
                    <ul>
                        {links
                            .into_iter()
                            .map(|(href, label)| view! { <li><A href=href>{label}</A></li> })
                            .collect_view()}
                    </ul>
                </nav>
            })}
            {children()}
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
