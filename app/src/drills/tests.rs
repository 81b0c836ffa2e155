use super::{
    score::{decide, Score, Verdict},
    *,
};
use crate::timeline::{Data, Entry, Kind};
use chrono::{DateTime, Duration, Utc};

fn t(minutes: i64) -> DateTime<Utc> {
    "2026-11-28T03:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
}

fn entry(id: i64, minutes: i64, kind: Kind, text: &str, data: Option<Data>) -> Entry {
    Entry {
        id,
        at: t(minutes),
        happened_at: None,
        author: "Pat".into(),
        kind,
        source: "muster".into(),
        text: text.into(),
        corrects: None,
        data,
    }
}

fn expect(check: Check, within: Option<u32>) -> Expectation {
    Expectation {
        id: 1,
        text: "something".into(),
        check,
        within_minutes: within,
    }
}

fn published(id: i64, minutes: i64, stage: &str) -> Entry {
    entry(
        id,
        minutes,
        Kind::NoticePublished,
        "Published",
        Some(Data::Notice {
            notice: id,
            stage: stage.into(),
        }),
    )
}

#[test]
fn a_notice_expectation_is_met_by_the_first_notice_of_its_stage_within_its_time() {
    let e = expect(
        Check::NoticePublished {
            stage: Some(Stage::Investigating),
        },
        Some(15),
    );
    let record = [
        published(7, 12, "identified"),
        published(8, 14, "investigating"),
    ];
    let decided = decide(&e, t(0), &record, t(14), false).expect("decided");
    assert_eq!(decided.verdict, Verdict::Met);
    assert_eq!((decided.met_at, decided.evidence), (Some(t(14)), Some(8)));
    assert_eq!(
        decide(&e, t(0), &record[..1], t(10), false),
        None,
        "still open"
    );
    let missed = decide(&e, t(0), &record[..1], t(16), false).expect("past due");
    assert_eq!((missed.verdict, missed.evidence), (Verdict::Missed, None));
    let late = decide(&e, t(-10), &record, t(30), false).expect("late");
    assert_eq!(
        (late.verdict, late.met_at),
        (Verdict::Missed, Some(t(14))),
        "done after the deadline: missed, and how long it took is kept"
    );
}

#[test]
fn roles_steps_and_decisions_are_recognised_and_manual_ones_wait_for_the_facilitator() {
    let role = |id, minutes, to: Option<&str>| {
        entry(
            id,
            minutes,
            Kind::RoleAssigned,
            "role",
            Some(Data::Role {
                role: "Incident Commander".into(),
                from: None,
                to: to.map(str::to_owned),
            }),
        )
    };
    let record = [
        role(1, 1, None),
        role(2, 3, Some("Kim")),
        entry(3, 4, Kind::StepDone, "Check", Some(Data::Step { step: 2 })),
        entry(4, 5, Kind::Note, "we pause retries #Decision", None),
    ];
    let commander = expect(
        Check::RoleAssigned {
            role: "incident commander".into(),
        },
        Some(5),
    );
    let got = decide(&commander, t(0), &record, t(3), false).expect("met");
    assert_eq!(
        (got.verdict, got.evidence),
        (Verdict::Met, Some(2)),
        "a stand-down is not a holder"
    );
    let step = decide(
        &expect(Check::StepDone { step: 2 }, None),
        t(0),
        &record,
        t(9),
        false,
    );
    assert_eq!(step.map(|d| d.evidence), Some(Some(3)));
    assert_eq!(
        decide(
            &expect(Check::StepDone { step: 9 }, None),
            t(0),
            &record,
            t(99),
            false
        ),
        None,
        "no deadline: open until the drill ends"
    );
    let never = decide(
        &expect(Check::StepDone { step: 9 }, None),
        t(0),
        &record,
        t(99),
        true,
    );
    assert_eq!(
        never.map(|d| d.verdict),
        Some(Verdict::Missed),
        "the end judges it"
    );
    let decision = decide(
        &expect(Check::Decision, Some(10)),
        t(0),
        &record,
        t(5),
        false,
    );
    assert_eq!(decision.map(|d| d.evidence), Some(Some(4)));
    assert_eq!(
        decide(&expect(Check::Manual, Some(1)), t(0), &record, t(99), true),
        None,
        "only the facilitator judges a manual one"
    );
}

fn inject(id: u32, offset_s: u32, expectations: usize) -> Inject {
    Inject {
        id,
        offset_s,
        title: format!("Inject {id}"),
        body: String::new(),
        audience: Audience::Everyone,
        expectations: (0..expectations)
            .map(|n| Expectation {
                id: n as u32 + 1,
                text: "x".into(),
                check: Check::Manual,
                within_minutes: None,
            })
            .collect(),
    }
}

fn scenario(injects: Vec<Inject>) -> Scenario {
    Scenario {
        title: "Payment outage".into(),
        tags: vec![],
        description: String::new(),
        runbook: None,
        planned_minutes: 60,
        roles: vec![],
        injects,
    }
}

#[test]
fn a_score_always_comes_with_its_coverage_and_nothing_judged_is_no_score() {
    let s = scenario(vec![inject(1, 0, 2), inject(2, 60, 0), inject(3, 120, 1)]);
    let none = Score::of(&s, [Verdict::Pending; 3]);
    assert_eq!(none.percent(), None);
    assert_eq!(
        none.summary(),
        "no score: nothing judged · 0 of 3 expectations judged · 2 of 3 injects had expectations"
    );
    let some = Score::of(&s, [Verdict::Met, Verdict::Pending, Verdict::Waived]);
    assert_eq!(some.percent(), Some(100));
    assert_eq!(
        some.summary(),
        "100% (1 of 1 judged met) · 1 of 3 expectations judged · 2 of 3 injects had expectations"
    );
    let mixed = Score::of(&s, [Verdict::Met, Verdict::Missed, Verdict::Missed]);
    assert_eq!(mixed.percent(), Some(33));
    let most = Score::of(&s, [Verdict::Met, Verdict::Met, Verdict::Missed]);
    assert_eq!(most.percent(), Some(67), "rounded");
}

#[test]
fn a_scenario_is_checked_field_by_field_and_its_injects_put_in_order() {
    let ok = scenario(vec![inject(2, 600, 1), inject(1, 0, 0)])
        .checked()
        .expect("valid");
    assert_eq!(ok.injects.iter().map(|i| i.id).collect::<Vec<_>>(), [1, 2]);
    let err = scenario(vec![inject(1, 0, 0), inject(1, 60, 0)])
        .checked()
        .unwrap_err()
        .to_string();
    assert_eq!(err, "Inject 2 id: is missing or repeated");
    let err = scenario(vec![inject(1, 3601, 0)])
        .checked()
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "Inject 1 time: is after the end of the planned duration"
    );
    let mut long = scenario(vec![]);
    long.planned_minutes = 0;
    assert!(long
        .checked()
        .unwrap_err()
        .to_string()
        .starts_with("Planned duration"));
    assert_eq!(offset_text(65), "01:05");
    assert_eq!(offset_text(3725), "1:02:05");
    assert!(Audience::Roles(vec![2]).includes(&[1, 2]));
    assert!(!Audience::Roles(vec![2]).includes(&[1]));
    assert!(Audience::Everyone.includes(&[]));
}
