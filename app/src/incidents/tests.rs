use super::*;
use chrono::TimeZone;

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 3, 0, 0)
        .single()
        .expect("time")
        + Duration::minutes(minutes)
}

fn entry(id: i64, minutes: i64, kind: EntryKind, text: &str) -> Entry {
    Entry {
        id,
        at: t(minutes),
        happened_at: None,
        author: "user:ic@example.com".into(),
        kind,
        source: "muster".into(),
        text: text.into(),
        corrects: None,
    }
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
        },
        roles: vec![],
        checklist,
        timeline,
        people: vec![],
        notices: vec![],
        templates: vec![],
        now: t(500),
    }
}

#[test]
fn the_clock_reads_at_a_glance() {
    assert_eq!(clock(t(0), t(0) + Duration::seconds(45)), "45s");
    assert_eq!(clock(t(0), t(4) + Duration::seconds(5)), "4m 05s");
    assert_eq!(clock(t(0), t(65)), "1h 05m");
    assert_eq!(clock(t(0), t(60 * 26)), "1d 2h");
    assert_eq!(clock(t(10), t(0)), "0s", "never negative");
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
    let mut late_note = entry(
        4,
        30,
        EntryKind::RoleAssigned,
        "Incident Commander: Priya Shah",
    );
    late_note.happened_at = Some(t(3));
    let v = view(
        vec![
            entry(1, 0, EntryKind::Declared, "Declared"),
            entry(2, 1, EntryKind::RoleAssigned, "Scribe: Sam"),
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
    assert_eq!(duration_text(40 * 60), "40m 00s");
}

#[test]
fn corrections_are_shown_with_the_entry_they_correct() {
    let mut correction = entry(3, 20, EntryKind::Correction, "It was the EU region only");
    correction.corrects = Some(1);
    let mut caught_up = entry(4, 25, EntryKind::Note, "Alert fired");
    caught_up.happened_at = Some(t(-5));
    let v = view(
        vec![
            entry(1, 5, EntryKind::Note, "All regions down"),
            entry(2, 10, EntryKind::Note, "Paged Sam"),
            correction,
            caught_up,
        ],
        vec![],
        None,
    );
    let grouped = v.grouped_timeline();
    let order: Vec<i64> = grouped.iter().map(|(e, _)| e.id).collect();
    assert_eq!(order, [4, 1, 2], "by when it happened");
    assert_eq!(grouped[1].1.iter().map(|e| e.id).collect::<Vec<_>>(), [3]);
}

#[test]
fn a_happened_at_time_is_read_in_utc_and_checked() {
    let now = t(30);
    assert_eq!(parse_happened_at("", t(0), now).unwrap(), None);
    assert_eq!(parse_happened_at("03:10", t(0), now).unwrap(), Some(t(10)));
    assert_eq!(
        parse_happened_at("2026-11-26T02:55", t(0), now).unwrap(),
        Some(t(-5))
    );
    assert_eq!(
        parse_happened_at("23:50", t(0), now).unwrap(),
        Some(t(-190)),
        "yesterday"
    );
    let err = parse_happened_at("2026-11-26 04:00", t(0), now)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "Happened at: is in the future");
    let err = parse_happened_at("soon", t(0), now)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("Happened at: 'soon' is not a time"),
        "{err}"
    );
}

#[test]
fn the_chart_draws_status_periods_and_marks_in_time_order() {
    let mut identified = entry(2, 30, EntryKind::StatusChange, "Investigating → Identified");
    identified.author = "a".into();
    let v = view(
        vec![
            entry(1, 0, EntryKind::Declared, "Declared"),
            identified,
            entry(3, 10, EntryKind::StepDone, "Check"),
            entry(4, 40, EntryKind::NoticePublished, "Published (Email): Hi"),
            entry(5, 90, EntryKind::StatusChange, "Resolved"),
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
