//! Runbooks and notice templates through the real router on a real SQLite
//! file: drafts and versions, comparisons, approval by a second person,
//! search, import and export.
mod support;

use app::{
    auth::Role,
    environment::Environment,
    notices::NoticeData,
    plans::{DiffLine, PlanSummary, VersionInfo},
    runbooks::RunbookData,
};
use support::{form, spawn_app, Answer, TestApp};

async fn list(app: &TestApp, kind: &str, query: &str, tag: &str) -> Vec<PlanSummary> {
    let res = (app
        .post_form(
            "/api/plans/list",
            &form(&[("kind", kind), ("query", query), ("tag", tag)]),
        )
        .await)
        .ok();
    serde_json::from_str(&res.body).expect("plans")
}

async fn create_runbook(app: &TestApp, title: &str) -> i64 {
    (app.post_form("/api/runbooks/create", &form(&[("title", title)]))
        .await)
        .ok();
    list(app, "Runbook", "", "")
        .await
        .into_iter()
        .find(|p| p.title == title)
        .expect("created")
        .id
}

async fn draft(app: &TestApp, id: i64) -> RunbookData {
    let res = (app
        .post_form("/api/runbooks/draft", &format!("id={id}"))
        .await)
        .ok();
    serde_json::from_str(&res.body).expect("draft")
}

async fn add_step(app: &TestApp, id: i64, phase: &str, text: &str) -> Answer {
    post_step(app, id, phase, "1", "10", text).await
}

async fn post_step(
    app: &TestApp,
    id: i64,
    phase: &str,
    role: &str,
    target: &str,
    text: &str,
) -> Answer {
    app.post_form(
        "/api/runbooks/draft/step",
        &form(&[
            ("id", &id.to_string()),
            ("step", ""),
            ("phase", phase),
            ("role_id", role),
            ("target", target),
            ("text", text),
        ]),
    )
    .await
}

async fn save(app: &TestApp, id: i64, note: &str) -> Answer {
    app.post_form(
        "/api/runbooks/save",
        &form(&[("id", &id.to_string()), ("note", note)]),
    )
    .await
}

async fn compare(app: &TestApp, kind: &str, id: i64, from: i64, to: i64) -> Vec<DiffLine> {
    let res = (app
        .post_form(
            "/api/plans/compare",
            &form(&[
                ("kind", kind),
                ("id", &id.to_string()),
                ("from", &from.to_string()),
                ("to", &to.to_string()),
            ]),
        )
        .await)
        .ok();
    serde_json::from_str(&res.body).expect("diff")
}

/// A fresh app, signed in as an editor.
async fn editor() -> TestApp {
    spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Editor)
        .await
}

/// How many audit entries record this action.
async fn audited(app: &TestApp, action: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(action)
        .fetch_one(&app.state.db.read)
        .await
        .expect("count");
    n
}

#[tokio::test]
async fn every_save_of_a_runbook_is_a_numbered_version_that_stays_readable() {
    let app = editor().await;
    let id = create_runbook(&app, "Payment provider outage").await;
    for (phase, text) in [
        ("triage", "Check the provider status page"),
        ("containment", "Pause retries"),
        ("recovery", "Reconcile charges"),
        ("triage", "Open the incident channel"),
    ] {
        add_step(&app, id, phase, text).await.ok();
    }
    let steps: Vec<String> = draft(&app, id)
        .await
        .runbook
        .steps
        .iter()
        .map(|s| s.text.clone())
        .collect();
    assert_eq!(
        steps,
        [
            "Check the provider status page",
            "Open the incident channel",
            "Pause retries",
            "Reconcile charges"
        ]
    );
    save(&app, id, "First steps").await.ok();

    // Move the second triage step up, then save again.
    let moved = draft(&app, id).await.runbook.steps[1].id;
    (app.post_form(
        "/api/runbooks/draft/move",
        &format!("id={id}&step={moved}&change=up"),
    )
    .await)
        .ok();
    let res = save(&app, id, "Channel first").await;
    res.ok();

    let res = (app
        .post_form(
            "/api/plans/history",
            &form(&[("kind", "Runbook"), ("id", &id.to_string())]),
        )
        .await)
        .ok();
    let (title, versions): (String, Vec<VersionInfo>) =
        serde_json::from_str(&res.body).expect("history");
    assert_eq!(title, "Payment provider outage");
    let numbers: Vec<(i64, &str)> = versions
        .iter()
        .map(|v| (v.version, v.note.as_str()))
        .collect();
    assert_eq!(
        numbers,
        [(3, "Channel first"), (2, "First steps"), (1, "Created")]
    );
    assert!(versions.iter().all(|v| v.author.starts_with("editor")));

    let diff = compare(&app, "Runbook", id, 2, 3).await;
    assert!(
        diff.contains(&DiffLine::Added("   Open the incident channel".into())),
        "{diff:?}"
    );
    assert!(
        diff.contains(&DiffLine::Removed("   Open the incident channel".into())),
        "{diff:?}"
    );
    assert!(
        diff.contains(&DiffLine::Same("Triage".into())),
        "context: {diff:?}"
    );
    assert!(
        matches!(diff.last(), Some(DiffLine::Skipped(_))),
        "the unchanged rest is skipped"
    );

    // Version 2 is still there, in its old order.
    let page = app.get(&format!("/runbooks/{id}/versions/2")).await;
    assert!(
        page.body.contains("This is version 2 of 3"),
        "{}",
        page.body
    );
    let first = page
        .body
        .find("Check the provider status page")
        .expect("step");
    let second = page.body.find("Open the incident channel").expect("step");
    assert!(first < second, "version 2 keeps its order");

    // Nothing to save is refused, with a reason.
    let res = save(&app, id, "Again").await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("no unsaved changes"), "{}", res.body);
    assert_eq!(audited(&app, "runbook.save").await, 2);
    assert_eq!(audited(&app, "runbook.draft").await, 5);
}

#[tokio::test]
async fn saved_versions_cannot_be_changed_or_removed_in_the_database() {
    let app = editor().await;
    let id = create_runbook(&app, "Leaked key").await;
    for sql in [
        format!("UPDATE plan_versions SET content = '{{}}' WHERE plan_id = {id}"),
        format!("DELETE FROM plan_versions WHERE plan_id = {id}"),
    ] {
        let err = sqlx::query(&sql)
            .execute(&app.state.db.write)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("plan version"), "{err}");
    }
}

#[tokio::test]
async fn bad_step_input_names_the_field_and_viewers_cannot_edit() {
    let app = editor().await;
    let id = create_runbook(&app, "Webhook flood").await;
    let res = post_step(&app, id, "triage", "1", "soon", "Look").await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("Target time") && res.body.contains("'soon'"),
        "{}",
        res.body
    );
    let res = post_step(&app, id, "triage", "999", "", "Look").await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Owning role"), "{}", res.body);
    assert!(draft(&app, id).await.draft.is_none(), "nothing stored");

    let viewer = app.session_for(Role::Viewer).await;
    let res = app
        .post_as(
            &viewer,
            "/api/runbooks/draft/step",
            &form(&[
                ("id", &id.to_string()),
                ("step", ""),
                ("phase", "triage"),
                ("role_id", "1"),
                ("target", ""),
                ("text", "Look"),
            ]),
        )
        .await;
    assert_eq!(res.status, 403);
    let page = app.get_as(&viewer, &format!("/runbooks/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(">Edit<"), "viewers see no edit link");
    let page = app.get_as(&viewer, &format!("/runbooks/{id}/edit")).await;
    assert_eq!(page.status, 403);
}

#[tokio::test]
async fn markdown_in_steps_is_rendered_and_scripts_are_shown_as_text() {
    let app = editor().await;
    let id = create_runbook(&app, "Markdown").await;
    (add_step(
        &app,
        id,
        "triage",
        "**Pause** the zap <script>alert('owned')</script> [x](javascript:alert(1))",
    )
    .await)
        .ok();
    save(&app, id, "Steps").await.ok();
    let page = app.get(&format!("/runbooks/{id}")).await;
    assert!(
        page.body.contains("<strong>Pause</strong>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("&lt;script&gt;alert('owned')&lt;/script&gt;")
            || page.body.contains("&lt;script&gt;alert(&#39;owned&#39;)"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("<script>alert"),
        "no script gets through"
    );
    assert!(!page.body.contains("href=\"javascript"), "no script links");
}

async fn save_notice(app: &TestApp, cookie: &str, id: &str, body: &str, note: &str) -> Answer {
    app.post_as(
        cookie,
        "/api/notices/save",
        &form(&[
            ("input[id]", id),
            ("input[title]", "Payment outage: investigating"),
            ("input[tags]", "payment-provider-outage"),
            ("input[stage]", "investigating"),
            ("input[channel]", "status_page"),
            ("input[subject]", "Payments failing"),
            ("input[body]", body),
            ("input[note]", note),
        ]),
    )
    .await
}

async fn notice(app: &TestApp, cookie: &str, id: i64) -> NoticeData {
    let res = (app
        .post_as(cookie, "/api/notices/get", &format!("id={id}"))
        .await)
        .ok();
    serde_json::from_str(&res.body).expect("notice")
}

#[tokio::test]
async fn a_template_is_approved_by_a_second_person_and_edits_wait_for_approval() {
    let app = spawn_app(Environment::Production).await;
    let (author, second) = (
        app.session_for(Role::Editor).await,
        app.session_for(Role::Editor).await,
    );
    (save_notice(
        &app,
        &author,
        "",
        "Since {{ started_at }}: {{ impact }}",
        "",
    )
    .await)
        .ok();
    let res = (app
        .post_as(&author, "/api/plans/list", "kind=Template&query=&tag=")
        .await)
        .ok();
    let id = serde_json::from_str::<Vec<PlanSummary>>(&res.body).expect("list")[0].id;

    let res = app
        .post_as(
            &author,
            "/api/notices/approve",
            &format!("id={id}&version=1"),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body.contains("another editor must approve"),
        "{}",
        res.body
    );
    assert_eq!(notice(&app, &author, id).await.approved, None);
    let page = app.get_as(&author, &format!("/notices/{id}")).await;
    assert!(page
        .body
        .contains("You wrote this version, so another editor must approve it."));

    (app.post_as(
        &second,
        "/api/notices/approve",
        &format!("id={id}&version=1"),
    )
    .await)
        .ok();
    let approved = notice(&app, &second, id).await;
    assert_eq!(approved.approved, Some(1));
    assert!(approved
        .info
        .approved_by
        .as_deref()
        .is_some_and(|by| by.starts_with("editor")));

    // An edit is a new draft version; version 1 stays in use.
    (save_notice(
        &app,
        &author,
        &id.to_string(),
        "Since {{ started_at }}: {{ impact }}. Next update {{ next_update_at }}.",
        "Add next update",
    )
    .await)
        .ok();
    let edited = notice(&app, &author, id).await;
    assert_eq!((edited.latest, edited.approved), (2, Some(1)));
    let page = app.get_as(&author, &format!("/notices/{id}")).await;
    assert!(
        page.body
            .contains("In use: version 1. Version 2 awaits approval."),
        "{}",
        page.body
    );

    // A misspelled variable cannot be approved.
    (save_notice(
        &app,
        &author,
        &id.to_string(),
        "Hi {{ custmer_name }}",
        "Typo",
    )
    .await)
        .ok();
    let res = app
        .post_as(
            &second,
            "/api/notices/approve",
            &format!("id={id}&version=3"),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("unknown variables"), "{}", res.body);
    let page = app.get_as(&second, &format!("/notices/{id}")).await;
    assert!(
        page.body
            .contains("Unknown variables (check the spelling): custmer_name"),
        "{}",
        page.body
    );
    assert_eq!(notice(&app, &second, id).await.approved, Some(1));
    assert_eq!(audited(&app, "template.approve").await, 1);
}

#[tokio::test]
async fn the_preview_lists_unknown_and_unused_variables() {
    let app = editor().await;
    let res = (app
        .post_form(
            "/api/notices/preview",
            &form(&[
                ("subject", "Hello {{ company_name }}"),
                ("body", "Hi {{ custmer_name }}"),
            ]),
        )
        .await)
        .ok();
    let preview: app::notices::Preview = serde_json::from_str(&res.body).expect("preview");
    assert_eq!(preview.unknown, ["custmer_name"]);
    assert!(preview.unused.contains(&"customer_name".to_owned()));
    assert!(!preview.unused.contains(&"company_name".to_owned()));
}

#[tokio::test]
async fn runbooks_and_templates_are_found_by_title_tag_and_text() {
    let app = editor().await;
    import(&app, include_str!("../src/demo/plans.json")).await;
    let titles = |plans: Vec<PlanSummary>| plans.into_iter().map(|p| p.title).collect::<Vec<_>>();
    assert_eq!(
        titles(list(&app, "Runbook", "payment", "").await),
        ["Payment provider outage"]
    );
    assert_eq!(
        titles(list(&app, "Runbook", "", "zapier").await),
        ["Leaked API key in an automation"]
    );
    assert_eq!(
        titles(list(&app, "Runbook", "cloudtrail", "").await),
        ["Leaked API key in an automation"],
        "found by step text"
    );
    assert!(
        list(&app, "Runbook", "100%", "").await.is_empty(),
        "% is not a wildcard"
    );
    assert_eq!(
        list(&app, "Template", "", "payment-provider-outage")
            .await
            .len(),
        4
    );
    assert_eq!(
        list(&app, "Runbook", "", "payment").await.len(),
        0,
        "tags match whole"
    );
    let page = app.get("/runbooks?q=webhook").await;
    assert!(
        page.body.contains("Webhook flood or misfire")
            && !page.body.contains(">Payment provider outage<")
    );
}

async fn import(app: &TestApp, text: &str) -> Answer {
    app.post_form("/api/plans/import", &form(&[("document", text)]))
        .await
}

#[tokio::test]
async fn export_then_import_gives_back_the_same_plans() {
    let first = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Editor)
        .await;
    import(&first, include_str!("../src/demo/plans.json"))
        .await
        .ok();
    let exported = first.get("/plans/export").await.ok().body;
    assert!(exported.contains("\"format\": \"muster-plans\""));

    let second = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Editor)
        .await;
    let res = import(&second, &exported).await.ok();
    assert!(
        res.headers
            .get("location")
            .is_some_and(|l| l.to_str().unwrap_or("").contains("created=7")),
        "{:?}",
        res.headers
    );
    assert_eq!(
        second.get("/plans/export").await.ok().body,
        exported,
        "round trip"
    );

    // The same file again changes nothing; a changed one makes new versions.
    let res = import(&second, &exported).await.ok();
    assert!(
        res.headers
            .get("location")
            .is_some_and(|l| l.to_str().unwrap_or("").contains("unchanged=7")),
        "{:?}",
        res.headers
    );
    let changed = exported.replace(
        "Confirm it is the provider, not us.",
        "Confirm it is the provider.",
    );
    let res = import(&second, &changed).await.ok();
    assert!(
        res.headers
            .get("location")
            .is_some_and(|l| l.to_str().unwrap_or("").contains("updated=1")),
        "{:?}",
        res.headers
    );
    assert_eq!(second.count("SELECT count(*) FROM plan_versions").await, 8);
}

#[tokio::test]
async fn a_bad_import_reports_every_problem_and_changes_nothing() {
    let app = editor().await;
    import(&app, include_str!("../src/demo/plans.json"))
        .await
        .ok();
    let before = app.count("SELECT count(*) FROM plan_versions").await;
    let bad = include_str!("../src/demo/plans.json")
        .replacen("\"role\": \"Scribe\"", "\"role\": \"Scrib\"", 1)
        .replacen("\"severity\": \"sev1\"", "\"severity\": \"urgent\"", 1)
        .replacen("{{ customer_name }}", "{{ custmer_name }}", 1)
        .replace("Payment provider outage", "Payment provider outage, edited");
    let res = import(&app, &bad).await;
    assert_eq!(res.status, 422, "{}", res.body);
    for expected in [
        "no incident role is called \\\"Scrib\\\"",
        "'urgent' is not one of",
        "unknown variables: custmer_name",
    ] {
        assert!(
            res.body.contains(expected),
            "missing {expected} in {}",
            res.body
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM plan_versions").await,
        before,
        "nothing stored"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM plans WHERE title LIKE '%edited%'")
            .await,
        0
    );

    let res = import(
        &app,
        "{\n  \"format\": \"muster-plans\",\n  \"version\": 1,\n  \"runbooks\": [\n}",
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("line 5, column 1"), "{}", res.body);
}

#[tokio::test]
async fn the_demo_has_three_runbooks_and_approved_payment_notices() {
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(support::manual_clock())
        .with_demo()
        .await;
    let app = app.signed_in_as(Role::Viewer).await;
    let runbooks = list(&app, "Runbook", "", "").await;
    assert_eq!(runbooks.len(), 3);
    let templates = list(&app, "Template", "", "").await;
    assert_eq!(templates.len(), 4);
    assert!(templates.iter().all(|t| t.approved == Some(1)));
    let payment = runbooks
        .iter()
        .find(|r| r.title == "Payment provider outage")
        .expect("payment");
    let page = app.get(&format!("/runbooks/{}", payment.id)).await;
    for phase in [
        "triage",
        "escalation",
        "containment",
        "communication",
        "recovery",
    ] {
        let section = format!("data-phase=\"{phase}\"");
        assert!(page.body.contains(&section), "{phase}: {}", page.body);
    }
    assert!(
        page.body.contains("Payment outage: resolved"),
        "linked templates are listed"
    );
}

#[tokio::test]
async fn changes_started_before_a_newer_version_cannot_undo_it() {
    let app = editor().await;
    import(&app, include_str!("../src/demo/plans.json"))
        .await
        .ok();
    let id = list(&app, "Runbook", "webhook", "").await[0].id;
    add_step(&app, id, "recovery", "Write the review")
        .await
        .ok();
    let changed = include_str!("../src/demo/plans.json").replace(
        "Confirm the flood and find the sender.",
        "Confirm the flood.",
    );
    import(&app, &changed).await.ok();
    let res = save(&app, id, "My step").await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(
        res.body
            .contains("Version 2 was saved after these changes were started from version 1"),
        "{}",
        res.body
    );
    let page = app.get(&format!("/runbooks/{id}/edit")).await;
    assert!(
        page.body.contains("cannot be saved: discard them"),
        "{}",
        page.body
    );
}

/// The template that multiplies a string: refused on save and on import
/// with its line, and a preview of it is an error, never a huge string.
#[tokio::test]
async fn a_template_outside_the_language_is_refused_with_its_line() {
    let app = editor().await;
    let cookie = app.cookie.clone().expect("signed in");
    let growing = "Hello\n{% set a = \"x\" * 100000 %}{% set b = a ~ a ~ a ~ a %}{{ b }}";
    let res = save_notice(&app, &cookie, "", growing, "first").await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("Body, line 2"), "{}", res.body);
    assert!(res.body.contains("templates know only"), "{}", res.body);
    assert_eq!(app.count("SELECT count(*) FROM plan_versions").await, 0);

    let file = include_str!("../src/demo/plans.json").replacen(
        "{{ customer_name }}",
        "{{ customer_name }}\\n{{ \\\"x\\\" * 100000 }}",
        1,
    );
    let res = import(&app, &file).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("line 2"), "{}", res.body);
    assert_eq!(app.count("SELECT count(*) FROM plan_versions").await, 0);

    let res = (app
        .post_form(
            "/api/notices/preview",
            &form(&[("subject", "S"), ("body", growing)]),
        )
        .await)
        .ok();
    let preview: app::notices::Preview = serde_json::from_str(&res.body).expect("preview");
    assert!(preview.error.is_some_and(|e| e.starts_with("Body, line 2")));
    assert!(preview.body.is_empty());
}
