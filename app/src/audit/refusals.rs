//! Refusals and failed sign-ins, counted before they are written, so a
//! flood of them cannot fill the audit log or keep the single writer busy.
//!
//! The first refusal of a kind (same client, actor, action, target, outcome
//! and reason) in a [`WINDOW`] is written at once; the rest are counted, and
//! when the window has passed one entry says how many more there were. A
//! client that varies what it asks for gets at most [`KINDS_PER_CLIENT`]
//! kinds itemised a window, the rest counted under one; past [`MAX_KINDS`]
//! kinds in all, everything else is counted under one. So each window
//! writes at most about `2 × MAX_KINDS + 1` entries, however many requests
//! arrive.
use super::NewEntry;
use chrono::{DateTime, Duration, Utc};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

pub const WINDOW: Duration = Duration::seconds(60);
pub const KINDS_PER_CLIENT: usize = 16;
pub const MAX_KINDS: usize = 4_096;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Kind {
    client: String,
    actor: String,
    action: &'static str,
    target: String,
    outcome: super::Outcome,
    reason: String,
}

#[derive(Debug)]
struct Counted {
    since: DateTime<Utc>,
    /// Seen again after the first, not yet written.
    more: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Refusals {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    seen: HashMap<Kind, Counted>,
    /// No window ends before this, so `due` has nothing to do until then.
    quiet_until: Option<DateTime<Utc>>,
}

impl Refusals {
    /// Counts a refusal from `client`; returns it when it is the first of
    /// its kind this window and so must be written now.
    pub fn note(&self, client: &str, entry: NewEntry, now: DateTime<Utc>) -> Option<NewEntry> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let ends = now + WINDOW;
        inner.quiet_until = Some(inner.quiet_until.map_or(ends, |q| q.min(ends)));
        let seen = &mut inner.seen;
        let mut kind = Kind {
            client: client.to_owned(),
            actor: entry.actor.clone(),
            action: entry.action,
            target: entry.target.clone(),
            outcome: entry.outcome,
            reason: entry.reason.clone(),
        };
        if !seen.contains_key(&kind) {
            let of_client = seen.keys().filter(|k| k.client == kind.client).count();
            if seen.len() >= MAX_KINDS {
                kind = Kind {
                    client: "many clients".into(),
                    actor: "various".into(),
                    action: "access.refusals",
                    target: "various".into(),
                    outcome: super::Outcome::Denied,
                    reason: "more kinds of refusal than are itemised".into(),
                };
            } else if of_client >= KINDS_PER_CLIENT {
                kind = Kind {
                    target: "various".into(),
                    reason: "more kinds of refusal from one client than are itemised".into(),
                    ..kind
                };
            }
        }
        match seen.get_mut(&kind) {
            Some(counted) => {
                counted.more += 1;
                None
            }
            None => {
                let first = NewEntry {
                    actor: kind.actor.clone(),
                    action: kind.action,
                    target: kind.target.clone(),
                    outcome: kind.outcome,
                    reason: kind.reason.clone(),
                    at: now,
                };
                seen.insert(
                    kind,
                    Counted {
                        since: now,
                        more: 0,
                    },
                );
                Some(first)
            }
        }
    }

    /// The summaries of windows that have passed (one entry for each kind
    /// seen more than once), forgetting those kinds.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<NewEntry> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.quiet_until.is_some_and(|q| now < q) {
            return Vec::new();
        }
        let mut out = Vec::new();
        inner.seen.retain(|kind, counted| {
            if now - counted.since < WINDOW && now >= counted.since {
                return true;
            }
            if counted.more > 0 {
                out.push(NewEntry {
                    actor: kind.actor.clone(),
                    action: kind.action,
                    target: kind.target.clone(),
                    outcome: kind.outcome,
                    reason: format!(
                        "{} (repeated {} more times from {} in the {} s from {})",
                        kind.reason,
                        counted.more,
                        if kind.client.is_empty() {
                            "an unknown address"
                        } else {
                            &kind.client
                        },
                        WINDOW.num_seconds(),
                        counted.since.format("%Y-%m-%d %H:%M:%S UTC"),
                    ),
                    at: now,
                });
            }
            false
        });
        inner.quiet_until = inner.seen.values().map(|c| c.since + WINDOW).min();
        out
    }

    /// How many kinds are being counted (for tests and figures).
    pub fn kinds(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .seen
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Outcome;

    fn refusal(target: &str) -> NewEntry {
        NewEntry::new("anonymous", "access.denied", target, Outcome::Denied, at(0))
            .because("not signed in")
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("a time")
    }

    #[test]
    fn the_first_is_written_and_the_rest_are_counted_into_one_entry() {
        let refusals = Refusals::default();
        assert!(refusals
            .note("10.0.0.5", refusal("/api/notes/add"), at(0))
            .is_some());
        for n in 0..9_999 {
            assert!(refusals
                .note("10.0.0.5", refusal("/api/notes/add"), at(n % 59))
                .is_none());
        }
        // Another client is its own kind.
        assert!(refusals
            .note("10.0.0.6", refusal("/api/notes/add"), at(1))
            .is_some());
        assert!(refusals.due(at(59)).is_empty(), "the window is still open");
        let due = refusals.due(at(61));
        assert_eq!(
            due.len(),
            1,
            "the other client was seen once: nothing more to say"
        );
        assert_eq!(due[0].action, "access.denied");
        assert!(
            due[0]
                .reason
                .starts_with("not signed in (repeated 9999 more times from 10.0.0.5"),
            "{}",
            due[0].reason
        );
        assert_eq!(refusals.kinds(), 0, "forgotten once summarised");
        assert!(
            refusals
                .note("10.0.0.5", refusal("/api/notes/add"), at(62))
                .is_some(),
            "a new window"
        );
    }

    #[test]
    fn a_first_refusal_keeps_its_time_and_a_summary_takes_the_time_of_due() {
        let refusals = Refusals::default();
        let first = refusals
            .note("10.0.0.5", refusal("/api/notes/add"), at(5))
            .expect("the first is written");
        assert_eq!(first.at, at(5));
        assert!(refusals
            .note("10.0.0.5", refusal("/api/notes/add"), at(6))
            .is_none());
        let due = refusals.due(at(90));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].at, at(90));
    }

    #[test]
    fn varying_the_request_does_not_escape_the_bound() {
        let refusals = Refusals::default();
        let written = (0..10_000)
            .filter(|n| {
                refusals
                    .note("10.0.0.5", refusal(&format!("/api/x{n}")), at(0))
                    .is_some()
            })
            .count();
        assert_eq!(written, KINDS_PER_CLIENT + 1);
        let written = (0..10_000)
            .filter(|n| {
                refusals
                    .note(
                        &format!("10.1.{}.{}", n / 256, n % 256),
                        refusal("/api/x"),
                        at(0),
                    )
                    .is_some()
            })
            .count();
        assert!(written <= MAX_KINDS, "{written}");
        assert!(refusals.kinds() <= MAX_KINDS + 1);
        assert!(refusals.due(at(60)).len() <= MAX_KINDS + 1);
    }
}
