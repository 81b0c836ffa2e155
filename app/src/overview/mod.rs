//! The home page: what a responder opens first. Open incidents with their
//! clock and commander, notices waiting for the reader's approval, gaps in
//! the roster, drills coming up and overdue, open action items, and each
//! runbook's trend. Every block links to its page and says plainly when it
//! is empty. Drawn on the server; nothing here runs in the browser.
mod api;
mod view;

pub use api::{GetHome, Home};
pub use view::HomePage;
