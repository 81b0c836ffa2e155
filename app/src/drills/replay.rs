//! Replay: a resolved incident becomes a scenario to rehearse. What the
//! team learned as it went (their notes) and the audit events linked as
//! evidence become injects at their offsets from the declaration, with a
//! flood of events grouped into one inject. Expectations are proposed
//! from what actually happened, held to the usual targets: a first notice
//! that took 40 minutes is expected within 15 next time. The facilitator
//! edits the result before anyone plays it.
use super::{
    Audience, Check, Expectation, Inject, Scenario, DECISION_TAG, MAX_INJECTS, MAX_MINUTES,
};
use crate::{
    incidents::IncidentView,
    timeline::{Entry, Kind, COMMANDER},
};
use chrono::{DateTime, Utc};

/// Events this close to the first of a group join it.
pub const GROUP_MINUTES: i64 = 5;
/// How many events one grouped inject lists before "and N more".
pub const LISTED: usize = 10;
/// The usual targets, in minutes.
pub const COMMANDER_TARGET: u32 = 5;
pub const NOTICE_TARGET: u32 = 15;

/// A linked audit event as replay needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub occurred_at: DateTime<Utc>,
    pub source: String,
    pub action: String,
    pub summary: String,
}

/// The target to propose from what happened (`None`: never reached): the
/// usual one, or the time actually taken when that was better, in whole
/// five minutes and never under five.
pub fn proposed(taken_s: Option<i64>, usual: u32) -> u32 {
    match taken_s {
        Some(s) if s / 60 < i64::from(usual) => {
            let m = u32::try_from(s / 60).unwrap_or(usual);
            (m / 5 * 5).max(5).min(usual)
        }
        _ => usual,
    }
}

/// The scenario a resolved incident replays as.
pub fn scenario(v: &IncidentView, notes: &[Entry], evidence: &[Evidence]) -> Scenario {
    let i = &v.incident;
    let start = i.declared_at;
    let end = i.resolved_at.unwrap_or(v.now);
    let planned = u32::try_from((end - start).num_minutes().max(30))
        .unwrap_or(MAX_MINUTES)
        .min(MAX_MINUTES);
    let offset = |at: DateTime<Utc>| {
        u32::try_from((at - start).num_seconds().max(0))
            .unwrap_or(u32::MAX)
            .min(planned * 60)
    };
    let m = v.measures();
    let first_stage = v
        .notices
        .iter()
        .filter(|n| n.published_at.is_some())
        .min_by_key(|n| n.published_at)
        .map(|n| n.stage);
    let notice_target = proposed(m.to_first_notice, NOTICE_TARGET);
    let commander_target = proposed(m.to_commander, COMMANDER_TARGET);
    let mut opening = vec![
        Expectation {
            id: 1,
            text: format!("Commander assigned within {commander_target} minutes"),
            check: Check::RoleAssigned {
                role: COMMANDER.into(),
            },
            within_minutes: Some(commander_target),
        },
        Expectation {
            id: 2,
            text: format!(
                "First notice{} published within {notice_target} minutes",
                first_stage.map_or(String::new(), |s| format!(" ({})", s.as_str()))
            ),
            check: Check::NoticePublished { stage: first_stage },
            within_minutes: Some(notice_target),
        },
    ];
    let mut injects = vec![Inject {
        id: 1,
        offset_s: 0,
        title: format!("Declared: {}", i.title),
        body: format!(
            "Severity {}. {}",
            i.severity.as_str().to_uppercase(),
            if i.impact.is_empty() {
                "No impact was written down."
            } else {
                &i.impact
            }
        ),
        audience: Audience::Everyone,
        expectations: Vec::new(),
    }];
    let mut decisions = Vec::new();
    for note in notes
        .iter()
        .filter(|n| n.kind == Kind::Note && n.corrects.is_none())
    {
        if note.text.contains(DECISION_TAG) {
            decisions.push(note);
            continue;
        }
        let at = note.happened_at.unwrap_or(note.at);
        injects.push(Inject {
            id: 0,
            offset_s: offset(at),
            title: crate::timeline::step_title(&note.text),
            body: note.text.clone(),
            audience: Audience::Everyone,
            expectations: Vec::new(),
        });
    }
    for group in groups(evidence) {
        let first = &group[0];
        let mut body: Vec<String> = group
            .iter()
            .take(LISTED)
            .map(|e| {
                format!(
                    "- `{}` {} {}: {}",
                    crate::ui::hh_mm(e.occurred_at),
                    e.source,
                    e.action,
                    e.summary
                )
            })
            .collect();
        if group.len() > LISTED {
            body.push(format!("- and {} more", group.len() - LISTED));
        }
        injects.push(Inject {
            id: 0,
            offset_s: offset(first.occurred_at),
            title: if group.len() == 1 {
                format!("Audit event: {} {}", first.source, first.action)
            } else {
                format!(
                    "{} audit events from {}, starting with {}",
                    group.len(),
                    first.source,
                    first.action
                )
            },
            body: body.join("\n"),
            audience: Audience::Everyone,
            expectations: Vec::new(),
        });
    }
    injects.sort_by_key(|i| i.offset_s);
    injects.truncate(MAX_INJECTS);
    // A decision the team recorded is expected again, after whatever came
    // just before it.
    for d in decisions {
        let at = offset(d.happened_at.unwrap_or(d.at));
        let owner = injects.iter().rposition(|i| i.offset_s <= at).unwrap_or(0);
        let target = ((at - injects[owner].offset_s) / 60).max(5);
        let text = format!(
            "A decision is recorded: {}",
            crate::timeline::step_title(&d.text)
        );
        let list = if owner == 0 {
            &mut opening
        } else {
            &mut injects[owner].expectations
        };
        if list.len() < super::MAX_EXPECTATIONS {
            list.push(Expectation {
                id: 0,
                text,
                check: Check::Decision,
                within_minutes: Some(target),
            });
        }
    }
    injects[0].expectations = opening;
    for (n, inject) in injects.iter_mut().enumerate() {
        inject.id = u32::try_from(n + 1).unwrap_or(u32::MAX);
        for (k, e) in inject.expectations.iter_mut().enumerate() {
            e.id = u32::try_from(k + 1).unwrap_or(u32::MAX);
        }
    }
    Scenario {
        title: format!("Replay: {}", i.title).chars().take(120).collect(),
        tags: vec!["replay".into()],
        description: format!(
            "Replayed from incident #{}, declared {}. Then: commander after {}, first notice after {}, {} of {} steps done.",
            i.id,
            crate::ui::when(start),
            m.to_commander.map_or("never".into(), crate::clock::duration_text),
            m.to_first_notice.map_or("never".into(), crate::clock::duration_text),
            m.steps_done,
            m.steps_total
        ),
        runbook: i.runbook.as_ref().map(|(id, _, _)| *id),
        planned_minutes: planned,
        roles: v.roles.iter().filter(|r| r.person_id.is_some()).map(|r| r.role_id).collect(),
        injects,
    }
}

/// Events in time order, grouped while each is within
/// [`GROUP_MINUTES`] of its group's first.
fn groups(evidence: &[Evidence]) -> Vec<Vec<Evidence>> {
    let mut sorted = evidence.to_vec();
    sorted.sort_by_key(|e| e.occurred_at);
    let mut out: Vec<Vec<Evidence>> = Vec::new();
    for e in sorted {
        match out.last_mut() {
            Some(g)
                if e.occurred_at - g[0].occurred_at <= chrono::Duration::minutes(GROUP_MINUTES) =>
            {
                g.push(e)
            }
            _ => out.push(vec![e]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_hold_to_the_usual_or_to_what_was_done_better() {
        assert_eq!(
            proposed(Some(40 * 60), NOTICE_TARGET),
            15,
            "40 min: expect 15"
        );
        assert_eq!(proposed(Some(12 * 60), NOTICE_TARGET), 10);
        assert_eq!(proposed(Some(60), COMMANDER_TARGET), 5, "never under five");
        assert_eq!(
            proposed(None, NOTICE_TARGET),
            15,
            "never reached: the usual"
        );
    }

    #[test]
    fn a_flood_of_events_becomes_one_inject() {
        let t0: DateTime<Utc> = "2026-11-20T03:00:00Z".parse().expect("time");
        let flood: Vec<Evidence> = (0..40)
            .map(|n| Evidence {
                occurred_at: t0 + chrono::Duration::seconds(n * 5),
                source: "stripe".into(),
                action: "charge.failed".into(),
                summary: format!("charge {n} failed"),
            })
            .chain(std::iter::once(Evidence {
                occurred_at: t0 + chrono::Duration::minutes(30),
                source: "github".into(),
                action: "repo.deploy".into(),
                summary: "deploy".into(),
            }))
            .collect();
        let g = groups(&flood);
        assert_eq!(g.iter().map(Vec::len).collect::<Vec<_>>(), [40, 1]);
    }
}
