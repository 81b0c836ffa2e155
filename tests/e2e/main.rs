//! End-to-end tests: the real `muster` binary, a real SQLite file each, and
//! a real headless Chromium for what a person does in the browser.
mod access;
mod auth;
mod backup;
mod channels;
mod cli;
mod drills;
mod events;
mod hooks;
mod incidents;
mod notes;
mod plans;
mod reviews;
mod roster;
mod shell;
