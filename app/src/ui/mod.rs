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

/// A moment as every page shows it.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
