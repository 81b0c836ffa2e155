//! The live stream of an incident through the real router: it carries each
//! change itself, a session holds a bounded number of streams, and a
//! stream ends when its session may no longer read. A long incident's page
//! stays one page long, and its exports still hold everything.
mod support;

use app::{auth::Role, environment::Environment, incidents::Delta, live::STREAMS_PER_SESSION};
use std::time::Duration;
use support::{form, spawn_app, Events, TestApp};

async fn incident(app: &TestApp) -> i64 {
    app.post_form(
        "/api/incidents/declare",
        &form(&[
            ("title", "Checkout down"),
            ("severity", "sev2"),
            ("impact", ""),
            ("runbook", ""),
        ]),
    )
    .await
    .ok();
    let (id,): (i64,) = sqlx::query_as("SELECT MAX(id) FROM incidents")
        .fetch_one(&app.state.db.read)
        .await
        .expect("incident");
    id
}

#[tokio::test]
async fn a_change_reaches_an_open_page_as_the_change_itself() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    let id = incident(&app).await;
    let watcher = app.session_for(Role::Viewer).await;
    let mut events = Events::open(&app, &watcher, &format!("/incidents/{id}/live"))
        .await
        .expect("open");
    let first: i64 = events
        .next()
        .await
        .expect("the current revision")
        .parse()
        .expect("a number");

    app.post_form(
        "/api/incidents/note",
        &form(&[
            ("id", &id.to_string()),
            ("text", "Stripe confirms"),
            ("happened_at", ""),
            ("corrects", ""),
        ]),
    )
    .await
    .ok();
    let delta: Delta =
        serde_json::from_str(&events.next().await.expect("the change")).expect("a change");
    assert_eq!((delta.from, delta.revision), (first, first + 1));
    assert_eq!(delta.entries.len(), 1);
    assert_eq!(delta.entries[0].text, "Stripe confirms");
    assert_eq!(delta.incident.map(|i| i.revision), Some(first + 1));
}

#[tokio::test]
async fn a_session_holds_a_bounded_number_of_live_streams() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    let id = incident(&app).await;
    let cookie = app.session_for(Role::Viewer).await;
    let mut open = Vec::new();
    for _ in 0..STREAMS_PER_SESSION {
        open.push(
            Events::open(&app, &cookie, &format!("/incidents/{id}/live"))
                .await
                .expect("within the bound"),
        );
    }
    assert_eq!(
        Events::open(&app, &cookie, &format!("/incidents/{id}/live"))
            .await
            .err(),
        Some(429)
    );
    let other = app.session_for(Role::Viewer).await;
    assert!(
        Events::open(&app, &other, &format!("/incidents/{id}/live"))
            .await
            .is_ok(),
        "another session is not affected"
    );
    open.pop();
    assert!(
        Events::open(&app, &cookie, &format!("/incidents/{id}/live"))
            .await
            .is_ok(),
        "a closed stream gives its place back"
    );
}

#[tokio::test]
async fn a_stream_ends_when_its_account_is_disabled_or_its_session_ends() {
    let mut app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    app.state.live.recheck = Duration::from_millis(100);
    app.router = server::startup::router(app.state.clone(), app.auth.clone());
    let id = incident(&app).await;

    let viewer = app.session_for(Role::Viewer).await;
    let mut events = Events::open(&app, &viewer, &format!("/incidents/{id}/live"))
        .await
        .expect("open");
    events.next().await.expect("the current revision");
    app.behind_the_back(
        "UPDATE users SET disabled_at = '2026-11-28T00:00:00Z' WHERE email LIKE 'viewer%'",
    )
    .await;
    assert_eq!(
        events.next().await,
        None,
        "the disabled account's stream ended"
    );

    let other = app.session_for(Role::Viewer).await;
    let mut events = Events::open(&app, &other, &format!("/incidents/{id}/live"))
        .await
        .expect("open");
    events.next().await.expect("the current revision");
    app.behind_the_back("DELETE FROM sessions WHERE user_id = (SELECT MAX(id) FROM users)")
        .await;
    assert_eq!(
        events.next().await,
        None,
        "the signed-out session's stream ended"
    );
}

#[tokio::test]
async fn a_long_incident_shows_one_page_of_its_timeline_and_exports_all_of_it() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    let id = incident(&app).await;
    let notes: Vec<String> = (0..1000)
        .map(|n| format!("({id}, '2026-11-28T01:00:00Z', 'Writer', 'note', 'Note number {n}.')"))
        .collect();
    app.behind_the_back(&format!(
        "INSERT INTO timeline (incident_id, at, author, kind, text) VALUES {}",
        notes.join(",")
    ))
    .await;

    let page = app.get(&format!("/incidents/{id}")).await.ok().body;
    assert!(page.contains("Note number 999."), "the newest are shown");
    assert!(
        !page.contains("Note number 700."),
        "older ones are a page away"
    );
    let shown = page.matches("data-entry=").count();
    assert!(shown <= app::incidents::PAGE, "{shown} entries on one page");
    assert_eq!(
        page.matches("id=\"correct-form\"").count(),
        1,
        "one correction form"
    );
    let earlier = page
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|h| h.contains("?before=")))
        .expect("a link to earlier entries")
        .replace("&amp;", "&");
    let older = app.get(&earlier).await.ok().body;
    assert!(older.contains("Note number 700."), "{earlier}");
    assert!(!older.contains("Note number 999."));

    let json: serde_json::Value = serde_json::from_str(
        &app.get(&format!("/incidents/{id}/timeline.json"))
            .await
            .ok()
            .body,
    )
    .expect("json");
    assert_eq!(
        json["timeline"].as_array().map(Vec::len),
        Some(1001),
        "declared and every note"
    );
    let entries: Vec<app::timeline::Entry> =
        serde_json::from_value(json["timeline"].clone()).expect("entries as the app reads them");
    assert_eq!(entries[1000].text, "Note number 999.");
    let csv = app
        .get(&format!("/incidents/{id}/timeline.csv"))
        .await
        .ok()
        .body;
    assert_eq!(csv.lines().count(), 1002, "a header and every entry");
}
