//! Drill schedules: a scenario rehearsed on an RFC 5545 recurrence rule
//! ("quarterly" is `FREQ=MONTHLY;INTERVAL=3`). From the rule and the runs
//! that took place, each schedule knows its next drill and whether it is
//! overdue: its latest occurrence passed a day ago with no run of the
//! scenario that belongs to it.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The rules the plan form offers by name; anything else is custom.
pub const PRESETS: [(&str, &str); 4] = [
    ("monthly", "FREQ=MONTHLY"),
    ("quarterly", "FREQ=MONTHLY;INTERVAL=3"),
    ("twice a year", "FREQ=MONTHLY;INTERVAL=6"),
    ("yearly", "FREQ=YEARLY"),
];

/// How long a rule may be, and how many schedules Muster keeps.
pub const MAX_RULE: usize = 200;
pub const MAX_SCHEDULES: i64 = 100;
/// How late a drill may be before it is overdue.
pub const GRACE_HOURS: i64 = 24;
/// How many occurrences one look at a schedule walks through at most (a
/// daily rule from ten years back is 3,650).
pub const WALK: usize = 5_000;

/// One schedule as the drills page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleLine {
    pub id: i64,
    pub scenario_id: i64,
    pub scenario: String,
    pub rule: String,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub next: Option<DateTime<Utc>>,
    /// The occurrence it is overdue for.
    pub overdue_since: Option<DateTime<Utc>>,
}

impl ScheduleLine {
    /// "quarterly", or the rule itself.
    pub fn rule_text(&self) -> String {
        PRESETS
            .iter()
            .find(|(_, rule)| *rule == self.rule)
            .map_or_else(|| self.rule.clone(), |(name, _)| (*name).to_owned())
    }
}

/// A drill coming up, or one that is overdue: from a schedule or a run
/// planned for a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillDate {
    pub at: DateTime<Utc>,
    pub title: String,
    pub run_id: Option<i64>,
    pub schedule_id: Option<i64>,
}

/// Where a schedule stands at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Standing {
    pub next: Option<DateTime<Utc>>,
    pub overdue_since: Option<DateTime<Utc>>,
}

/// Where a schedule stands at `now`, from its occurrences (in order) and
/// the times its scenario's runs started. A run belongs to the occurrence
/// nearest it from halfway after the one before: early counts, and so
/// does late, but a late run for the last one does not keep this one.
pub fn standing(
    occurrences: impl IntoIterator<Item = DateTime<Utc>>,
    runs: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Standing {
    let due_by = now - chrono::Duration::hours(GRACE_HOURS);
    let (mut before, mut due, mut next) = (None, None, None);
    for at in occurrences.into_iter().take(WALK) {
        if at > now {
            next = Some(at);
            break;
        }
        if at <= due_by {
            before = due;
            due = Some(at);
        }
    }
    let from = before.zip(due).map(|(b, d)| b + (d - b) / 2);
    let overdue_since = due.filter(|_| {
        !runs
            .iter()
            .any(|r| from.is_none_or(|f| *r > f) && *r <= now)
    });
    Standing {
        next,
        overdue_since,
    }
}

/// How far ahead a schedule's dates are worked out when it is saved.
pub const HORIZON_YEARS: i64 = 10;
/// A rule must give a drill within this many years of being saved.
pub const SOON_YEARS: i64 = 5;

#[cfg(feature = "ssr")]
pub use rules::{dates, occurrences, parse_rule};

#[cfg(feature = "ssr")]
mod rules {
    use crate::error::AppError;
    use chrono::{DateTime, Utc};
    use rrule::{Frequency, RRule, RRuleSet, Unvalidated};

    /// The rule, checked: RFC 5545 `RRULE` parts only (no `DTSTART`, no
    /// other lines), no more often than daily, within [`super::MAX_RULE`].
    pub fn parse_rule(raw: &str, starts_at: DateTime<Utc>) -> Result<RRuleSet, AppError> {
        let rule = raw.trim().trim_start_matches("RRULE:").to_ascii_uppercase();
        if rule.is_empty() {
            return Err(AppError::invalid("Repeats", "is required"));
        }
        if rule.len() > super::MAX_RULE {
            return Err(AppError::invalid(
                "Repeats",
                format!("is {} characters; at most {}", rule.len(), super::MAX_RULE),
            ));
        }
        // Only what a rule is written with: no line breaks or colons, so
        // nothing else can ride along into the calendar feed.
        if let Some(bad) = rule
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '=' | ';' | ',' | '-' | '+')))
        {
            return Err(AppError::invalid(
                "Repeats",
                format!(
                    "'{}' is not allowed in a recurrence rule such as FREQ=MONTHLY;INTERVAL=3",
                    bad.escape_default()
                ),
            ));
        }
        let parsed: RRule<Unvalidated> = rule.parse().map_err(|e: rrule::RRuleError| {
            AppError::invalid(
                "Repeats",
                format!(
                    "is not a recurrence rule: {}",
                    crate::fields::shown(&e.to_string())
                ),
            )
        })?;
        if matches!(
            parsed.get_freq(),
            Frequency::Hourly | Frequency::Minutely | Frequency::Secondly
        ) {
            return Err(AppError::invalid(
                "Repeats",
                "a drill repeats daily at most often",
            ));
        }
        // Parts that pick times within a day (or positions within a set)
        // make a "daily" rule many drills a day: a drill starts at the
        // schedule's own time of day.
        for part in rule.split(';') {
            let key = part.split('=').next().unwrap_or_default();
            if matches!(key, "BYHOUR" | "BYMINUTE" | "BYSECOND" | "BYSETPOS") {
                return Err(AppError::invalid(
                    "Repeats",
                    format!("{key} is not allowed: a drill starts at the schedule's own time"),
                ));
            }
        }
        let start = starts_at.with_timezone(&rrule::Tz::UTC);
        parsed
            .validate(start)
            .map(|rule| RRuleSet::new(start).rrule(rule))
            .map_err(|e| {
                AppError::invalid(
                    "Repeats",
                    format!("cannot be used: {}", crate::fields::shown(&e.to_string())),
                )
            })
    }

    /// The dates a schedule holds, worked out once when it is saved: its
    /// occurrences up to [`super::HORIZON_YEARS`] after `now`, at most
    /// [`super::WALK`] of them. A rule that never occurs costs the rule
    /// library's own bounded search, once.
    pub fn dates(set: &RRuleSet, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let until = now + chrono::Duration::days(365 * super::HORIZON_YEARS);
        occurrences(set).take_while(|at| *at <= until).collect()
    }

    /// The schedule's occurrences in order, in UTC, at most
    /// [`super::WALK`] of them.
    pub fn occurrences(set: &RRuleSet) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        set.into_iter()
            .take(super::WALK)
            .map(|at| at.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    fn quarterly() -> Vec<DateTime<Utc>> {
        [
            "2026-01-15T14:00:00Z",
            "2026-04-15T14:00:00Z",
            "2026-07-15T14:00:00Z",
            "2026-10-15T14:00:00Z",
            "2027-01-15T14:00:00Z",
        ]
        .map(t)
        .to_vec()
    }

    #[test]
    fn a_schedule_with_no_run_since_the_occurrence_before_is_overdue() {
        let now = t("2026-11-28T12:00:00Z");
        let s = standing(quarterly(), &[], now);
        assert_eq!(s.next, Some(t("2027-01-15T14:00:00Z")));
        assert_eq!(s.overdue_since, Some(t("2026-10-15T14:00:00Z")));
        // A run the day after July's was for July, not October.
        let s = standing(quarterly(), &[t("2026-07-16T09:00:00Z")], now);
        assert_eq!(s.overdue_since, Some(t("2026-10-15T14:00:00Z")));
    }

    #[test]
    fn an_early_or_a_late_run_keeps_the_occurrence() {
        let now = t("2026-11-28T12:00:00Z");
        let early = standing(quarterly(), &[t("2026-09-30T10:00:00Z")], now);
        assert_eq!(early.overdue_since, None);
        let late = standing(quarterly(), &[t("2026-11-20T10:00:00Z")], now);
        assert_eq!(late.overdue_since, None);
    }

    #[test]
    fn a_drill_is_not_overdue_within_a_day_of_its_time() {
        let s = standing(quarterly(), &[], t("2026-10-16T10:00:00Z"));
        // October's is 20 hours past; July's had no run either.
        assert_eq!(s.overdue_since, Some(t("2026-07-15T14:00:00Z")));
        let s = standing(
            quarterly(),
            &[t("2026-06-20T10:00:00Z")],
            t("2026-10-16T10:00:00Z"),
        );
        assert_eq!(s.overdue_since, None, "July's kept by an early run");
        let s = standing(
            quarterly(),
            &[t("2026-05-01T10:00:00Z")],
            t("2026-10-16T10:00:00Z"),
        );
        assert_eq!(
            s.overdue_since,
            Some(t("2026-07-15T14:00:00Z")),
            "May's was April's"
        );
        let s = standing(quarterly(), &[], t("2026-01-01T00:00:00Z"));
        assert_eq!(
            s,
            Standing {
                next: Some(t("2026-01-15T14:00:00Z")),
                overdue_since: None
            }
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn rules_expand_as_rfc_5545_says_and_bad_ones_are_named() {
        let start = t("2026-01-31T14:00:00Z");
        let set = parse_rule("FREQ=MONTHLY;INTERVAL=3", start).expect("quarterly");
        let got: Vec<_> = occurrences(&set).take(3).collect();
        // The 31st of April does not exist: RFC 5545 skips it.
        assert_eq!(
            got,
            vec![
                t("2026-01-31T14:00:00Z"),
                t("2026-07-31T14:00:00Z"),
                t("2026-10-31T14:00:00Z")
            ]
        );
        let set = parse_rule("RRULE:freq=monthly;byday=1th", t("2026-12-01T15:00:00Z"))
            .expect("first Thursday");
        let got: Vec<_> = occurrences(&set).take(2).collect();
        assert_eq!(
            got,
            vec![t("2026-12-03T15:00:00Z"), t("2027-01-07T15:00:00Z")]
        );
        let set = parse_rule("FREQ=YEARLY;COUNT=2", start).expect("twice");
        assert_eq!(occurrences(&set).count(), 2);

        for (rule, says) in [
            ("", "is required"),
            ("FREQ=HOURLY", "daily at most"),
            ("FREQ=DAILY\nDTSTART:20200101T000000Z", "not allowed"),
            ("FREQ=MONTHLY;BYDAY=XX", "is not a recurrence rule"),
            ("FREQ=WEEKLY;UNTIL=20260101T000000Z:", "not allowed"),
        ] {
            let err = parse_rule(rule, start).expect_err(rule).to_string();
            assert!(
                err.contains("Repeats") && err.contains(says),
                "{rule}: {err}"
            );
        }
        let long = format!("FREQ=DAILY;{}", "BYHOUR=1;".repeat(40));
        assert!(parse_rule(&long, start)
            .expect_err("long")
            .to_string()
            .contains("at most 200"));
    }
}
