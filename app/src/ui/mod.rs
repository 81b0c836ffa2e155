//! Pieces of UI shared by every domain.
mod layout;
mod notice;

pub use layout::{EnvironmentBanner, Footer, Header};
pub use notice::ErrorNotice;
