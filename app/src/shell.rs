//! The document shell and the router: every page gets the environment
//! banner, the header, one main landmark and the footer.
use crate::{
    environment::Environment,
    notes::NotesPage,
    ui::{EnvironmentBanner, Footer, Header},
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Provided by the server from its settings; pages never read globals.
    let environment = use_context::<Environment>().unwrap_or_default();
    view! {
        <Stylesheet id="muster-css" href="/pkg/muster.css"/>
        <Title formatter=move |page: String| title_for(&page, environment)/>
        <Router>
            <EnvironmentBanner environment/>
            <Header/>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Overview ssr=SsrMode::Async/>
                    <Route path=path!("/notes") view=NotesPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <Footer/>
        </Router>
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
fn Overview() -> impl IntoView {
    view! {
        <Title text=""/>
        <h1>"Muster"</h1>
        <p class="lede">
            "Runbooks, incident roles and customer notices, rehearsed in drills and ready when \
             the real thing happens."
        </p>
        <ul class="cards">
            <li class="card">
                <h2><a href="/notes">"Team notes"</a></h2>
                <p>"Leave a short note for whoever is on call."</p>
            </li>
        </ul>
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
