//! A review's way to publication on a real SQLite file, on the demo
//! outage's review (published as version 1 by the demo): reopened, it is
//! the draft of version 2; named reviewers comment per part; a named
//! reviewer who did not start it publishes it (never a token, never the
//! author); the published version is kept as it was and exported as
//! Markdown, JSON and a printable page; reopening again starts version 3
//! while the earlier ones stay readable.
mod support;

use support::{form, manual_clock, spawn_app, TestApp};

async fn demo() -> TestApp {
    spawn_app(app::environment::Environment::Sandbox)
        .await
        .on_clock(manual_clock())
        .with_demo()
        .await
}

async fn started(app: &TestApp, cookie: &str) -> (i64, i64) {
    let incident = support::outage(app).await;
    let made = app
        .post_as(
            cookie,
            "/api/reviews/start",
            &form(&[("incident", &incident.to_string())]),
        )
        .await
        .ok();
    let id: i64 = made.body.parse().expect("id");
    app.post_as(cookie, "/api/reviews/state", &moved(id, "draft"))
        .await
        .ok();
    (incident, id)
}

async fn name(app: &TestApp, cookie: &str, id: i64, email: &str) -> support::Answer {
    let user = app.user_id(email).await.to_string();
    app.post_as(
        cookie,
        "/api/reviews/reviewer/add",
        &form(&[("id", &id.to_string()), ("user", &user)]),
    )
    .await
}

fn moved(id: i64, to: &str) -> String {
    form(&[("id", &id.to_string()), ("to", to)])
}

#[tokio::test]
async fn a_named_reviewer_publishes_and_each_version_exports_as_published() {
    let app = demo().await;
    let rae = app.session_of("responder@demo.muster").await;
    let eli = app.session_of("editor@demo.muster").await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let ada = app.session_of("admin@demo.muster").await;
    let (incident, id) = started(&app, &rae).await;
    let events = support::link_events(&app, &rae, incident, 8 * 60, 2).await;
    let sid = id.to_string();
    let summary = format!(
        "Card charges failed for 94 minutes ([[event:{}]]).",
        events[0]
    );
    app.post_as(
        &rae,
        "/api/reviews/section",
        &form(&[("id", &sid), ("section", "summary"), ("text", &summary)]),
    )
    .await
    .ok();
    // Typed HTML, in a section and in an action item's title.
    app.post_as(
        &rae,
        "/api/reviews/section",
        &form(&[
            ("id", &sid),
            ("section", "lucky"),
            (
                "text",
                "The <script>x</script> tag & <b>bold</b> stayed text.",
            ),
        ]),
    )
    .await
    .ok();
    let (lee,): (i64,) = sqlx::query_as("SELECT id FROM people WHERE name = 'Lee Wong'")
        .fetch_one(&app.state.db.read)
        .await
        .expect("person");
    app.post_as(
        &rae,
        "/api/actions/review/add",
        &form(&[
            ("id", &sid),
            ("title", "Check <b>retries</b>"),
            ("owner", &lee.to_string()),
            ("due_on", "2026-12-20"),
            ("priority", "low"),
            ("ticket_url", ""),
        ]),
    )
    .await
    .ok();
    let entry = support::entry_starting(&app, incident, "status.stripe.com").await;
    app.post_as(
        &rae,
        "/api/reviews/entry",
        &form(&[
            ("id", &sid),
            ("entry", &entry.to_string()),
            ("moment", "diagnosis"),
            ("note", "Confirmed upstream"),
        ]),
    )
    .await
    .ok();

    // The demo named Eli; without reviewers nobody is asked.
    let eli_id = app.user_id("editor@demo.muster").await.to_string();
    app.post_as(
        &rae,
        "/api/reviews/reviewer/remove",
        &form(&[("id", &sid), ("user", &eli_id)]),
    )
    .await
    .ok();
    let alone = app
        .post_as(&rae, "/api/reviews/state", &moved(id, "in_review"))
        .await;
    assert_eq!(alone.status, 422, "{}", alone.body);
    assert!(
        alone.body.contains("name at least one reviewer"),
        "{}",
        alone.body
    );
    let skipped = app
        .post_as(&rae, "/api/reviews/state", &moved(id, "published"))
        .await;
    assert!(
        skipped.body.contains("ask for review first"),
        "{}",
        skipped.body
    );

    let own = name(&app, &rae, id, "responder@demo.muster").await;
    assert_eq!(own.status, 422, "{}", own.body);
    assert!(own.body.contains("started this review"), "{}", own.body);
    for email in [
        "editor@demo.muster",
        "viewer@demo.muster",
        "admin@demo.muster",
    ] {
        name(&app, &rae, id, email).await.ok();
    }
    app.post_as(&rae, "/api/reviews/state", &moved(id, "in_review"))
        .await
        .ok();

    // A named reviewer comments, even as a viewer; on a part that exists.
    let comment = |part: &str, text: &str| form(&[("id", &sid), ("part", part), ("text", text)]);
    app.post_as(
        &viewer,
        "/api/reviews/comment",
        &comment("factors", "What made the retry storm possible?"),
    )
    .await
    .ok();
    let nowhere = app
        .post_as(&viewer, "/api/reviews/comment", &comment("gossip", "x"))
        .await;
    assert_eq!(nowhere.status, 422, "{}", nowhere.body);
    let empty = app
        .post_as(&viewer, "/api/reviews/comment", &comment("factors", "  "))
        .await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    let page = app
        .get_as(&viewer, &format!("/reviews/{id}"))
        .await
        .ok()
        .body;
    let factors = page
        .split("id=\"comments-factors\"")
        .nth(1)
        .expect("the comments on factors");
    assert!(
        factors.contains("What made the retry storm possible?") && factors.contains("Vic Viewer"),
        "{factors}"
    );
    assert!(
        !page.contains("Approve and publish"),
        "a viewer does not publish"
    );

    // The one approval rule: not the author, not a token, only a person
    // named as a reviewer.
    let own = app
        .post_as(&rae, "/api/reviews/state", &moved(id, "published"))
        .await;
    assert_eq!(own.status, 422, "{}", own.body);
    assert!(own.body.contains("you started this review"), "{}", own.body);
    let token: String = serde_json::from_str(
        &app.post_as(
            &ada,
            "/api/admin/tokens/create",
            "name=publisher&role=editor",
        )
        .await
        .ok()
        .body,
    )
    .expect("token");
    let by_token = app
        .post_with_token(&token, "/api/reviews/state", &moved(id, "published"))
        .await;
    assert_eq!(by_token.status, 422, "{}", by_token.body);
    assert!(
        by_token.body.contains("not an API token"),
        "{}",
        by_token.body
    );
    let page = app.get_as(&eli, &format!("/reviews/{id}")).await.ok().body;
    assert!(page.contains("Approve and publish"), "Eli is named: {page}");
    app.post_as(&eli, "/api/reviews/state", &moved(id, "published"))
        .await
        .ok();

    // Published: read-only for everyone.
    let late = app
        .post_as(
            &rae,
            "/api/reviews/section",
            &form(&[("id", &sid), ("section", "summary"), ("text", "changed")]),
        )
        .await;
    assert_eq!(late.status, 409, "{}", late.body);
    let late = app
        .post_as(&viewer, "/api/reviews/comment", &comment("summary", "late"))
        .await;
    assert_eq!(late.status, 409, "{}", late.body);
    let page = app.get_as(&rae, &format!("/reviews/{id}")).await.ok().body;
    let article = page.split("id=\"review\"").nth(1).expect("the review");
    assert!(article.contains("Reopen as version 3"), "{article}");
    assert_eq!(
        article.matches("<form").count(),
        1,
        "only the reopen button is left"
    );

    // Exports of the published version.
    let md = app
        .get_as(&viewer, &format!("/reviews/{id}/review.md"))
        .await
        .ok();
    assert_eq!(
        md.headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some(format!("attachment; filename=\"review-{id}-v2.md\"").as_str())
    );
    let md = md.body;
    for shown in [
        "# Review: Card payments failing at checkout",
        "- State: Published, version 2, by Eli Editor at ",
        "- Reviewers: Ada Admin, Eli Editor, Vic Viewer",
        "## Summary\n\nCard charges failed for 94 minutes ([stripe event, ",
        "fingerprint f1ng3rpr1nt0000aaaaaaaaaaaaaaaa]).",
        "## Timeline\n\n| When (UTC) | Key moment | What | Review note |",
        "| diagnosis | Note: status.stripe.com shows",
        "| Confirmed upstream |",
        "## Evidence\n\n- stripe event, ",
        "(fingerprint `f1ng3rpr1nt0001aaaaaaaaaaaaaaaa`)",
    ] {
        assert!(md.contains(shown), "{shown:?} in {md}");
    }
    // What people typed is text in any wiki that renders the file.
    assert!(
        md.contains("The &lt;script>x&lt;/script> tag &amp; &lt;b>bold&lt;/b> stayed text.")
            && md.contains("| Check &lt;b>retries&lt;/b> |"),
        "{md}"
    );
    assert!(!md.contains("<script") && !md.contains("<b>"), "{md}");
    let json: serde_json::Value = serde_json::from_str(
        &app.get_as(&viewer, &format!("/reviews/{id}/review.json"))
            .await
            .ok()
            .body,
    )
    .expect("json");
    assert_eq!(json["state"], "published");
    assert_eq!(json["version"], 2);
    let evidence = json["evidence"].to_string();
    assert!(
        evidence.contains("f1ng3rpr1nt0000aaaaaaaaaaaaaaaa")
            && evidence.contains("f1ng3rpr1nt0001aaaaaaaaaaaaaaaa"),
        "{evidence}"
    );
    assert!(json["timeline"][0]["kind"].is_string(), "{json}");
    let print = app
        .get_as(&viewer, &format!("/reviews/{id}/print"))
        .await
        .ok();
    let policy = print
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|n| n.split('\'').next())
        .expect("a style nonce");
    assert!(!policy.contains("script-src"), "{policy}");
    let html = print.body;
    assert!(
        html.contains(&format!("<style nonce=\"{nonce}\">")),
        "{html}"
    );
    for shown in [
        "break-before: page",
        "<svg class=\"review-picture\"",
        "class=\"moment diagnosis\"",
        "<th>When (UTC)</th><th>Key moment</th>",
        "<td>Diagnosis</td>",
        "<code>f1ng3rpr1nt0000aaaaaaaaaaaaaaaa</code>",
        "Published, version 2, by Eli Editor",
    ] {
        assert!(html.contains(shown), "{shown:?} in {html}");
    }

    // Reopened: the next version is a draft; version 1 stays as published.
    app.post_as(&rae, "/api/reviews/state", &moved(id, "draft"))
        .await
        .ok();
    app.post_as(
        &rae,
        "/api/reviews/section",
        &form(&[
            ("id", &sid),
            ("section", "summary"),
            ("text", "Rewritten for v3."),
        ]),
    )
    .await
    .ok();
    let now = app
        .get_as(&viewer, &format!("/reviews/{id}/review.md"))
        .await
        .ok()
        .body;
    assert!(
        now.contains("Rewritten for v3.") && now.contains("- State: Draft, version 3"),
        "{now}"
    );
    let then = app
        .get_as(&viewer, &format!("/reviews/{id}/review.md?version=2"))
        .await
        .ok()
        .body;
    assert!(
        then.contains("Card charges failed for 94 minutes") && !then.contains("Rewritten"),
        "{then}"
    );
    let missing = app
        .get_as(&viewer, &format!("/reviews/{id}/review.md?version=9"))
        .await;
    assert_eq!(missing.status, 404);
    let first = app
        .get_as(&viewer, &format!("/reviews/{id}/review.md?version=1"))
        .await
        .ok()
        .body;
    assert!(
        first.contains("- State: Published, version 1, by Eli Editor"),
        "the demo's version stays: {first}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'review.state'")
            .await,
        4,
        "reopened, in review, published, reopened"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'review.reviewer'")
            .await,
        4,
        "one removed, three named"
    );
}

#[tokio::test]
async fn reviewers_and_comments_are_bounded() {
    let app = demo().await;
    let rae = app.session_of("responder@demo.muster").await;
    let (_, id) = started(&app, &rae).await;
    let sid = id.to_string();
    // The demo named Eli: nine more make ten.
    let mut last = 0;
    for n in 0..10 {
        let (user,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, display_name, password_hash, role, created_at) \
             VALUES (?, ?, 'x', 'viewer', '2026-11-27T00:00:00Z') RETURNING id",
        )
        .bind(format!("r{n}@example.com"))
        .bind(format!("Reviewer {n}"))
        .fetch_one(&app.state.db.write)
        .await
        .expect("user");
        last = user;
        if n < 9 {
            app.post_as(
                &rae,
                "/api/reviews/reviewer/add",
                &form(&[("id", &sid), ("user", &user.to_string())]),
            )
            .await
            .ok();
        }
    }
    let over = app
        .post_as(
            &rae,
            "/api/reviews/reviewer/add",
            &form(&[("id", &sid), ("user", &last.to_string())]),
        )
        .await;
    assert_eq!(over.status, 422, "{}", over.body);
    assert!(over.body.contains("at most 10 reviewers"), "{}", over.body);

    // The demo's review holds one comment already.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 498) \
         INSERT INTO review_comments (review_id, section, text, author, created_at) \
         SELECT ?, 'summary', 'noted', 'Rae', '2026-11-27T00:00:00Z' FROM n",
    )
    .bind(id)
    .execute(&app.state.db.write)
    .await
    .expect("comments");
    let comment = form(&[("id", &sid), ("part", "summary"), ("text", "one more")]);
    app.post_as(&rae, "/api/reviews/comment", &comment)
        .await
        .ok();
    let over = app.post_as(&rae, "/api/reviews/comment", &comment).await;
    assert_eq!(over.status, 422, "{}", over.body);
    assert!(over.body.contains("at most 500 comments"), "{}", over.body);
    let long = form(&[
        ("id", &sid),
        ("part", "summary"),
        ("text", &"x".repeat(2_001)),
    ]);
    let long = app.post_as(&rae, "/api/reviews/comment", &long).await;
    assert_eq!(long.status, 422, "{}", long.body);
}
