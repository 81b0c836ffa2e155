//! Muster's Leptos application: pages render on the server; only the parts
//! marked `#[island]` hydrate in the browser (see DESIGN.md, "Rendering").
#![recursion_limit = "256"]

pub mod actions;
pub mod alerts;
pub mod approval;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod clock;
pub mod drills;
#[cfg(feature = "ssr")]
pub mod engine;
pub mod environment;
pub mod error;
pub mod events;
pub mod fields;
pub mod hooks;
pub mod incidents;
#[cfg(feature = "ssr")]
pub mod live;
pub mod notes;
pub mod notices;
#[cfg(feature = "ssr")]
pub mod outbound;
pub mod overview;
pub mod plan_file;
pub mod plans;
pub mod reach;
pub mod reviews;
pub mod roster;
pub mod runbooks;
#[cfg(feature = "ssr")]
pub mod sealing;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod signing;
#[cfg(feature = "ssr")]
pub mod state;
pub mod timeline;
pub mod ui;
pub mod versions;

pub use shell::{shell, App};

/// The version shown in the footer and reported by `/healthz`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Entry point called by the island script once the WASM has loaded.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
