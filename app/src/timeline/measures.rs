//! What the record says about how a response went, the same for
//! incidents, drills, reviews and the trend that compares them: time to a
//! commander and to the first notice, steps done and late; and how a step
//! or an entry is named in a line.
use super::{first_held, first_of, Entry, Kind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The measures shown on resolve (and later for drills).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measures {
    /// Seconds from declaration until someone held Incident Commander.
    pub to_commander: Option<i64>,
    /// Seconds from declaration until the first notice was published.
    pub to_first_notice: Option<i64>,
    pub steps_done: usize,
    pub steps_total: usize,
    /// Steps finished late or never, by text.
    pub overdue: Vec<String>,
}

pub const COMMANDER: &str = "Incident Commander";

/// Seconds from declaration until someone held Incident Commander, and
/// until the first notice was published, read from the incident's marks
/// (its role, notice and status entries). The one definition, for incidents and
/// drills and the trend that compares them.
pub fn first_times(declared: DateTime<Utc>, marks: &[Entry]) -> (Option<i64>, Option<i64>) {
    let seconds = |t: Option<DateTime<Utc>>| t.map(|t| (t - declared).num_seconds().max(0));
    (
        seconds(first_held(marks, COMMANDER)),
        seconds(first_of(marks, Kind::NoticePublished)),
    )
}

/// A step named in a line: its first line without Markdown marks, cut at
/// 80 characters.
pub fn step_title(text: &str) -> String {
    let line: String = text
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '`'))
        .collect();
    let line = line.trim();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(79).collect::<String>().trim_end())
    } else {
        line.to_owned()
    }
}

/// The audit events an incident's entries link as evidence, in order.
pub fn linked_events(entries: &[Entry]) -> Vec<i64> {
    entries
        .iter()
        .filter_map(|e| match e.data {
            Some(super::Data::Evidence { event }) => Some(event),
            _ => None,
        })
        .collect()
}
