//! The routes that are not Leptos pages, gathered from each domain's own
//! `routes()`. The access table in `app::auth::guard` must name every one
//! (a test compares the two, and the gate refuses any it does not name).
use crate::state::ServerState;
use axum::routing::MethodRouter;

/// A path in the router's syntax (`{id}`) and what answers it.
pub type Route = (&'static str, MethodRouter<ServerState>);

pub fn all() -> Vec<Route> {
    [
        crate::health::routes(),
        crate::export::routes(),
        crate::review_export::routes(),
        crate::live::routes(),
        crate::event_upload::routes(),
        crate::hooks::routes(),
        crate::calendar::routes(),
        crate::backup::drill::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A router path written as the access table writes it (`:id`).
pub fn table_syntax(path: &str) -> String {
    path.replace('{', ":").replace('}', "")
}
