//! An import of one file, in one transaction: the file is read whole or
//! refused whole; each record is parsed, stripped of secrets, fingerprinted
//! and stored unless stored already; a bad record is refused with its line
//! or record number and the rest are kept.
use super::{
    document,
    record::{NewEvent, Parsed, Source},
};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::SqliteConnection;

/// How many refusals a report lists (all are counted).
pub const MAX_LISTED: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Stripe,
    Zapier,
    /// Zapier's task-history CSV export.
    ZapierTasks,
    Pipedream,
    Github,
    Cloudtrail,
}

impl Format {
    pub const ALL: [Self; 6] = [
        Self::Stripe,
        Self::Zapier,
        Self::ZapierTasks,
        Self::Pipedream,
        Self::Github,
        Self::Cloudtrail,
    ];

    /// The source whose files this format reads.
    pub fn source(self) -> Source {
        match self {
            Self::Stripe => Source::Stripe,
            Self::Zapier | Self::ZapierTasks => Source::Zapier,
            Self::Pipedream => Source::Pipedream,
            Self::Github => Source::Github,
            Self::Cloudtrail => Source::Cloudtrail,
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
    fn of(record: &Value) -> Option<Self> {
        let has = |k: &str| record.get(k).is_some();
        if has("Task ID") {
            Some(Self::ZapierTasks)
        } else if has("Records") || has("eventID") || has("digestStartTime") {
            Some(Self::Cloudtrail)
        } else if record
            .get("object")
            .and_then(Value::as_str)
            .is_some_and(|o| o == "event" || o == "list" || o == "v2.core.event")
        {
            Some(Self::Stripe)
        } else if has("zap_id") || (has("data") && has("meta")) {
            Some(Self::Zapier)
        } else if has("_document_id") || (has("action") && (has("created_at") || has("@timestamp")))
        {
            Some(Self::Github)
        } else if (has("method") && has("path")) || has("indexed_at_ms") {
            Some(Self::Pipedream)
        } else {
            None
        }
    }

    fn records(self, document: Value) -> Result<Vec<Value>, String> {
        match self {
            Self::Stripe => super::stripe::records(document),
            Self::Zapier => super::zapier::records(document),
            Self::ZapierTasks => Err("Zapier task history is a CSV file".into()),
            Self::Github => super::github::records(document),
            Self::Cloudtrail => super::cloudtrail::records(document),
            Self::Pipedream => match document {
                Value::Array(items) => Ok(items),
                other => Ok(vec![other]),
            },
        }
    }

    fn event(self, record: Value, now: DateTime<Utc>) -> Result<Parsed, String> {
        match self {
            Self::Stripe => super::stripe::event(record),
            Self::Zapier => super::zapier::event(record, now),
            Self::ZapierTasks => super::zapier::task(record),
            Self::Pipedream => super::pipedream::event(record, now),
            Self::Github => super::github::event(record),
            Self::Cloudtrail => super::cloudtrail::event(record),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub format: String,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// The first [`MAX_LISTED`] refusals: where ("line 4", "record 2") and why.
    pub refusals: Vec<(String, String)>,
}

/// A record with where it stands ("line 4", "record 2"), or why it is refused.
type Placed = (String, Result<Value, String>);

/// The records of a file, or why the file is refused whole.
fn read(text: &str, format: Option<Format>) -> Result<(Format, Vec<Placed>), String> {
    let start = text.trim_start();
    if !start.starts_with('{') && !start.starts_with('[') {
        // Not JSON: CSV, columns found by name.
        let rows: Vec<Placed> = document::csv_rows(text)?
            .into_iter()
            .map(|(n, r)| (format!("row {n}"), r))
            .collect();
        let format = match format {
            Some(f) => f,
            None => rows
                .iter()
                .find_map(|(_, r)| r.as_ref().ok().and_then(Format::of))
                .ok_or("the format could not be told from the file: name it")?,
        };
        return Ok((format, rows));
    }
    let whole = document::json(text);
    let ndjson =
        text.trim_start().starts_with('{') && text.trim().lines().count() > 1 && whole.is_err();
    if ndjson {
        let lines: Vec<Placed> = document::lines(text)
            .map(|(n, r)| (format!("line {n}"), r))
            .collect();
        let format = match format {
            Some(f) => f,
            None => lines
                .iter()
                .find_map(|(_, r)| r.as_ref().ok().and_then(Format::of))
                .ok_or("the format could not be told from the file: name it")?,
        };
        return Ok((format, lines));
    }
    let document = whole?;
    let format = match format {
        Some(f) => f,
        None => {
            let sample = match &document {
                Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            Format::of(&sample).ok_or("the format could not be told from the file: name it")?
        }
    };
    let records = format.records(document)?;
    Ok((
        format,
        records
            .into_iter()
            .enumerate()
            .map(|(n, r)| (format!("record {}", n + 1), Ok(r)))
            .collect(),
    ))
}

/// Imports a file inside the caller's transaction. `Err` when the file is
/// refused whole (nothing of it is stored).
pub async fn run(
    tx: &mut SqliteConnection,
    bytes: &[u8],
    file_name: &str,
    format: Option<Format>,
    key: &[u8],
    by: &str,
    now: DateTime<Utc>,
) -> Result<Report, ImportError> {
    let text = document::text(bytes).map_err(ImportError::Refused)?;
    let (format, records) = read(&text, format).map_err(ImportError::Refused)?;
    let import = super::db::begin_import(tx, file_name, format.as_str(), by, now).await?;
    let mut report = Report {
        format: format.as_str().to_owned(),
        ..Report::default()
    };
    for (place, record) in records {
        let event: Result<NewEvent, String> = record
            .and_then(|r| format.event(r, now))
            .map(|p| p.into_event(key));
        match event {
            Ok(event) => {
                if super::db::insert(tx, &event, now, import).await? {
                    report.accepted += 1;
                } else {
                    report.duplicates += 1;
                }
            }
            Err(why) => {
                report.rejected += 1;
                if report.refusals.len() < MAX_LISTED {
                    // A reason may quote the record: it goes through redaction too.
                    report
                        .refusals
                        .push((place, super::redact::text(&why).into_owned()));
                }
            }
        }
    }
    super::db::end_import(
        tx,
        import,
        (report.accepted, report.duplicates, report.rejected),
    )
    .await?;
    Ok(report)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}
