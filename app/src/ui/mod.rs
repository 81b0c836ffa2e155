//! Pieces of UI shared by every domain.
mod layout;
mod markdown;
mod notice;
mod table;

pub use layout::{EnvironmentBanner, Footer, Header};
#[cfg(feature = "ssr")]
pub use markdown::safe_html;
pub use markdown::Markdown;
pub use notice::{returned_error, ErrorNotice};
pub use table::DataTable;

/// The value of an island's `data-hydrated` attribute: "false" in the
/// server's HTML, "true" once the island runs in the browser, so tests (and
/// people reading the page source) can tell the two apart.
pub fn hydrated_marker() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    use leptos::prelude::*;
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    move || hydrated.get().to_string()
}

/// A moment as every page shows it.
pub use crate::clock::when;
