//! The Muster server: settings, database, routes, and the command line.
//! `http` answers requests beside the Leptos pages, `cli` holds every
//! command, `jobs` the loops `serve` starts, `demo` the demo data, and
//! `backup` making, checking and restoring backups.
pub mod backup;
pub mod cli;
pub mod db;
pub mod demo;
pub mod files;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod logging;
pub mod serve;
pub mod settings;
pub mod startup;
pub mod state;
