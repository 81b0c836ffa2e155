//! Incident pages served from the moment-long cache, through the real
//! router on a real SQLite file, on a clock the test moves: a copy is
//! served only to the same session and role, only until the incident
//! changes or the copy is a second old, and always under a nonce of its own.
mod support;

use app::{auth::Role, clock::ManualTime, environment::Environment};
use server::http::page_cache::FRESH_FOR;
use std::sync::Arc;
use support::{form, manual_clock, spawn_app, Answer, TestApp};

async fn app_on_a_manual_clock() -> (TestApp, Arc<ManualTime>) {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    (app.signed_in_as(Role::Responder).await, clock)
}

async fn declare(app: &TestApp) {
    (app.post_form(
        "/api/incidents/declare",
        &form(&[
            ("title", "Checkout down"),
            ("severity", "sev1"),
            ("impact", ""),
            ("runbook", ""),
        ]),
    )
    .await)
        .ok();
}

fn nonce(res: &Answer) -> String {
    let policy = res.headers["content-security-policy"]
        .to_str()
        .expect("text");
    let start = policy.find("'nonce-").expect("a nonce") + 7;
    policy[start..]
        .split('\'')
        .next()
        .expect("closed")
        .to_owned()
}

async fn page(app: &TestApp, cookie: &str) -> Answer {
    let res = app.get_as(cookie, "/incidents/1").await;
    assert_eq!(res.status, 200, "{}", res.body);
    res
}

#[tokio::test]
async fn a_copy_is_served_only_while_the_incident_and_the_caller_are_the_same() {
    let (app, clock) = app_on_a_manual_clock().await;
    let responder = app.cookie.clone().expect("signed in");
    declare(&app).await;
    let first = page(&app, &responder).await;
    assert!(first.body.contains("Checkout down"));
    assert!(
        first.body.contains("incident-note-form"),
        "a responder may write"
    );

    // A change the revision does not cover (made behind Muster's back):
    // the copy is served until it is a second old.
    app.behind_the_back("UPDATE incidents SET title = 'Renamed' WHERE id = 1")
        .await;
    let copy = page(&app, &responder).await;
    assert!(copy.body.contains("Checkout down"), "served from the cache");
    assert_ne!(
        nonce(&first),
        nonce(&copy),
        "every response has its own nonce"
    );
    assert!(copy.body.contains(&format!("nonce=\"{}\"", nonce(&copy))));
    assert!(!copy.body.contains(&nonce(&first)));
    clock.advance(FRESH_FOR);
    assert!(page(&app, &responder).await.body.contains("Renamed"));

    // A change through Muster makes a new revision: the next load shows it.
    (app.post_form(
        "/api/incidents/note",
        &form(&[
            ("id", "1"),
            ("text", "Rolled back the deploy"),
            ("happened_at", ""),
            ("corrects", ""),
        ]),
    )
    .await)
        .ok();
    assert!(page(&app, &responder)
        .await
        .body
        .contains("Rolled back the deploy"));

    // Another person, with another role, never gets the responder's copy.
    let viewer = app.session_for(Role::Viewer).await;
    let seen = page(&app, &viewer).await;
    assert!(seen.body.contains("Rolled back the deploy"));
    assert!(
        !seen.body.contains("incident-note-form"),
        "a viewer may not write"
    );

    // Nor does the responder once their role is lowered.
    app.behind_the_back("UPDATE users SET role = 'viewer' WHERE role = 'responder'")
        .await;
    assert!(!page(&app, &responder)
        .await
        .body
        .contains("incident-note-form"));
}

#[tokio::test]
async fn other_addresses_are_never_served_from_it() {
    let (app, _clock) = app_on_a_manual_clock().await;
    let responder = app.cookie.clone().expect("signed in");
    declare(&app).await;
    let list = app.get_as(&responder, "/incidents").await;
    assert!(list.body.contains("Checkout down"));
    app.behind_the_back("UPDATE incidents SET title = 'Renamed' WHERE id = 1")
        .await;
    assert!(app
        .get_as(&responder, "/incidents")
        .await
        .body
        .contains("Renamed"));
    // Nor is a page kept for someone who is not signed in.
    let anonymous = app.get_as("", "/incidents/1").await;
    assert_ne!(anonymous.status, 200);
}

/// Two people of one role share a copy, each named in it and given their
/// own id; while a notice awaits approval each gets their own, so its
/// author is never offered to approve it.
#[tokio::test]
async fn people_of_one_role_share_a_copy_that_names_each_of_them() {
    let (app, _clock) = app_on_a_manual_clock().await;
    let first = app.cookie.clone().expect("signed in");
    let second = app.session_for(Role::Responder).await;
    declare(&app).await;
    let me = |page: &str| -> String {
        let at = page.find("&quot;me&quot;:").expect("props") + 15;
        page[at..].split(',').next().expect("id").to_owned()
    };
    let one = page(&app, &first).await.body;
    app.behind_the_back("UPDATE incidents SET title = 'Renamed' WHERE id = 1")
        .await;
    let two = page(&app, &second).await.body;
    assert!(
        two.contains("Checkout down"),
        "the second person is served the copy"
    );
    let (first_id, second_id) = (
        app.user_id("responder0@example.com").await,
        app.user_id("responder1@example.com").await,
    );
    assert_eq!(me(&one), first_id.to_string());
    assert_eq!(me(&two), second_id.to_string(), "with their own id");
    assert!(
        one.contains("class=\"who\">responder 0<"),
        "named in the menu"
    );
    assert!(
        two.contains("class=\"who\">responder 1<"),
        "{}",
        &two[..2000.min(two.len())]
    );

    // A notice awaiting approval: each person gets a page of their own.
    let editor = app.session_for(Role::Editor).await;
    let approver = app.session_for(Role::Editor).await;
    let template = form(&[
        ("input[id]", ""),
        ("input[title]", "Short status"),
        ("input[tags]", ""),
        ("input[stage]", "investigating"),
        ("input[channel]", "in_app"),
        ("input[subject]", "{{ incident_title }}"),
        ("input[body]", "We are looking into it."),
        ("input[note]", ""),
    ]);
    (app.post_as(&editor, "/api/notices/save", &template).await).ok();
    (app.post_as(&approver, "/api/notices/approve", "id=1&version=1")
        .await)
        .ok();
    let draft = "id=1&template=1&next_update_minutes=";
    (app.post_as(&first, "/api/incidents/notice/draft", draft)
        .await)
        .ok();
    let author = page(&app, &first).await.body;
    let other = page(&app, &second).await.body;
    assert!(
        author.contains("You drafted this notice"),
        "the author is told"
    );
    assert!(
        !author.contains("approve-notice"),
        "and not offered to approve"
    );
    assert!(
        other.contains("approve-notice"),
        "the other person may approve"
    );
}
