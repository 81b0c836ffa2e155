//! Judging a drill's expectations from the drill incident's record, and
//! its score with the coverage that says how much was judged at all.
//! Pure: the run reads the record and stores what this decides.
use super::{Check, Expectation, Scenario, DECISION_TAG};
use crate::timeline::{Data, Entry, Kind};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How an expectation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pending,
    Met,
    Missed,
    Waived,
}

impl Verdict {
    pub const JUDGED: [Self; 3] = [Self::Met, Self::Missed, Self::Waived];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Met => "met",
            Self::Missed => "missed",
            Self::Waived => "waived",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, crate::error::AppError> {
        crate::error::choice(field, s, &Self::JUDGED, Self::as_str)
    }
}

/// What the record decided about one expectation, when it decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    pub verdict: Verdict,
    /// When what met it happened (also when it happened too late).
    pub met_at: Option<DateTime<Utc>>,
    /// The incident's timeline entry that met it.
    pub evidence: Option<i64>,
}

/// Whether an entry of the drill incident's record does what `check` asks.
fn meets(check: &Check, entry: &Entry) -> bool {
    match (check, &entry.data) {
        (
            Check::RoleAssigned { role },
            Some(Data::Role {
                role: r,
                to: Some(_),
                ..
            }),
        ) => r.eq_ignore_ascii_case(role),
        (Check::NoticePublished { stage }, Some(Data::Notice { stage: s, .. })) => {
            stage.is_none_or(|want| want.as_str() == s)
        }
        (Check::StepDone { step }, Some(Data::Step { step: s })) => {
            entry.kind == Kind::StepDone && s == step
        }
        (Check::Decision, _) => {
            matches!(entry.kind, Kind::Note | Kind::Correction)
                && entry
                    .text
                    .split_whitespace()
                    .any(|w| w.eq_ignore_ascii_case(DECISION_TAG))
        }
        _ => false,
    }
}

/// What the record says of `expectation`, whose inject was released at
/// `released`, when the drill's time is `now`; `None` while it is still
/// open (or only the facilitator can judge it). Something done before
/// the inject counts as done at once; done after the deadline, it is
/// missed, with the time it took kept.
pub fn decide(
    expectation: &Expectation,
    released: DateTime<Utc>,
    entries: &[Entry],
    now: DateTime<Utc>,
    ended: bool,
) -> Option<Decided> {
    if expectation.check == Check::Manual {
        return None;
    }
    let deadline = expectation
        .within_minutes
        .map(|m| released + Duration::minutes(i64::from(m)));
    let first = entries
        .iter()
        .filter(|e| meets(&expectation.check, e))
        .min_by_key(|e| (e.when(), e.id));
    match (first, deadline) {
        (Some(e), Some(deadline)) if e.when() > deadline => Some(Decided {
            verdict: Verdict::Missed,
            met_at: Some(e.when()),
            evidence: Some(e.id),
        }),
        (Some(e), _) => Some(Decided {
            verdict: Verdict::Met,
            met_at: Some(e.when()),
            evidence: Some(e.id),
        }),
        (None, Some(deadline)) if now > deadline => Some(Decided {
            verdict: Verdict::Missed,
            met_at: None,
            evidence: None,
        }),
        (None, _) if ended => Some(Decided {
            verdict: Verdict::Missed,
            met_at: None,
            evidence: None,
        }),
        (None, _) => None,
    }
}

/// A drill's score, always with its coverage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub met: usize,
    pub missed: usize,
    pub waived: usize,
    pub pending: usize,
    pub injects: usize,
    pub injects_with_expectations: usize,
}

impl Score {
    pub fn of(scenario: &Scenario, verdicts: impl IntoIterator<Item = Verdict>) -> Self {
        let mut score = Self {
            injects: scenario.injects.len(),
            injects_with_expectations: scenario
                .injects
                .iter()
                .filter(|i| !i.expectations.is_empty())
                .count(),
            ..Self::default()
        };
        for verdict in verdicts {
            match verdict {
                Verdict::Met => score.met += 1,
                Verdict::Missed => score.missed += 1,
                Verdict::Waived => score.waived += 1,
                Verdict::Pending => score.pending += 1,
            }
        }
        score
    }

    pub fn expectations(&self) -> usize {
        self.met + self.missed + self.waived + self.pending
    }

    /// Met or missed: what the score is made of (a waived one is left out).
    pub fn judged(&self) -> usize {
        self.met + self.missed
    }

    /// Percent met of those judged, rounded; `None` when nothing was
    /// judged, so an unjudged drill never reads as perfect.
    pub fn percent(&self) -> Option<usize> {
        let judged = self.judged();
        (judged > 0).then(|| (self.met * 100 + judged / 2) / judged)
    }

    /// "75% (3 of 4 judged met) · 4 of 6 expectations judged · 3 of 5
    /// injects had expectations".
    pub fn summary(&self) -> String {
        let score = match self.percent() {
            Some(p) => format!("{p}% ({} of {} judged met)", self.met, self.judged()),
            None => "no score: nothing judged".to_owned(),
        };
        format!(
            "{score} · {} of {} expectations judged · {} of {} injects had expectations",
            self.judged(),
            self.expectations(),
            self.injects_with_expectations,
            self.injects
        )
    }
}
