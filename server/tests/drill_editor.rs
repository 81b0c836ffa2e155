//! Writing scenarios on a real SQLite file: an editor writes one in the
//! editor's text format and saves it; a mistake is named by its line and
//! stores nothing; an edit makes a new version that keeps the ids of what
//! it kept. A resolved incident replays as a scenario: its notes and its
//! linked events become injects at their offsets, and the expectations
//! are held to the usual targets.
mod support;

use app::{
    drills::{Check, Scenario},
    plans::{db as plans, Kind},
};
use support::{form, manual_clock, spawn_app, TestApp};

async fn demo() -> TestApp {
    spawn_app(app::environment::Environment::Sandbox)
        .await
        .on_clock(manual_clock())
        .with_demo()
        .await
}

async fn stored(app: &TestApp, id: i64, version: Option<i64>) -> Scenario {
    let mut conn = app.state.db.read.acquire().await.expect("conn");
    plans::get::<Scenario>(&mut conn, Kind::Scenario, id, version)
        .await
        .expect("read")
        .expect("scenario")
        .content
}

const INJECTS: &str = "+00:00 Alert: refunds queue stuck [for everyone]
   The `refunds` queue has not moved for 20 minutes.
   expect role Incident Commander, 5 min: Commander assigned

+10:00 Support ticket: where is my refund? [for Communications Lead]
   From: sam@example.com
   expect notice investigating, 15 min: An investigating notice is out
";

fn save(id: &str, injects: &str) -> String {
    form(&[
        ("id", id),
        ("title", "Refunds stuck"),
        ("tags", "payments, Refunds"),
        ("runbook", ""),
        ("planned", "40"),
        ("roles", "Incident Commander, communications lead"),
        ("description", "Refunds stop reaching customers."),
        ("injects", injects),
        ("note", ""),
    ])
}

#[tokio::test]
async fn an_editor_writes_a_scenario_and_edits_it_into_a_new_version() {
    let app = demo().await;
    let eli = app.session_of("editor@demo.muster").await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let before = app
        .count("SELECT COUNT(*) FROM plans WHERE kind = 'scenario'")
        .await;

    let refused = app
        .post_as(&viewer, "/api/drills/scenario/save", &save("", INJECTS))
        .await;
    assert_eq!(refused.status, 403);
    let broken = INJECTS.replace("notice investigating", "notice soon");
    let answer = app
        .post_as(&eli, "/api/drills/scenario/save", &save("", &broken))
        .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer.body.contains("Injects")
            && answer.body.contains("line 7")
            && answer.body.contains("'soon' is not a notice stage"),
        "{}",
        answer.body
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM plans WHERE kind = 'scenario'")
            .await,
        before,
        "nothing half-saved"
    );

    let made = app
        .post_as(&eli, "/api/drills/scenario/save", &save("", INJECTS))
        .await
        .ok();
    let id: i64 = made.body.parse().expect("the new id");
    let first = stored(&app, id, None).await;
    assert_eq!(first.tags, ["payments", "refunds"]);
    assert_eq!(first.roles.len(), 2);
    assert_eq!(first.injects[1].offset_s, 600);
    assert_eq!(
        first.injects[1].expectations[0].check,
        Check::NoticePublished {
            stage: Some(app::notices::Stage::Investigating)
        }
    );
    let page = app
        .get_as(&viewer, &format!("/drills/scenarios/{id}"))
        .await
        .ok()
        .body;
    assert!(
        page.contains("Support ticket: where is my refund?"),
        "{page}"
    );

    // The editor shows the text back as it was written, and an edit that
    // puts a new inject first keeps the others' ids.
    let editing = app
        .get_as(&eli, &format!("/drills/scenarios/{id}/edit"))
        .await
        .ok()
        .body;
    assert!(
        editing.contains("+10:00 Support ticket: where is my refund? [for Communications Lead]")
    );
    let edited = format!("+02:00 Chat: finance asks about refunds\n   Is this known?\n\n{INJECTS}");
    app.post_as(
        &eli,
        "/api/drills/scenario/save",
        &save(&id.to_string(), &edited),
    )
    .await
    .ok();
    let second = stored(&app, id, None).await;
    let ids: Vec<(u32, &str)> = second
        .injects
        .iter()
        .map(|i| (i.id, i.title.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            (1, "Alert: refunds queue stuck"),
            (3, "Chat: finance asks about refunds"),
            (2, "Support ticket: where is my refund?"),
        ]
    );
    assert_eq!(
        stored(&app, id, Some(1)).await,
        first,
        "version 1 is kept as it was"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'drill.scenario.save'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_resolved_incident_replays_as_a_scenario_to_edit() {
    let app = demo().await;
    let eli = app.session_of("editor@demo.muster").await;
    let rae = app.session_of("responder@demo.muster").await;
    let incident = support::outage(&app).await;
    // Link a flood of imported events to it, as a responder would (at 70
    // minutes: the demo linked its own few, the last at 47).
    support::link_events(&app, &rae, incident, 70 * 60, 30).await;

    let refused = app
        .post_as(
            &rae,
            "/api/drills/replay",
            &form(&[("incident", &incident.to_string())]),
        )
        .await;
    assert_eq!(refused.status, 403, "responders do not write scenarios");
    let made = app
        .post_as(
            &eli,
            "/api/drills/replay",
            &form(&[("incident", &incident.to_string())]),
        )
        .await
        .ok();
    let id: i64 = made.body.parse().expect("the new id");
    let s = stored(&app, id, None).await;
    assert_eq!(s.title, "Replay: Card payments failing at checkout");
    assert_eq!(
        s.injects[0].title,
        "Declared: Card payments failing at checkout"
    );
    let flood: Vec<_> = s
        .injects
        .iter()
        .filter(|i| i.title.contains("audit events from stripe"))
        .collect();
    assert_eq!(flood.len(), 1, "thirty events, one inject: {flood:?}");
    assert_eq!(flood[0].offset_s, 70 * 60);
    assert!(flood[0].title.starts_with("30 audit events"));
    assert!(flood[0].body.contains("and 20 more"));
    assert!(
        s.injects
            .iter()
            .any(|i| i.offset_s == 4 * 60 && i.title.contains("status.stripe.com")),
        "a note becomes an inject at its time"
    );
    let opening: Vec<(&str, Option<u32>)> = s.injects[0]
        .expectations
        .iter()
        .map(|e| (e.text.as_str(), e.within_minutes))
        .collect();
    assert!(
        opening.contains(&(
            "First notice (investigating) published within 15 minutes",
            Some(15)
        )),
        "the demo's first notice took 16 minutes: {opening:?}"
    );
    let editing = app
        .get_as(&eli, &format!("/drills/scenarios/{id}/edit"))
        .await
        .ok()
        .body;
    assert!(
        editing.contains("expect role Incident Commander"),
        "opens in the editor"
    );

    let again = app
        .post_as(
            &eli,
            "/api/drills/replay",
            &form(&[("incident", &incident.to_string())]),
        )
        .await
        .ok();
    let second: i64 = again.body.parse().expect("id");
    assert_eq!(
        stored(&app, second, None).await.title,
        "Replay: Card payments failing at checkout (2)"
    );
}
