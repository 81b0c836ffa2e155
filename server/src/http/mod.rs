//! What answers requests beside the Leptos pages: the access gate and
//! body limits, the page cache, security headers and assets, and the
//! routes of `routes::all` (exports, live streams, uploads, webhooks,
//! calendars, health, the backup drill).
pub mod access;
pub mod assets;
pub mod calendar;
pub mod event_upload;
pub mod export;
pub mod health;
pub mod hooks;
pub mod limits;
pub mod live;
pub mod page_cache;
pub mod review_export;
pub mod routes;
pub mod security;
