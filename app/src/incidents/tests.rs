use super::*;
use crate::timeline::testing::{entry, role, t};
use crate::timeline::COMMANDER;

fn status(id: i64, minutes: i64, from: Status, to: Status) -> Entry {
    let mut e = entry(id, minutes, EntryKind::StatusChange, "words");
    e.data = Some(crate::timeline::Data::Status {
        from: from.as_str().into(),
        to: to.as_str().into(),
    });
    e
}

fn item(target: Option<u32>, done: Option<i64>) -> ChecklistItem {
    ChecklistItem {
        step_id: 1,
        phase: Phase::Triage,
        role: COMMANDER.into(),
        target_minutes: target,
        text: "Check the provider\nthen more".into(),
        html: String::new(),
        done_at: done.map(t),
        done_by: done.map(|_| "someone".into()),
    }
}

fn view(
    timeline: Vec<Entry>,
    checklist: Vec<ChecklistItem>,
    resolved: Option<i64>,
) -> IncidentView {
    IncidentView {
        incident: Incident {
            id: 1,
            title: "Payments failing".into(),
            severity: Severity::Sev1,
            status: if resolved.is_some() {
                Status::Resolved
            } else {
                Status::Investigating
            },
            impact: String::new(),
            runbook: None,
            declared_at: t(0),
            declared_by: "user:ic@example.com".into(),
            resolved_at: resolved.map(t),
            next_update_at: None,
            revision: 1,
            drill_run: None,
            clock: None,
        },
        roles: vec![],
        checklist,
        marks: timeline
            .iter()
            .filter(|e| MARK_KINDS.contains(&e.kind))
            .cloned()
            .collect(),
        earlier: None,
        timeline,
        people: vec![],
        notices: vec![],
        templates: vec![],
        now: t(500),
        real_now: t(500),
        failed_deliveries: vec![],
    }
}

#[test]
fn a_drill_incident_reads_its_time_from_its_virtual_clock() {
    let mut v = view(vec![], vec![], None);
    assert_eq!(
        v.incident.now(t(7)),
        t(7),
        "a real incident runs on real time"
    );
    let mut clock = crate::clock::VirtualClock::started(t(0), 1000);
    v.incident.clock = Some(clock);
    assert_eq!(v.incident.now(t(1)), t(10), "10x");
    clock.pause(t(2));
    v.incident.clock = Some(clock);
    assert_eq!(v.incident.now(t(30)), t(20), "paused: it stands");
}

#[test]
fn a_step_is_overdue_when_open_past_its_target_or_done_late() {
    assert!(!item(Some(15), None).overdue(t(0), t(10)));
    assert!(item(Some(15), None).overdue(t(0), t(16)));
    assert!(!item(Some(15), Some(14)).overdue(t(0), t(100)));
    assert!(item(Some(15), Some(20)).overdue(t(0), t(100)));
    assert!(
        !item(None, None).overdue(t(0), t(10_000)),
        "no target, never overdue"
    );
}

#[test]
fn measures_count_from_declaration_and_use_when_things_happened() {
    let mut late_note = role(4, 30, COMMANDER, Some("Priya Shah"));
    late_note.happened_at = Some(t(3));
    // Words that look like a commander but carry no such data count for nothing.
    let mut words = entry(6, 2, EntryKind::Note, "Incident Commander: Sam");
    words.kind = EntryKind::RoleAssigned;
    let v = view(
        vec![
            entry(1, 0, EntryKind::Declared, "Declared"),
            role(2, 1, "Scribe", Some("Sam")),
            role(7, 1, COMMANDER, None),
            words,
            entry(3, 40, EntryKind::NoticePublished, "Status page"),
            late_note,
            entry(5, 50, EntryKind::NoticePublished, "Email"),
        ],
        vec![
            item(Some(15), Some(10)),
            item(Some(15), Some(30)),
            item(Some(60), None),
        ],
        Some(90),
    );
    let m = v.measures();
    assert_eq!(m.to_commander, Some(3 * 60));
    assert_eq!(m.to_first_notice, Some(40 * 60));
    assert_eq!((m.steps_done, m.steps_total), (2, 3));
    assert_eq!(
        m.overdue,
        ["Check the provider", "Check the provider"],
        "done late, and open past target at resolve"
    );
    assert_eq!(
        step_title("**Stop the retry storm.** Then `pause` it"),
        "Stop the retry storm. Then pause it"
    );
    assert_eq!(step_title(&"x".repeat(100)).chars().count(), 80);
}

#[test]
fn the_chart_draws_status_periods_and_marks_in_time_order() {
    let identified = status(2, 30, Status::Investigating, Status::Identified);
    let v = view(
        vec![
            entry(1, 0, EntryKind::Declared, "Declared"),
            identified,
            entry(3, 10, EntryKind::StepDone, "Check"),
            entry(4, 40, EntryKind::NoticePublished, "Published (Email): Hi"),
            status(5, 90, Status::Identified, Status::Resolved),
        ],
        vec![],
        Some(90),
    );
    let bands = chart::bands(&v);
    assert_eq!(
        bands.iter().map(|b| b.0).collect::<Vec<_>>(),
        [Status::Investigating, Status::Identified]
    );
    assert!(
        (bands[0].2 - bands[1].1).abs() < f64::EPSILON,
        "periods meet"
    );
    assert!(
        (bands[1].2 - 990.0).abs() < 0.01,
        "the last period ends at resolution"
    );
    let marks = chart::marks(&v);
    assert_eq!(marks.len(), 2);
    assert_eq!((marks[0].lane, marks[1].lane), (0, 1));
    assert!(marks[0].x < marks[1].x);
    assert!(
        marks[1].label.starts_with("03:40 Notice published"),
        "{}",
        marks[1].label
    );
}

#[test]
fn a_change_made_on_the_shown_revision_is_applied_in_place() {
    let mut v = view(
        vec![entry(1, 0, EntryKind::Declared, "Declared")],
        vec![item(Some(15), None)],
        None,
    );
    v.roles = vec![RoleHolder {
        role_id: 7,
        role: COMMANDER.into(),
        person_id: None,
        person: None,
    }];
    let mut done = item(Some(15), Some(5));
    done.done_by = Some("Sam".into());
    let delta = Delta {
        from: 1,
        revision: 2,
        entries: vec![entry(2, 5, EntryKind::StepDone, "Check the provider")],
        step: Some(done.clone()),
        ..Delta::default()
    };
    assert_eq!(v.apply(delta.clone()), Applied::Applied);
    assert_eq!(v.incident.revision, 2);
    assert_eq!(v.checklist, [done]);
    assert_eq!(v.timeline.len(), 2);
    assert_eq!(v.marks.len(), 1, "a step done counts for the picture");
    assert_eq!(v.apply(delta), Applied::AlreadyShown, "twice is once");
    assert_eq!(v.timeline.len(), 2);

    let handoff = Delta {
        from: 2,
        revision: 3,
        entries: vec![role(3, 6, COMMANDER, Some("Sam"))],
        role: Some(RoleHolder {
            role_id: 7,
            role: COMMANDER.into(),
            person_id: Some(4),
            person: Some("Sam".into()),
        }),
        ..Delta::default()
    };
    assert_eq!(v.apply(handoff), Applied::Applied);
    assert_eq!(v.roles[0].person.as_deref(), Some("Sam"));
    assert_eq!(v.measures().to_commander, Some(6 * 60));
}

#[test]
fn a_change_after_a_missed_one_asks_for_a_fetch_and_changes_nothing() {
    let mut v = view(
        vec![entry(1, 0, EntryKind::Declared, "Declared")],
        vec![],
        None,
    );
    let later = Delta {
        from: 2,
        revision: 3,
        entries: vec![entry(3, 5, EntryKind::Note, "later")],
        ..Delta::default()
    };
    assert_eq!(v.apply(later), Applied::Gap);
    assert_eq!((v.incident.revision, v.timeline.len()), (1, 1));
}

#[test]
fn a_page_left_open_keeps_a_bounded_timeline() {
    let mut v = view(vec![], vec![], None);
    for n in 1..=(3 * PAGE as i64) {
        let delta = Delta {
            from: n,
            revision: n + 1,
            entries: vec![entry(n, 1, EntryKind::Note, "note")],
            ..Delta::default()
        };
        assert_eq!(v.apply(delta), Applied::Applied);
    }
    assert!(v.timeline.len() <= 2 * PAGE, "{}", v.timeline.len());
    let oldest = v.timeline[0].id;
    assert_eq!(v.earlier, Some(oldest), "earlier entries are a link away");
    assert_eq!(v.timeline.last().map(|e| e.id), Some(3 * PAGE as i64));
}
