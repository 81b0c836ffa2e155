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

async fn outage(app: &TestApp) -> i64 {
    let (id,): (i64,) = sqlx::query_as(
        "SELECT id FROM incidents WHERE title = 'Card payments failing at checkout'",
    )
    .fetch_one(&app.state.db.read)
    .await
    .expect("incident");
    id
}

#[tokio::test]
async fn a_review_of_the_payment_outage_starts_from_its_record() {
    let app = demo().await;
    let rae = app.session_of("responder@demo.muster").await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let incident = outage(&app).await;
    support::link_events(&app, &rae, incident, 8 * 60, 3).await;
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
}

#[tokio::test]
async fn blame_is_hinted_and_the_record_never_changes() {
    let app = demo().await;
    let rae = app.session_of("responder@demo.muster").await;
    let incident = outage(&app).await;
    let made = app
        .post_as(
            &rae,
            "/api/reviews/start",
            &form(&[("incident", &incident.to_string())]),
        )
        .await
        .ok();
    let id: i64 = made.body.parse().expect("id");
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
    let (entry,): (i64,) = sqlx::query_as(
        "SELECT id FROM timeline WHERE incident_id = ? AND text LIKE 'status.stripe.com%'",
    )
    .bind(incident)
    .fetch_one(&app.state.db.read)
    .await
    .expect("entry");
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
        "start, two saves, one mark"
    );
}
