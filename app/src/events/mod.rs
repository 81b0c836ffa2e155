//! Evidence from other systems' logs (Stripe, Zapier, Pipedream, GitHub,
//! CloudTrail, generic logs), imported, cleaned of secrets and linked to
//! incidents. Not to be confused with `audit`, Muster's own log.
//!
//! Files are read as streams by `document`, parsed by one module per
//! source, cleaned by `redact`, fingerprinted and deduped by `record`,
//! stored in batches by `import`; `query` reads them back for the pages.
mod api;
#[cfg(feature = "ssr")]
pub mod cloudtrail;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod document;
#[cfg(feature = "ssr")]
mod format;
#[cfg(feature = "ssr")]
pub mod generic;
#[cfg(feature = "ssr")]
pub mod github;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod link;
#[cfg(feature = "ssr")]
pub mod pipedream;
#[cfg(feature = "ssr")]
pub mod query;
#[cfg(feature = "ssr")]
pub mod record;
#[cfg(feature = "ssr")]
pub mod redact;
#[cfg(feature = "ssr")]
pub mod retention;
#[cfg(feature = "ssr")]
pub mod stripe;
#[cfg(feature = "ssr")]
pub mod time;
mod view;
#[cfg(feature = "ssr")]
pub mod zapier;

pub use api::*;
pub(crate) use view::event_rows;
pub use view::{EventPage, EventsPage, ImportPage, ImportReportPage, LinkOffers};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The sources, by their stored names, as the filters offer them.
pub const SOURCES: [&str; 8] = [
    "stripe",
    "zapier",
    "pipedream",
    "github",
    "cloudtrail",
    "generic",
    "slack",
    "webhook",
];
/// The file formats an import reads, by name (`Format` in `import`).
pub const FORMATS: [&str; 7] = [
    "stripe",
    "zapier",
    "zapier-tasks",
    "pipedream",
    "github",
    "cloudtrail",
    "generic",
];
/// The parts of an event a generic log's column mapping places.
pub const MAPPED_FIELDS: [&str; 8] = [
    "timestamp",
    "actor",
    "action",
    "target",
    "outcome",
    "request_id",
    "environment",
    "summary",
];
/// Outcomes, by their stored names.
pub const OUTCOMES: [&str; 3] = ["success", "failure", "unknown"];
/// Days an unlinked event is kept when its source sets no period.
pub const DEFAULT_RETENTION_DAYS: i64 = 90;

/// One event as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub source: String,
    /// The vendor's id, or `hash:...` for sources without one.
    pub source_id: String,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub environment: Option<String>,
    pub summary: String,
}

/// One event in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDetail {
    pub event: EventRow,
    pub received_at: DateTime<Utc>,
    pub request_id: Option<String>,
    /// The redacted payload, pretty-printed.
    pub payload: String,
    pub truncated: bool,
    pub fingerprint: String,
    pub file_name: String,
    /// The incidents it is evidence for: id and title.
    pub links: Vec<(i64, String)>,
}

/// What the events list is narrowed to. Empty texts filter nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub words: String,
    pub source: String,
    pub outcome: String,
    pub environment: String,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only the events of one import.
    pub import: Option<i64>,
    /// Keyset paging: the events after (older than) this one.
    pub after: Option<i64>,
}

/// A page of the events list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsList {
    pub rows: Vec<EventRow>,
    /// The event to continue after, when there are more.
    pub next: Option<i64>,
}

/// An import as its report page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportView {
    pub id: i64,
    pub file_name: String,
    pub format: String,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
    /// running, done, refused or abandoned.
    pub state: String,
    pub bytes_read: i64,
    pub bytes_total: Option<i64>,
    pub accepted: i64,
    pub duplicates: i64,
    pub rejected: i64,
    pub failure: Option<String>,
    pub refusals: Vec<(String, String)>,
}

/// What the import page shows: recent imports and the retention periods.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportsOverview {
    pub imports: Vec<ImportView>,
    /// Each source with the days its unlinked events are kept.
    pub retention: Vec<(String, i64)>,
    pub rules: Vec<String>,
}

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
