//! Evidence from other systems' logs (Stripe, Zapier, Pipedream, GitHub,
//! CloudTrail, generic logs), imported, cleaned of secrets and linked to
//! incidents. Not to be confused with `audit`, Muster's own log.
//!
//! So far: the normalised record with its keyed fingerprint and dedupe
//! key, reading times as every source writes them, and the redaction every
//! event goes through before anything is stored.
#[cfg(feature = "ssr")]
pub mod cloudtrail;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod document;
#[cfg(feature = "ssr")]
pub mod generic;
#[cfg(feature = "ssr")]
pub mod github;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod pipedream;
#[cfg(feature = "ssr")]
pub mod record;
#[cfg(feature = "ssr")]
pub mod redact;
#[cfg(feature = "ssr")]
pub mod stripe;
#[cfg(feature = "ssr")]
pub mod time;
#[cfg(feature = "ssr")]
pub mod zapier;

/// A sample file of `tests/fixtures/events`, for the parsers' tests.
#[cfg(test)]
pub(crate) fn fixture(path: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/events/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The records of a sample file, read as an import reads them.
#[cfg(test)]
pub(crate) fn fixture_records(path: &str) -> Vec<serde_json::Value> {
    let (_, read) = document::all(&fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    read.into_iter()
        .map(|(place, r)| r.unwrap_or_else(|e| panic!("{path} {place}: {e}")))
        .collect()
}
