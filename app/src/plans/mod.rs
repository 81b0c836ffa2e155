//! Versions shared by runbooks and notice templates: every save is a new
//! numbered version with author, time and a change note; old versions stay
//! readable, and any two can be compared line by line.
pub mod api;
#[cfg(feature = "ssr")]
pub mod db;
pub mod view;

pub use api::ListPlans;
pub use view::PlanList;

use crate::error::AppError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What kind of plan a stored document is. What differs between kinds is
/// in the table [`KINDS`], not spread over matches: a new versioned kind
/// (drill scenarios next) is a variant and a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Runbook,
    Template,
    Scenario,
}

/// One row of the table of kinds.
#[derive(Debug)]
pub struct KindInfo {
    pub kind: Kind,
    /// Its name in storage.
    pub name: &'static str,
    /// Where its pages live.
    pub base_path: &'static str,
    /// The columns of its list.
    pub list_headers: &'static [&'static str],
    /// Whether a version must be approved by a second person before use.
    pub needs_approval: bool,
}

pub const KINDS: [KindInfo; 3] = [
    KindInfo {
        kind: Kind::Runbook,
        name: "runbook",
        base_path: "/runbooks",
        list_headers: &["Title", "Tags", "Severity", "Version", "Last change"],
        needs_approval: false,
    },
    KindInfo {
        kind: Kind::Template,
        name: "template",
        base_path: "/notices",
        list_headers: &["Title", "Tags", "Stage", "Version", "Last change"],
        needs_approval: true,
    },
    KindInfo {
        kind: Kind::Scenario,
        name: "scenario",
        base_path: "/drills/scenarios",
        list_headers: &["Title", "Tags", "Runbook", "Version", "Last change"],
        needs_approval: false,
    },
];

impl Kind {
    pub fn info(self) -> &'static KindInfo {
        // Every kind has its row (a test checks), so the fallback is never taken.
        KINDS.iter().find(|k| k.kind == self).unwrap_or(&KINDS[0])
    }

    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// Where its pages live.
    pub fn base_path(self) -> &'static str {
        self.info().base_path
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct VersionInfo {
    pub version: i64,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub note: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
}

/// One line of a list of runbooks or templates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub id: i64,
    pub title: String,
    pub tags: Vec<String>,
    /// Severity of a runbook, stage of a template.
    pub label: String,
    pub latest: i64,
    /// The approved template version in use, if any.
    pub approved: Option<i64>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// What every plan stores next to its content, so lists and search need
/// not parse each document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indexed {
    pub title: String,
    pub tags: Vec<String>,
    pub label: String,
    /// Lower-cased words searched by the list pages.
    pub search: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
    /// Unchanged lines left out between two changes.
    Skipped(usize),
}

/// A line-by-line comparison of two versions as text, with three lines of
/// context around each change.
#[cfg(feature = "ssr")]
pub fn diff(old: &str, new: &str) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    let mut shown_until = 0;
    for group in diff.grouped_ops(3) {
        let Some(start) = group.first().map(|op| op.old_range().start) else {
            continue;
        };
        if start > shown_until {
            lines.push(DiffLine::Skipped(start - shown_until));
        }
        for op in &group {
            shown_until = op.old_range().end;
            for change in diff.iter_changes(op) {
                let text = change.value().trim_end_matches('\n').to_owned();
                lines.push(match change.tag() {
                    ChangeTag::Equal => DiffLine::Same(text),
                    ChangeTag::Delete => DiffLine::Removed(text),
                    ChangeTag::Insert => DiffLine::Added(text),
                });
            }
        }
    }
    let total = old.lines().count();
    if !lines.is_empty() && total > shown_until {
        lines.push(DiffLine::Skipped(total - shown_until));
    }
    lines
}

/// Tags as people type them ("Stripe, checkout outage") made into the
/// stored form: lower case, words joined by dashes, no repeats.
pub fn parse_tags(field: &str, raw: &str) -> Result<Vec<String>, AppError> {
    let mut tags: Vec<String> = Vec::new();
    for part in raw.split(',') {
        let tag = part
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .to_lowercase();
        if tag.is_empty() {
            continue;
        }
        check_tag(field, &tag)?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > 12 {
        return Err(AppError::invalid(field, "has more than 12 tags"));
    }
    Ok(tags)
}

pub fn check_tag(field: &str, tag: &str) -> Result<(), AppError> {
    let ok = !tag.is_empty()
        && tag.chars().count() <= 40
        && tag
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            format!("'{tag}' is not a tag: use up to 40 lower-case letters, digits and dashes"),
        ))
    }
}

/// A change note is required: history is only useful if it says why.
pub fn change_note(raw: &str) -> Result<String, AppError> {
    crate::fields::text_field("Change note", raw, true, 300)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_diff_shows_removed_and_added_lines_with_context_and_skips_the_rest() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 10\n", "line ten\n");
        let lines = diff(&old, &new);
        assert_eq!(lines[0], DiffLine::Skipped(6));
        assert!(lines.contains(&DiffLine::Removed("line 10".into())));
        assert!(lines.contains(&DiffLine::Added("line ten".into())));
        assert!(lines.contains(&DiffLine::Same("line 9".into())));
        assert_eq!(lines.last(), Some(&DiffLine::Skipped(7)));
        assert!(diff(&old, &old).is_empty(), "no change, no lines");
    }

    #[test]
    fn tags_are_normalised_and_checked() {
        assert_eq!(
            parse_tags("Tags", " Stripe, checkout outage ,stripe,").unwrap(),
            ["stripe", "checkout-outage"]
        );
        let err = parse_tags("Tags", "ok, bad/tag").unwrap_err().to_string();
        assert!(err.starts_with("Tags: 'bad/tag' is not a tag"), "{err}");
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn every_kind_has_one_row_in_the_table_of_kinds() {
        for kind in [Kind::Runbook, Kind::Template, Kind::Scenario] {
            assert_eq!(kind.info().kind, kind);
            assert_eq!(KINDS.iter().filter(|k| k.kind == kind).count(), 1);
        }
    }
}
