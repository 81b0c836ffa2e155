//! Reviews on a real SQLite file: started from the demo payment outage
//! (resolved), a review carries its timeline and the audit events linked
//! as evidence with their fingerprints; the impact section starts from the
//! record; blame in a section is hinted, never refused; entries are hidden,
//! annotated and marked in the review while the record stays as it was.
mod support;

use support::{form, manual_clock, spawn_app, TestApp};

async fn demo() -> TestApp {
    spawn_app(app::environment::Environment::Sandbox)
        .await
        .on_clock(manual_clock())
        .with_demo()
        .await
}

/// The demo's review of the outage is published: reopened, it is the
/// draft of version 2.
async fn reopen(app: &TestApp, cookie: &str, id: i64) {
    app.post_as(
        cookie,
        "/api/reviews/state",
        &form(&[("id", &id.to_string()), ("to", "draft")]),
    )
    .await
    .ok();
}

#[tokio::test]
async fn a_review_of_the_payment_outage_starts_from_its_record() {
    let app = demo().await;
    let rae = app.session_of("responder@demo.muster").await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let incident = support::outage(&app).await;
    let events = support::link_events(&app, &rae, incident, 8 * 60, 3).await;
    let start = form(&[("incident", &incident.to_string())]);
    let refused = app.post_as(&viewer, "/api/reviews/start", &start).await;
    assert_eq!(
        refused.status, 403,
        "viewers read reviews, they do not start them"
    );
    let made = app.post_as(&rae, "/api/reviews/start", &start).await.ok();
    let id: i64 = made.body.parse().expect("id");
    let again = app.post_as(&rae, "/api/reviews/start", &start).await.ok();
    assert_eq!(again.body, made.body, "one review per incident");

    let page = app
        .get_as(&viewer, &format!("/reviews/{id}"))
        .await
        .ok()
        .body;
    for shown in [
        "Review: Card payments failing at checkout",
        "Severity: SEV1",
        "Notices published:",
        "status.stripe.com shows",
        "Charge 2 failed: 502 from the card network",
        "stripe event at",
        "f1ng3rpr1nt0002a",
    ] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    let article = page
        .split("id=\"review\"")
        .nth(1)
        .and_then(|a| a.split("</article>").next())
        .expect("the review");
    assert!(!article.contains("<form"), "a viewer gets no forms");
    reopen(&app, &rae, id).await;

    // A statement cites an entry and an event; each shows as a link with
    // its time and source, and the event with its fingerprint.
    let entry = support::entry_starting(&app, incident, "status.stripe.com").await;
    let summary = format!(
        "The provider confirmed it ([[entry:{entry}]]); charges failed ([[event:{}]]). Not cited: [[entry:999999]].",
        events[1]
    );
    app.post_as(
        &rae,
        "/api/reviews/section",
        &form(&[
            ("id", &id.to_string()),
            ("section", "summary"),
            ("text", &summary),
        ]),
    )
    .await
    .ok();
    let page = app
        .get_as(&viewer, &format!("/reviews/{id}"))
        .await
        .ok()
        .body;
    let cited = page
        .split("id=\"section-summary\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the summary");
    assert!(
        cited.contains(&format!("href=\"/incidents/{incident}#entry-{entry}\""))
            && cited.contains("Note: status.stripe.com shows"),
        "{cited}"
    );
    assert!(
        cited.contains(&format!("href=\"/events/{}\"", events[1]))
            && cited.contains("stripe event, ")
            && cited.contains(">f1ng3rpr1nt0001a</code>"),
        "{cited}"
    );
    assert!(
        cited.contains("[entry 999999: not in this incident]"),
        "{cited}"
    );
}

#[tokio::test]
async fn blame_is_hinted_and_the_record_never_changes() {
    let app = demo().await;
    let rae = app.session_of("responder@demo.muster").await;
    let incident = support::outage(&app).await;
    let made = app
        .post_as(
            &rae,
            "/api/reviews/start",
            &form(&[("incident", &incident.to_string())]),
        )
        .await
        .ok();
    let id: i64 = made.body.parse().expect("id");
    reopen(&app, &rae, id).await;
    let blame = "Root cause: human error. Sam should have rotated the key.";
    app.post_as(
        &rae,
        "/api/reviews/section",
        &form(&[
            ("id", &id.to_string()),
            ("section", "factors"),
            ("text", blame),
        ]),
    )
    .await
    .ok();
    let page = app.get_as(&rae, &format!("/reviews/{id}")).await.ok().body;
    let factors = page
        .split("id=\"section-factors\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the section");
    assert!(factors.contains("<mark class=\"hint\""), "{factors}");
    assert!(
        factors.contains(">human error</mark>") && factors.contains(">should have</mark>"),
        "{factors}"
    );
    assert!(factors.contains("Name the conditions"), "{factors}");

    let rewritten = "The deploy tool accepted a key with no expiry, and nothing warned.";
    app.post_as(
        &rae,
        "/api/reviews/section",
        &form(&[
            ("id", &id.to_string()),
            ("section", "factors"),
            ("text", rewritten),
        ]),
    )
    .await
    .ok();
    let page = app.get_as(&rae, &format!("/reviews/{id}")).await.ok().body;
    let factors = page
        .split("id=\"section-factors\"")
        .nth(1)
        .expect("section");
    let factors = factors.split("</section>").next().unwrap_or_default();
    assert!(!factors.contains("<mark"), "{factors}");
    let bad = app
        .post_as(
            &rae,
            "/api/reviews/section",
            &form(&[
                ("id", &id.to_string()),
                ("section", "gossip"),
                ("text", "x"),
            ]),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);

    let entries = app
        .count(&format!(
            "SELECT COUNT(*) FROM timeline WHERE incident_id = {incident}"
        ))
        .await;
    let entry = support::entry_starting(&app, incident, "status.stripe.com").await;
    app.post_as(
        &rae,
        "/api/reviews/entry",
        &form(&[
            ("id", &id.to_string()),
            ("entry", &entry.to_string()),
            ("hidden", ""),
            ("moment", "diagnosis"),
            ("note", "The status page confirmed it was the provider."),
        ]),
    )
    .await
    .ok();
    let page = app.get_as(&rae, &format!("/reviews/{id}")).await.ok().body;
    let line = page
        .split(&format!("id=\"entry-{entry}\""))
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .expect("the line");
    assert!(
        line.contains("diagnosis")
            && line.contains("The status page confirmed it was the provider."),
        "{line}"
    );
    let elsewhere = app
        .post_as(
            &rae,
            "/api/reviews/entry",
            &form(&[
                ("id", &id.to_string()),
                ("entry", "999999"),
                ("hidden", "on"),
                ("moment", ""),
                ("note", ""),
            ]),
        )
        .await;
    assert_eq!(elsewhere.status, 404, "only the incident's own entries");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM timeline WHERE incident_id = {incident}"
        ))
        .await,
        entries,
        "the record is as it was"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'review.%'")
            .await,
        4,
        "reopened, two saves, one mark"
    );
}

#[tokio::test]
async fn action_items_from_reviews_and_drills_share_one_list_overdue_first() {
    let app = demo().await;
    let rae = app.session_of("responder@demo.muster").await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let incident = support::outage(&app).await;
    let made = app
        .post_as(
            &rae,
            "/api/reviews/start",
            &form(&[("incident", &incident.to_string())]),
        )
        .await
        .ok();
    let id: i64 = made.body.parse().expect("id");
    reopen(&app, &rae, id).await;
    let (lee,): (i64,) = sqlx::query_as("SELECT id FROM people WHERE name = 'Lee Wong'")
        .fetch_one(&app.state.db.read)
        .await
        .expect("person");
    let action = |title: &str, due: &str, priority: &str, ticket: &str| {
        form(&[
            ("id", &id.to_string()),
            ("title", title),
            ("owner", &lee.to_string()),
            ("due_on", due),
            ("priority", priority),
            ("ticket_url", ticket),
        ])
    };
    let refused = app
        .post_as(
            &viewer,
            "/api/actions/review/add",
            &action("x", "2026-12-20", "", ""),
        )
        .await;
    assert_eq!(refused.status, 403);
    let bad = app
        .post_as(
            &rae,
            "/api/actions/review/add",
            &action("x", "2026-12-20", "", "javascript:alert(1)"),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("Ticket"), "{}", bad.body);
    let later: i64 = app
        .post_as(
            &rae,
            "/api/actions/review/add",
            &action(
                "Alert on retry queue depth",
                "2026-12-20",
                "low",
                "https://tracker.example/OPS-7",
            ),
        )
        .await
        .ok()
        .body
        .parse()
        .expect("id");
    app.post_as(
        &rae,
        "/api/actions/review/add",
        &action("Add idempotency keys to retries", "2026-11-20", "high", ""),
    )
    .await
    .ok();

    let page = app.get_as(&viewer, "/actions").await.ok().body;
    let list = page.split("id=\"actions\"").nth(1).expect("the list");
    let order: Vec<usize> = [
        "Add idempotency keys to retries",
        "Write and pre-approve a 'duplicate charges",
        "Alert on retry queue depth",
    ]
    .iter()
    .map(|t| list.find(t).unwrap_or_else(|| panic!("{t} in {list}")))
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "overdue first, then by due date: {order:?}"
    );
    assert!(list.contains("2026-11-20 (overdue)"), "{list}");
    assert!(
        list.contains("Drill: "),
        "the drill's item says where it came from"
    );
    assert!(list.contains("https://tracker.example/OPS-7"));
    assert!(!list.contains("<form"), "a viewer moves nothing along");

    let done = form(&[("id", &later.to_string()), ("status", "done")]);
    assert_eq!(
        app.post_as(&viewer, "/api/actions/status", &done)
            .await
            .status,
        403
    );
    app.post_as(&rae, "/api/actions/status", &done).await.ok();
    let page = app.get_as(&viewer, "/actions").await.ok().body;
    assert!(
        !page.contains("Alert on retry queue depth"),
        "done is off the open list"
    );
    let review = app
        .get_as(&viewer, &format!("/reviews/{id}"))
        .await
        .ok()
        .body;
    assert!(
        review.contains("Alert on retry queue depth") && review.contains("Done"),
        "the review keeps it"
    );
}

#[tokio::test]
async fn the_demo_outage_has_a_published_blameless_review_with_its_evidence() {
    let app = demo().await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let incident = support::outage(&app).await;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM reviews WHERE incident_id = ?")
        .bind(incident)
        .fetch_one(&app.state.db.read)
        .await
        .expect("the demo's review");
    let md = app
        .get_as(&viewer, &format!("/reviews/{id}/review.md"))
        .await
        .ok()
        .body;
    for shown in [
        "- State: Published, version 1, by Eli Editor at ",
        "- Reviewers: Eli Editor",
        "| detection | Note: Support had three tickets",
        "| diagnosis | Note: status.stripe.com shows",
        "| decision | Note: Retry worker paused",
        "processing errors ([stripe event, ",
        "| Alert on the payment provider's error rate, apart from card declines | Sam Ortiz |",
        "| Write a renewal fallback for when the payment provider is down | Priya Shah |",
    ] {
        assert!(md.contains(shown), "{shown:?} in {md}");
    }
    // Every event linked to the incident is evidence, with its whole
    // fingerprint as stored when it was imported.
    let linked: Vec<(String,)> = sqlx::query_as(
        "SELECT e.fingerprint FROM events e JOIN event_links l ON l.event_id = e.id WHERE l.incident_id = ?",
    )
    .bind(incident)
    .fetch_all(&app.state.db.read)
    .await
    .expect("links");
    assert_eq!(linked.len(), 5);
    let evidence = md.split("## Evidence").nth(1).expect("evidence");
    for (fingerprint,) in &linked {
        assert!(
            evidence.contains(&format!("(fingerprint `{fingerprint}`)")),
            "{fingerprint} in {evidence}"
        );
    }
    let page = app
        .get_as(&viewer, &format!("/reviews/{id}"))
        .await
        .ok()
        .body;
    assert!(
        !page.contains("<mark class=\"hint\""),
        "the demo is blameless"
    );
    assert!(page.contains("<svg class=\"review-picture\""), "{page}");
    assert!(page.contains("Could we subscribe to the provider's status feed"));

    let list = app.get_as(&viewer, "/reviews").await.ok().body;
    let row = list
        .split(&format!("href=\"/reviews/{id}\""))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("the review's row");
    assert!(
        row.contains("Published, version 1") && row.contains("data-open=\"2\""),
        "published, two open action items: {row}"
    );
}
