//! Incidents through the real router on a real SQLite file: declaring from
//! a runbook pins its version and fills roles from the roster; the timeline
//! is append-only; concurrent changes are all kept; notices need a second
//! person; resolving computes the measures; timelines export.
mod support;

use app::{
    auth::Role,
    environment::Environment,
    incidents::{EntryKind, IncidentView, ListedIncident, Status},
};
use support::{form, spawn_app, TestApp};

/// A database with the demo plans and roster (not the demo incident).
async fn app_with_plans() -> (TestApp, i64) {
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(support::manual_clock())
        .with_demo()
        .await;
    let app = app.signed_in_as(Role::Responder).await;
    let (runbook,): (i64,) =
        sqlx::query_as("SELECT id FROM plans WHERE title = 'Payment provider outage'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("runbook");
    (app, runbook)
}

async fn declare(app: &TestApp, runbook: i64) -> i64 {
    (app.post_form(
        "/api/incidents/declare",
        &form(&[
            ("title", "Checkout down"),
            ("severity", "sev1"),
            ("impact", "Payments fail"),
            ("runbook", &runbook.to_string()),
        ]),
    )
    .await)
        .ok();
    let res = (app
        .post_form("/api/incidents/list", "status=&severity=&runbook=")
        .await)
        .ok();
    let list: Vec<ListedIncident> = serde_json::from_str(&res.body).expect("list");
    list.iter()
        .find(|i| i.title == "Checkout down")
        .expect("declared")
        .id
}

async fn note(
    app: &TestApp,
    id: i64,
    text: &str,
    happened_at: &str,
    corrects: &str,
) -> support::Answer {
    app.post_form(
        "/api/incidents/note",
        &form(&[
            ("id", &id.to_string()),
            ("text", text),
            ("happened_at", happened_at),
            ("corrects", corrects),
        ]),
    )
    .await
}

async fn get(app: &TestApp, id: i64) -> IncidentView {
    let res = (app
        .post_form("/api/incidents/get", &format!("id={id}"))
        .await)
        .ok();
    serde_json::from_str(&res.body).expect("incident")
}

#[tokio::test]
async fn declaring_pins_the_runbook_version_and_fills_roles_from_the_roster() {
    let (app, runbook) = app_with_plans().await;
    let id = declare(&app, runbook).await;
    let v = get(&app, id).await;
    assert_eq!(v.incident.status, Status::Investigating);
    assert_eq!(v.incident.runbook.as_ref().map(|r| r.1), Some(1));
    assert_eq!(v.checklist.len(), 11);
    let commander = v
        .roles
        .iter()
        .find(|r| r.role == "Incident Commander")
        .expect("role");
    assert_eq!(
        commander.person.as_deref(),
        Some("Ada Admin"),
        "the roster's primary"
    );
    assert!(v
        .timeline
        .iter()
        .any(|e| e.kind == EntryKind::Declared
            && e.text.contains("Payment provider outage (version 1)")));

    // A later edit of the runbook does not change the running incident.
    let editor = app.session_for(Role::Editor).await;
    let step = v.checklist[0].step_id;
    (app.post_as(
        &editor,
        "/api/runbooks/draft/move",
        &format!("id={runbook}&step={step}&change=remove"),
    )
    .await)
        .ok();
    (app.post_as(
        &editor,
        "/api/runbooks/save",
        &form(&[("id", &runbook.to_string()), ("note", "Trim")]),
    )
    .await)
        .ok();
    assert_eq!(get(&app, id).await.checklist.len(), 11);
}

#[tokio::test]
async fn the_timeline_is_append_only_and_corrections_reference_what_they_correct() {
    let (app, runbook) = app_with_plans().await;
    let id = declare(&app, runbook).await;
    note(&app, id, "All regions down", "", "").await.ok();
    let wrong = get(&app, id).await.timeline.last().expect("note").id;
    note(&app, id, "EU only", "", &wrong.to_string()).await.ok();
    let v = get(&app, id).await;
    let grouped = v.grouped_timeline();
    let (original, corrections) = grouped.iter().find(|(e, _)| e.id == wrong).expect("kept");
    assert_eq!(original.text, "All regions down");
    assert_eq!(corrections[0].text, "EU only");
    for sql in [
        format!("UPDATE timeline SET text = 'x' WHERE id = {wrong}"),
        format!("DELETE FROM timeline WHERE id = {wrong}"),
    ] {
        let err = sqlx::query(&sql)
            .execute(&app.state.db.write)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let res = note(&app, id, "Later", "tomorrow", "").await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Happened at"), "{}", res.body);
}

#[tokio::test]
async fn simultaneous_ticks_and_notes_are_all_kept() {
    let (app, runbook) = app_with_plans().await;
    let id = declare(&app, runbook).await;
    let steps: Vec<u32> = get(&app, id)
        .await
        .checklist
        .iter()
        .map(|s| s.step_id)
        .collect();
    let other = app.session_for(Role::Responder).await;
    let mut calls = Vec::new();
    for n in 0..6 {
        let body = form(&[
            ("id", &id.to_string()),
            ("text", &format!("note {n}")),
            ("happened_at", ""),
            ("corrects", ""),
        ]);
        let tick = format!("id={id}&step={}&done=true", steps[n % 3]);
        let cookie = if n % 2 == 0 {
            app.cookie.clone().unwrap_or_default()
        } else {
            other.clone()
        };
        let app = &app;
        calls.push(async move {
            let a = app.post_as(&cookie, "/api/incidents/note", &body).await;
            let b = app.post_as(&cookie, "/api/incidents/step", &tick).await;
            (a.status, b.status)
        });
    }
    for (a, b) in futures_util::future::join_all(calls).await {
        assert!(a.is_success() && b.is_success());
    }
    let v = get(&app, id).await;
    for n in 0..6 {
        assert!(
            v.timeline.iter().any(|e| e.text == format!("note {n}")),
            "note {n} kept"
        );
    }
    assert_eq!(
        v.checklist.iter().filter(|s| s.done_at.is_some()).count(),
        3
    );
    let done = v
        .timeline
        .iter()
        .filter(|e| e.kind == EntryKind::StepDone)
        .count();
    assert_eq!(done, 3, "each step recorded once, however many ticked it");
}

#[tokio::test]
async fn a_notice_needs_a_second_person_and_publishing_records_it() {
    let (app, runbook) = app_with_plans().await;
    let id = declare(&app, runbook).await;
    let template = get(&app, id).await.templates[0].0;
    let draft = |extra: &[(&str, &str)]| {
        let mut fields = vec![
            ("id", id.to_string()),
            ("template", template.to_string()),
            ("next_update_minutes", "30".to_owned()),
        ];
        fields.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        serde_urlencoded::to_string(&fields).expect("form")
    };
    let res = app
        .post_form(
            "/api/incidents/notice/draft",
            &draft(&[("values[company_name]", "Example Ltd")]),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body.contains("uses a variable that has no value"),
        "{}",
        res.body
    );
    (app.post_form(
        "/api/incidents/notice/draft",
        &draft(&[
            ("values[company_name]", "Example Ltd"),
            ("values[affected_services]", "Checkout"),
            ("values[workaround]", "Bank transfer"),
        ]),
    )
    .await)
        .ok();
    let notice = get(&app, id).await.notices[0].clone();
    assert!(
        notice.body.contains("Example Ltd") && notice.body.contains("Payments fail"),
        "{}",
        notice.body
    );

    let res = app
        .post_form(
            "/api/incidents/notice/publish",
            &format!("id={id}&notice={}", notice.id),
        )
        .await;
    assert_eq!(res.status, 409, "not approved yet");
    let res = app
        .post_form(
            "/api/incidents/notice/approve",
            &format!("id={id}&notice={}", notice.id),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("someone else must approve"),
        "{}",
        res.body
    );
    let other = app.session_for(Role::Responder).await;
    (app.post_as(
        &other,
        "/api/incidents/notice/approve",
        &format!("id={id}&notice={}", notice.id),
    )
    .await)
        .ok();
    (app.post_form(
        "/api/incidents/notice/publish",
        &format!("id={id}&notice={}", notice.id),
    )
    .await)
        .ok();
    let v = get(&app, id).await;
    assert!(v
        .timeline
        .iter()
        .any(|e| e.kind == EntryKind::NoticePublished && e.text.contains("Example Ltd")));
    assert!(
        v.incident.next_update_at.is_some(),
        "the promised update is tracked"
    );
}

#[tokio::test]
async fn resolving_and_reopening_are_recorded_and_viewers_cannot_act() {
    let (app, runbook) = app_with_plans().await;
    let id = declare(&app, runbook).await;
    let viewer = app.session_for(Role::Viewer).await;
    let res = app
        .post_as(
            &viewer,
            "/api/incidents/status",
            &format!("id={id}&status=resolved"),
        )
        .await;
    assert_eq!(res.status, 403);
    let page = app.get_as(&viewer, &format!("/incidents/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Checkout down") && !page.body.contains("Hand off"));

    (app.post_form("/api/incidents/status", &format!("id={id}&status=resolved"))
        .await)
        .ok();
    let v = get(&app, id).await;
    assert!(v.incident.resolved_at.is_some());
    let m = v.measures();
    assert_eq!(
        m.to_commander,
        Some(0),
        "the roster filled the commander at declaration"
    );
    assert_eq!((m.steps_done, m.steps_total), (0, 11));
    let page = app.get(&format!("/incidents/{id}")).await;
    assert!(page.body.contains("How it went"));

    (app.post_form(
        "/api/incidents/status",
        &format!("id={id}&status=investigating"),
    )
    .await)
        .ok();
    let v = get(&app, id).await;
    assert!(v.incident.resolved_at.is_none());
    assert!(v
        .timeline
        .iter()
        .any(|e| e.text == "Reopened: Investigating"));
    let res = (app
        .post_form("/api/incidents/list", "status=resolved&severity=&runbook=")
        .await)
        .ok();
    let resolved: Vec<ListedIncident> = serde_json::from_str(&res.body).expect("list");
    assert!(
        resolved.iter().all(|i| i.id != id),
        "reopened is not resolved"
    );
    assert_eq!(resolved.len(), 1, "only the demo's own incident");
}

#[tokio::test]
async fn the_timeline_exports_as_markdown_json_and_csv() {
    let (app, runbook) = app_with_plans().await;
    let id = declare(&app, runbook).await;
    note(&app, id, "Said \"hello\", then left", "", "")
        .await
        .ok();
    note(&app, id, "=HYPERLINK(\"http://x\")", "", "")
        .await
        .ok();
    let md = app
        .get(&format!("/incidents/{id}/timeline.md"))
        .await
        .ok()
        .body;
    assert!(
        md.starts_with("# Checkout down\n") && md.contains("Note · responder"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &app.get(&format!("/incidents/{id}/timeline.json"))
            .await
            .ok()
            .body,
    )
    .expect("json");
    assert_eq!(json["incident"]["title"], "Checkout down");
    assert!(json["timeline"].as_array().is_some_and(|t| t.len() > 3));
    let csv = app
        .get(&format!("/incidents/{id}/timeline.csv"))
        .await
        .ok()
        .body;
    assert!(
        csv.starts_with("id,happened_at,written_at,kind,author,source,corrects,text\n"),
        "{csv}"
    );
    assert!(csv.contains("\"Said \"\"hello\"\", then left\""), "{csv}");
    assert!(
        csv.contains("'=HYPERLINK"),
        "a formula is written as text: {csv}"
    );
}

#[tokio::test]
async fn the_demo_has_a_resolved_payment_outage_with_a_full_timeline() {
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(support::manual_clock())
        .with_demo()
        .await;
    let app = app.signed_in_as(Role::Viewer).await;
    let res = (app
        .post_form("/api/incidents/list", "status=resolved&severity=&runbook=")
        .await)
        .ok();
    let list: Vec<ListedIncident> = serde_json::from_str(&res.body).expect("list");
    assert_eq!(list.len(), 1);
    let v = get(&app, list[0].id).await;
    let kinds: Vec<EntryKind> = v.timeline.iter().map(|e| e.kind).collect();
    for kind in [
        EntryKind::Declared,
        EntryKind::Note,
        EntryKind::Correction,
        EntryKind::StatusChange,
        EntryKind::RoleAssigned,
        EntryKind::StepDone,
        EntryKind::NoticeDrafted,
        EntryKind::NoticeApproved,
        EntryKind::NoticePublished,
    ] {
        assert!(kinds.contains(&kind), "{kind:?}");
    }
    let m = v.measures();
    assert_eq!(m.to_first_notice, Some(16 * 60));
    assert_eq!((m.steps_done, m.steps_total), (9, 11));
    // The demo's words follow its own times: the first note names the
    // minute errors began, eight minutes before the declaration.
    let began = (v.incident.declared_at - chrono::Duration::minutes(8))
        .format("%H:%M")
        .to_string();
    let first = v
        .timeline
        .iter()
        .find(|e| e.text.starts_with("Checkout errors at 38%"))
        .expect("the first note");
    assert_eq!(
        first.text,
        format!("Checkout errors at 38% since {began}; Stripe API returns 502s for charges.")
    );
}

#[tokio::test]
async fn a_drafted_notice_is_filled_from_the_incident_including_its_severity() {
    let (app, runbook) = app_with_plans().await;
    let id = declare(&app, runbook).await;
    let (writer, approver) = (
        app.session_for(Role::Editor).await,
        app.session_for(Role::Editor).await,
    );
    let template = form(&[
        ("input[id]", ""),
        ("input[title]", "Short status"),
        ("input[tags]", ""),
        ("input[stage]", "investigating"),
        ("input[channel]", "in_app"),
        ("input[subject]", "{{ incident_title }}"),
        (
            "input[body]",
            "{{ severity }} since {{ started_at }}: {{ impact }}",
        ),
        ("input[note]", ""),
    ]);
    app.post_as(&writer, "/api/notices/save", &template)
        .await
        .ok();
    let (template_id,): (i64,) =
        sqlx::query_as("SELECT id FROM plans WHERE title = 'Short status'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("template");
    app.post_as(
        &approver,
        "/api/notices/approve",
        &format!("id={template_id}&version=1"),
    )
    .await
    .ok();
    let draft = format!("id={id}&template={template_id}&next_update_minutes=");
    app.post_form("/api/incidents/notice/draft", &draft)
        .await
        .ok();
    let notice = get(&app, id).await.notices.pop().expect("drafted");
    assert_eq!(notice.subject, "Checkout down");
    assert!(
        notice.body.starts_with("SEV1 (critical) since "),
        "{}",
        notice.body
    );
    assert!(notice.body.ends_with(": Payments fail"), "{}", notice.body);
}
