//! The `muster` command line. Each subcommand is a thin layer over a
//! module that tests can call directly.
use crate::settings::RawSettings;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "muster",
    version,
    about = "Incident runbooks and tabletop drills for small teams"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the web server.
    Serve(RawSettings),
}
