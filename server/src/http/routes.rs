//! The routes that are not Leptos pages, gathered from each domain's own
//! `routes()`. The access table in `app::auth::guard` must name every one
//! (a test compares the two, and the gate refuses any it does not name).
pub use crate::state::Route;

pub fn all() -> Vec<Route> {
    [
        crate::http::health::routes(),
        crate::http::export::routes(),
        crate::http::review_export::routes(),
        crate::http::live::routes(),
        crate::http::event_upload::routes(),
        crate::http::hooks::routes(),
        crate::http::calendar::routes(),
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
