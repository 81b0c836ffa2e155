//! Signed webhooks: senders (Stripe, GitHub, Slack, anything that signs
//! the Standard Webhooks way, or sends a shared token) push events to
//! `POST /hooks/{name}` as they happen. Each delivery is checked before
//! its body is read (`crate::signing`), read as an event (`body`), cleaned and
//! fingerprinted like an imported one, and stored with its line in the
//! source's delivery log by one writer that commits many at a time
//! (`ingest`). Sources and their secrets are kept by `db` and `secret`.
mod api;
#[cfg(feature = "ssr")]
pub mod body;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod ingest;
#[cfg(feature = "ssr")]
pub mod manage;
#[cfg(feature = "ssr")]
pub mod networks;
#[cfg(feature = "ssr")]
pub mod secret;
mod view;

pub use api::*;
pub use view::{SourcePage, SourcesPage};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The schemes by stored name, with what a person setting up a sender
/// needs to know.
pub const SCHEMES: [(&str, &str); 5] = [
    ("stripe", "Stripe: Stripe-Signature, signed with the endpoint's whsec_ secret"),
    ("standard-webhooks", "Standard Webhooks (Svix and others): webhook-id, webhook-timestamp, webhook-signature"),
    ("github", "GitHub: X-Hub-Signature-256 over the body; no timestamp, so replays are caught by the body"),
    ("slack", "Slack: X-Slack-Signature with X-Slack-Request-Timestamp"),
    ("token", "Shared token in X-Muster-Token, for senders that cannot sign (Zapier, Pipedream HTTP actions). Weaker: anyone who sees one request can send more"),
];
/// Delivery log lines kept per source: the newest of those accepted (or
/// duplicates), and apart from them the newest refusals.
pub const DELIVERIES_KEPT: i64 = 1000;
/// Delivery log lines a source page shows.
pub const DELIVERIES_SHOWN: i64 = 50;

/// A source as its pages show it (never its secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SourceView {
    pub name: String,
    pub scheme: String,
    pub environment: String,
    pub networks: String,
    pub retention_days: i64,
    pub enabled: bool,
    pub accepted: i64,
    pub duplicates: i64,
    pub rejected: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When each secret was made and, during a rotation's overlap, when
    /// it stops verifying.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub secrets: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

impl SourceView {
    /// A sender that cannot sign: the page says so.
    pub fn weaker(&self) -> bool {
        self.scheme == "token"
    }
}

/// One line of a source's delivery log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DeliveryView {
    pub received_at: DateTime<Utc>,
    pub outcome: String,
    pub status: i64,
    pub reason: Option<String>,
    pub client: Option<String>,
    pub delivery_id: Option<String>,
    pub fingerprint: Option<String>,
    pub event_id: Option<i64>,
}

/// A source's page: the source and its newest deliveries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceDetail {
    pub source: SourceView,
    pub deliveries: Vec<DeliveryView>,
    /// The address senders post to.
    pub address: String,
}

/// A source just made or given a new secret: the secret is shown this
/// once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewSecret {
    pub source: String,
    pub secret: String,
    pub address: String,
}

/// A source's name as it appears in its address: 1 to 40 lowercase
/// letters, digits and dashes, starting with a letter or digit.
pub fn check_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let good = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-');
    if good {
        Ok(name.to_owned())
    } else {
        Err("1 to 40 lowercase letters, digits and dashes, not starting with a dash".into())
    }
}
