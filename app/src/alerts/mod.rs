//! Alerts: a few high-signal rules over events as they arrive by webhook.
//! A rule matches events (by source, action pattern, outcome, environment
//! and words) and groups them (say, by action and target); a group that
//! reaches the rule's threshold within its window opens one alert, which
//! counts every further event instead of raising another, and resolves
//! itself after a quiet period. From an alert, one click declares an
//! incident with the rule's runbook and links the alert's events.
//!
//! Imported files do not raise alerts: they are history, read after the
//! fact.
mod api;
#[cfg(feature = "ssr")]
pub mod db;
mod rule;
mod view;

pub use api::*;
pub use rule::{glob, Rule, GROUP_FIELDS};
pub use view::{AlertPage, AlertsPage, RulesPage};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Events kept with an alert as its samples (the first ones).
pub const MAX_SAMPLES: i64 = 20;

/// An alert as the pages show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AlertView {
    pub id: i64,
    pub rule_id: i64,
    pub rule: String,
    pub severity: String,
    pub group_key: String,
    pub state: String,
    pub count: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub incident_id: Option<i64>,
}

/// One alert with its rule and sample events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertDetail {
    pub alert: AlertView,
    pub rule: RuleView,
    pub samples: Vec<crate::events::EventRow>,
}

/// A rule as the pages show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RuleView {
    pub id: i64,
    pub name: String,
    pub sources: String,
    pub actions: String,
    pub words: String,
    pub outcome: String,
    pub environment: String,
    pub threshold: i64,
    pub window_minutes: i64,
    pub group_by: String,
    pub quiet_minutes: i64,
    pub severity: String,
    pub runbook_id: Option<i64>,
    pub enabled: bool,
}

impl RuleView {
    /// The rule in a sentence, as the alert page explains itself.
    pub fn explained(&self) -> String {
        let any = |s: &str, what: &str| {
            if s.trim().is_empty() {
                format!("any {what}")
            } else {
                s.split_whitespace().collect::<Vec<_>>().join(" or ")
            }
        };
        let mut parts = vec![
            format!("events from {}", any(&self.sources, "source")),
            format!("with action {}", any(&self.actions, "action")),
        ];
        if !self.outcome.is_empty() {
            parts.push(format!("that ended in {}", self.outcome));
        }
        if !self.environment.is_empty() {
            parts.push(format!("in {}", self.environment));
        }
        if !self.words.trim().is_empty() {
            parts.push(format!(
                "mentioning {}",
                self.words
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
        let grouped = if self.group_by.trim().is_empty() {
            "all together".to_owned()
        } else {
            format!(
                "by {}",
                self.group_by
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" + ")
            )
        };
        format!(
            "Watches {}. Opens when {} arrive within {} minute(s), grouped {grouped}; resolves after {} quiet minute(s).",
            parts.join(", "),
            self.threshold,
            self.window_minutes,
            self.quiet_minutes
        )
    }
}

/// The alerts page: active ones first, then the latest resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertsList {
    pub alerts: Vec<AlertView>,
}
