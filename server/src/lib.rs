//! The Muster server: settings, database, routes, and the command line.
pub mod assets;
pub mod cli;
pub mod db;
pub mod demo;
pub mod health;
pub mod logging;
pub mod serve;
pub mod settings;
pub mod startup;
