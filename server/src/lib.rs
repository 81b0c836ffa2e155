//! The Muster server: settings, database, routes, and the command line.
pub mod access;
pub mod assets;
pub mod cli;
pub mod commands;
pub mod db;
pub mod demo;
pub mod export;
pub mod health;
pub mod keys;
pub mod live;
pub mod logging;
pub mod routes;
pub mod security;
pub mod serve;
pub mod settings;
pub mod startup;
pub mod state;
