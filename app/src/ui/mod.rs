//! Pieces of UI shared by every domain.
mod layout;
mod notice;
mod table;

pub use layout::{EnvironmentBanner, Footer, Header};
pub use notice::{returned_error, ErrorNotice};
pub use table::DataTable;
