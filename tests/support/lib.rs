//! Test support: the real `muster` binary on a free loopback port with its
//! own SQLite file, plain HTTP against it, and a real headless Chromium.
mod browser;
mod http;
mod load;
mod muster;
mod webhook;

pub use browser::Browser;
pub use http::{http_request, Answer};
pub use load::{load, Load};
pub use muster::{muster_binary, release_binary, Muster, MusterOptions};
pub use webhook::{stripe_signature, unix_now};

use std::time::Duration;

/// How long a test waits for something a person would see.
pub const PATIENCE: Duration = Duration::from_secs(15);
