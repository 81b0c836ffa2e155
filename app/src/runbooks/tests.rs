use super::*;

fn step(phase: Phase, text: &str) -> Step {
    Step {
        id: 0,
        phase,
        role_id: 1,
        target_minutes: None,
        text: text.into(),
    }
}

fn texts(book: &Runbook) -> Vec<&str> {
    book.steps.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn steps_are_kept_in_phase_order_whatever_order_they_are_added_in() {
    let mut book = Runbook::new("Outage".into());
    book.put_step(step(Phase::Recovery, "r1")).unwrap();
    book.put_step(step(Phase::Triage, "t1")).unwrap();
    book.put_step(step(Phase::Containment, "c1")).unwrap();
    book.put_step(step(Phase::Triage, "t2")).unwrap();
    assert_eq!(texts(&book), ["t1", "t2", "c1", "r1"]);
    assert_eq!(
        book.steps.iter().map(|s| s.id).collect::<Vec<_>>(),
        [2, 4, 3, 1]
    );
}

#[test]
fn steps_move_only_within_their_phase_and_keep_their_ids() {
    let mut book = Runbook::new("Outage".into());
    for (phase, text) in [
        (Phase::Triage, "t1"),
        (Phase::Triage, "t2"),
        (Phase::Containment, "c1"),
    ] {
        book.put_step(step(phase, text)).unwrap();
    }
    book.change_step(2, StepChange::Up).unwrap();
    assert_eq!(texts(&book), ["t2", "t1", "c1"]);
    book.change_step(2, StepChange::Up).unwrap();
    assert_eq!(texts(&book), ["t2", "t1", "c1"], "already first");
    book.change_step(1, StepChange::Down).unwrap();
    assert_eq!(
        texts(&book),
        ["t2", "t1", "c1"],
        "does not cross into containment"
    );
    book.change_step(1, StepChange::Remove).unwrap();
    assert_eq!(texts(&book), ["t2", "c1"]);
    assert!(book.change_step(1, StepChange::Up).is_err());
}

#[test]
fn editing_a_step_into_another_phase_moves_it_to_the_end_of_that_phase() {
    let mut book = Runbook::new("Outage".into());
    for (phase, text) in [
        (Phase::Triage, "t1"),
        (Phase::Recovery, "r1"),
        (Phase::Containment, "c1"),
    ] {
        book.put_step(step(phase, text)).unwrap();
    }
    let mut moved = book.step(1).unwrap().clone();
    moved.phase = Phase::Containment;
    moved.text = "now containment".into();
    book.put_step(moved).unwrap();
    assert_eq!(texts(&book), ["c1", "now containment", "r1"]);
}

#[test]
fn step_fields_are_checked_and_named() {
    let err = parse_step(0, "triage", 1, "0", "Do it")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("Target time: '0' is not a number of minutes"),
        "{err}"
    );
    let err = parse_step(0, "panic", 1, "", "Do it")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("Phase: 'panic' is not one of"), "{err}");
    let err = parse_step(0, "triage", 1, "5", "  ")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "Step: is required");
    assert_eq!(
        parse_step(0, "triage", 1, " 15 ", "Do it")
            .unwrap()
            .target_minutes,
        Some(15)
    );
}

#[test]
fn the_text_form_names_roles_and_templates_and_numbers_steps_per_phase() {
    let mut book = Runbook::new("Outage".into());
    book.tags = vec!["stripe".into()];
    book.templates = vec![7];
    let mut first = step(Phase::Triage, "Check the status page\nand the dashboard");
    first.target_minutes = Some(5);
    book.put_step(first).unwrap();
    book.put_step(step(Phase::Triage, "Open a channel"))
        .unwrap();
    let roles = BTreeMap::from([(1, "Incident Commander".to_owned())]);
    let templates = BTreeMap::from([(7, "Payment outage: investigating".to_owned())]);
    let text = book.as_text(&roles, &templates);
    assert!(
        text.contains("Notice templates: Payment outage: investigating\n"),
        "{text}"
    );
    assert!(text.contains("Triage\n1. [Incident Commander, within 5 min]\n   Check the status page\n   and the dashboard\n2. [Incident Commander]\n   Open a channel\n"), "{text}");
}
