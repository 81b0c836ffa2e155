//! The formats an import reads, how one is told from its first records,
//! and how each record becomes an event.
use super::{
    document::Top,
    generic::Mapping,
    record::{Parsed, Source},
};
use chrono::{DateTime, Utc};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Stripe,
    Zapier,
    /// Zapier's task-history CSV export.
    ZapierTasks,
    Pipedream,
    Github,
    Cloudtrail,
    /// Any NDJSON or CSV log, read through a column mapping.
    Generic,
}

impl Format {
    pub const ALL: [Self; 7] = [
        Self::Stripe,
        Self::Zapier,
        Self::ZapierTasks,
        Self::Pipedream,
        Self::Github,
        Self::Cloudtrail,
        Self::Generic,
    ];

    /// The source whose files this format reads.
    pub fn source(self) -> Source {
        match self {
            Self::Stripe => Source::Stripe,
            Self::Zapier | Self::ZapierTasks => Source::Zapier,
            Self::Pipedream => Source::Pipedream,
            Self::Github => Source::Github,
            Self::Cloudtrail => Source::Cloudtrail,
            Self::Generic => Source::Generic,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ZapierTasks => "zapier-tasks",
            other => other.source().as_str(),
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.as_str()).collect();
                format!(
                    "'{}' is not one of {}",
                    crate::fields::shown(name),
                    names.join(", ")
                )
            })
    }

    /// The format a record looks like.
    pub(super) fn of(record: &Value) -> Option<Self> {
        let has = |k: &str| record.get(k).is_some();
        if has("Task ID") {
            Some(Self::ZapierTasks)
        } else if has("eventID") || has("digestStartTime") {
            Some(Self::Cloudtrail)
        } else if record
            .get("object")
            .and_then(Value::as_str)
            .is_some_and(|o| o == "event" || o == "v2.core.event")
        {
            Some(Self::Stripe)
        } else if has("zap_id") {
            Some(Self::Zapier)
        } else if has("_document_id") || (has("action") && (has("created_at") || has("@timestamp")))
        {
            Some(Self::Github)
        } else if (has("method") && has("path")) || has("indexed_at_ms") {
            Some(Self::Pipedream)
        } else if has("timestamp") && has("actor") && has("action") {
            Some(Self::Generic)
        } else {
            None
        }
    }

    /// Whether records held this way are this format's files.
    pub(super) fn holds(self, top: &Top) -> Result<(), String> {
        let name = self.as_str();
        let wrapped = |key: &str| matches!(top, Top::Object { records: Some(k), .. } if *k == key);
        let single = matches!(top, Top::Object { records: None, .. });
        let fits = match self {
            Self::Stripe => {
                matches!(top, Top::Array | Top::Lines)
                    || single
                    || matches!(top, Top::Object { records: Some("data"), rest }
                        if rest.get("object").and_then(Value::as_str) == Some("list"))
            }
            Self::Zapier => matches!(top, Top::Array | Top::Lines) || wrapped("data"),
            Self::ZapierTasks => matches!(top, Top::Csv(_)),
            Self::Pipedream => matches!(top, Top::Array | Top::Lines) || single || wrapped("data"),
            Self::Github | Self::Generic => matches!(top, Top::Array | Top::Lines | Top::Csv(_)),
            Self::Cloudtrail => {
                if let Top::Object { rest, .. } = top {
                    if rest.contains_key("digestStartTime") || rest.contains_key("logFiles") {
                        return Err("this is a CloudTrail digest file, not a log file".into());
                    }
                }
                wrapped("Records")
            }
        };
        if fits {
            return Ok(());
        }
        Err(match self {
            Self::Cloudtrail => "not a CloudTrail log file: expected {\"Records\": [...]}".into(),
            Self::ZapierTasks => "Zapier task history is a CSV file".into(),
            _ if matches!(top, Top::Csv(_)) => format!("{name} files are JSON, not CSV"),
            _ => format!(
                "not {name} events: the file does not hold its records the way {name} writes them"
            ),
        })
    }

    /// The event a record holds; `now` stands in where a source's records
    /// carry no time of their own.
    pub(super) fn event(
        self,
        record: Value,
        now: DateTime<Utc>,
        mapping: &Mapping,
    ) -> Result<Parsed, String> {
        match self {
            Self::Stripe => super::stripe::event(record),
            Self::Zapier => super::zapier::event(record, now),
            Self::ZapierTasks => super::zapier::task(record),
            Self::Pipedream => super::pipedream::event(record, now),
            Self::Github => super::github::event(record),
            Self::Cloudtrail => super::cloudtrail::event(record),
            Self::Generic => super::generic::event(record, mapping),
        }
    }
}
