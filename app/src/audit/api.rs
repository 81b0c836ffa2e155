//! Browsing the audit log (admins only).
use super::Entry;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the audit page filters by; empty fields match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    /// A date (YYYY-MM-DD) or an RFC 3339 time: entries at or after it.
    #[serde(default)]
    pub since: String,
    /// Entries before it.
    #[serde(default)]
    pub until: String,
}

/// How many entries the page shows at most.
#[cfg(feature = "ssr")]
const PAGE_LIMIT: i64 = 200;

#[server(prefix = "/api", endpoint = "audit/list")]
pub async fn list_audit(filter: AuditFilter) -> Result<Vec<Entry>, AppError> {
    let (state, _) = crate::auth::guard::require::<ListAudit>().await?;
    // A longer text matches nothing anyway, and SQLite refuses LIKE
    // patterns past 50,000 bytes.
    for (field, text) in [
        ("Actor", &filter.actor),
        ("Action", &filter.action),
        ("Since", &filter.since),
        ("Until", &filter.until),
    ] {
        if text.chars().count() > 200 {
            return Err(AppError::invalid(field, "at most 200 characters"));
        }
    }
    Ok(super::db::list(&state.db.read, &filter, PAGE_LIMIT).await?)
}
