//! Alerts over events arriving by webhook, through the real router on a
//! real SQLite file: a flood becomes one alert per group with its count,
//! thresholds hold within their windows, quiet alerts resolve, and an
//! alert becomes an incident with its events on the timeline.
mod support;

use app::{
    auth::Role,
    clock::TimeSource,
    environment::Environment,
    signing::{sign, Scheme},
};
use chrono::Duration;
use support::{deliver, hook_source, manual_clock, spawn_app, TestApp};

fn stripe_event(n: usize, kind: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"evt_{kind}_{n}","object":"event","type":"{kind}","created":1795011600,"livemode":true,"data":{{"object":{{"id":"ch_{n}","object":"charge","amount":4200}}}}}}"#
    )
    .into_bytes()
}

async fn with_demo_rules(app: &TestApp) {
    let mut tx = app.state.db.write.begin().await.expect("tx");
    app::alerts::db::add_demo_rules(&mut tx, "test", app.state.clock.now())
        .await
        .expect("demo rules");
    tx.commit().await.expect("commit");
}

/// Sends `n` Stripe events of a kind, `at_once` at a time.
async fn flood(app: &TestApp, secret: &str, kind: &str, n: usize, at_once: usize) {
    let now = app.state.clock.now().timestamp();
    for chunk in (0..n).collect::<Vec<_>>().chunks(at_once) {
        let sends = chunk.iter().map(|i| {
            let body = stripe_event(*i, kind);
            let headers = sign(Scheme::Stripe, secret, &body, now, "");
            async move { deliver(app, "stripe", &headers, &body, None).await }
        });
        for answer in futures_util::future::join_all(sends).await {
            assert_eq!(answer.body, "accepted");
        }
    }
}

async fn alerts(app: &TestApp) -> Vec<(i64, String, String, i64)> {
    sqlx::query_as("SELECT id, group_key, state, count FROM alerts ORDER BY id")
        .fetch_all(&app.state.db.read)
        .await
        .expect("alerts")
}

#[tokio::test]
async fn five_hundred_similar_failures_make_one_alert_counting_500() {
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(manual_clock())
        .signed_in_as(Role::Viewer)
        .await;
    with_demo_rules(&app).await;
    let secret = hook_source(&app, "stripe", "stripe", "", None).await;
    flood(&app, &secret, "charge.failed", 500, 50).await;
    flood(&app, &secret, "invoice.payment_failed", 6, 6).await;
    flood(&app, &secret, "charge.refunded", 30, 10).await;
    assert_eq!(
        alerts(&app).await,
        vec![
            (1, "action=charge.failed".into(), "open".into(), 500),
            (2, "action=invoice.payment_failed".into(), "open".into(), 6),
        ],
        "one alert per group, and none for events no rule watches"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM alert_events WHERE alert_id = 1")
            .await,
        20
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'alert.open'")
            .await,
        2
    );

    let list = app.get("/alerts").await.ok();
    assert!(list.body.contains("Payment failures spike"));
    assert!(
        list.body.contains(r#"<td class="alert-count">500<"#),
        "{}",
        list.body
    );
    let page = app.get("/alerts/1").await.ok();
    for said in [
        "Watches events from stripe, with action charge.failed or invoice.payment_failed.",
        "Opens when 5 arrive within 10 minute(s), grouped by action; resolves after 30 quiet minute(s).",
        "Grouped because these events share action=charge.failed",
        "evt_charge.failed_0",
    ] {
        assert!(page.body.contains(said), "{said} on the alert page");
    }
    assert!(
        !page.body.contains("declare-from-alert"),
        "a viewer cannot declare"
    );
}

#[tokio::test]
async fn a_threshold_holds_within_its_window_and_quiet_alerts_resolve() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    with_demo_rules(&app).await;
    let secret = hook_source(&app, "stripe", "stripe", "", None).await;
    let send = |from: usize, n: usize| {
        let (app, secret) = (&app, secret.clone());
        async move {
            let now = app.state.clock.now().timestamp();
            for i in from..from + n {
                let body = stripe_event(i, "charge.failed");
                let headers = sign(Scheme::Stripe, &secret, &body, now, "");
                assert_eq!(
                    deliver(app, "stripe", &headers, &body, None).await.body,
                    "accepted"
                );
            }
        }
    };
    send(0, 4).await;
    clock.advance(Duration::minutes(11));
    send(4, 1).await;
    assert_eq!(
        alerts(&app).await[0].2,
        "pending",
        "4 then 1 eleven minutes later: not 5 within 10"
    );
    assert_eq!(alerts(&app).await[0].3, 1, "counting began again");
    send(5, 4).await;
    assert_eq!(alerts(&app).await[0].2, "open");
    assert_eq!(alerts(&app).await[0].3, 5);

    clock.advance(Duration::minutes(29));
    assert_eq!(
        app::alerts::db::sweep(&app.state.db.write, clock.now())
            .await
            .expect("sweep"),
        0
    );
    send(9, 1).await;
    clock.advance(Duration::minutes(31));
    assert_eq!(
        app::alerts::db::sweep(&app.state.db.write, clock.now())
            .await
            .expect("sweep"),
        1
    );
    assert_eq!(alerts(&app).await[0].2, "resolved");
    assert_eq!(alerts(&app).await[0].3, 6);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'alert.resolve' AND reason = 'no new event for 30 minute(s)'").await, 1);
    // After it resolved, the same group starts a new alert.
    send(10, 1).await;
    assert_eq!(alerts(&app).await.len(), 2);
    // A pending group whose window passed is let go.
    clock.advance(Duration::minutes(11));
    app::alerts::db::sweep(&app.state.db.write, clock.now())
        .await
        .expect("sweep");
    assert_eq!(alerts(&app).await.len(), 1);
}

#[tokio::test]
async fn an_alert_becomes_an_incident_with_its_runbook_and_its_events_on_the_timeline() {
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(manual_clock());
    with_demo_rules(&app).await;
    let secret = hook_source(&app, "stripe", "stripe", "", None).await;
    flood(&app, &secret, "charge.failed", 25, 25).await;
    let responder = app.session_for(Role::Responder).await;
    let viewer = app.session_for(Role::Viewer).await;
    let page = app.get_as(&responder, "/alerts/1").await.ok();
    assert!(page.body.contains("declare-from-alert"));
    let refused = app.post_as(&viewer, "/api/alerts/declare", "id=1").await;
    assert_eq!(refused.status.as_u16(), 403);
    let declared = app
        .post_plain_form_as(
            &responder,
            "/api/alerts/declare",
            "id=1",
            "http://127.0.0.1:3000/alerts/1",
        )
        .await;
    assert!(
        declared.status.is_redirection(),
        "{}: {}",
        declared.status,
        declared.body
    );
    let location = declared
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(location, "/incidents/1");
    let (title, severity): (String, String) =
        sqlx::query_as("SELECT title, severity FROM incidents WHERE id = 1")
            .fetch_one(&app.state.db.read)
            .await
            .expect("incident");
    assert_eq!(
        (title.as_str(), severity.as_str()),
        ("Payment failures spike (action=charge.failed)", "sev2")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM event_links WHERE incident_id = 1")
            .await,
        20
    );
    let incident = app.get_as(&responder, "/incidents/1").await.ok();
    let (sample,): (String,) = sqlx::query_as(
        "SELECT e.dedupe_key FROM alert_events a JOIN events e ON e.id = a.event_id WHERE a.alert_id = 1 LIMIT 1",
    )
    .fetch_one(&app.state.db.read)
    .await
    .expect("a sample");
    assert!(
        incident.body.contains(&sample),
        "the alert's events are on the timeline"
    );
    // Each entry is in the page and in its data for the live view.
    assert_eq!(incident.body.matches("event_linked").count(), 2 * 20);
    assert_eq!(
        app.count("SELECT incident_id FROM alerts WHERE id = 1")
            .await,
        1
    );
    let again = app.post_as(&responder, "/api/alerts/declare", "id=1").await;
    assert_eq!(again.status.as_u16(), 409, "{}", again.body);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'alert.declare'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_other_demo_rules_watch_automation_auth_errors_and_key_changes() {
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(manual_clock());
    with_demo_rules(&app).await;
    let token = hook_source(&app, "zaps", "token", "", None).await;
    let github = hook_source(&app, "gh", "github", "", None).await;
    let now = app.state.clock.now().timestamp();
    for i in 0..3 {
        let body =
            format!(r#"{{"event":"zap.step.failed","status":"401","actor":"zap-sync","n":{i}}}"#)
                .into_bytes();
        let headers = sign(Scheme::Token, &token, &body, now, &format!("d{i}"));
        assert_eq!(
            deliver(&app, "zaps", &headers, &body, None).await.body,
            "accepted"
        );
    }
    let body = br#"{"action":"created","key":{"id":1},"sender":{"login":"mallory"},"repository":{"full_name":"acme/api"}}"#;
    let mut headers = sign(Scheme::Github, &github, body, now, "g1");
    headers.push(("X-GitHub-Event", "deploy_key".into()));
    assert_eq!(
        deliver(&app, "gh", &headers, body, None).await.body,
        "accepted"
    );
    let found: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT r.name, a.group_key, a.count FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.state = 'open' ORDER BY a.id",
    )
    .fetch_all(&app.state.db.read)
    .await
    .expect("alerts");
    assert_eq!(
        found,
        vec![
            (
                "Automation auth errors".into(),
                "source=webhook actor=zap-sync".into(),
                3
            ),
            (
                "Key created, deleted or logging stopped".into(),
                "action=deploy_key.created actor=mallory".into(),
                1
            ),
        ]
    );
}

#[tokio::test]
async fn editors_write_rules_and_a_bad_field_is_named() {
    let app = spawn_app(Environment::Production).await;
    let editor = app.session_for(Role::Editor).await;
    let viewer = app.session_for(Role::Viewer).await;
    let form = |name: &str, sources: &str, group: &str, threshold: &str| {
        support::form(&[
            ("rule[name]", name),
            ("rule[sources]", sources),
            ("rule[actions]", "charge.*"),
            ("rule[words]", ""),
            ("rule[outcome]", "failure"),
            ("rule[environment]", ""),
            ("rule[threshold]", threshold),
            ("rule[window_minutes]", "5"),
            ("rule[group_by]", group),
            ("rule[quiet_minutes]", "15"),
            ("rule[severity]", "sev3"),
            ("rule[runbook]", ""),
        ])
    };
    assert_eq!(
        app.post_as(
            &viewer,
            "/api/alerts/rules/add",
            &form("x", "stripe", "action", "2")
        )
        .await
        .status
        .as_u16(),
        403
    );
    let bad = app
        .post_as(
            &editor,
            "/api/alerts/rules/add",
            &form("x", "paypal", "action", "2"),
        )
        .await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(
        bad.body.contains("'paypal' is not a source"),
        "{}",
        bad.body
    );
    let bad = app
        .post_as(
            &editor,
            "/api/alerts/rules/add",
            &form("x", "stripe", "colour", "2"),
        )
        .await;
    assert!(
        bad.body
            .contains("'colour' is not one of source, action, target, actor, environment"),
        "{}",
        bad.body
    );
    let bad = app
        .post_as(
            &editor,
            "/api/alerts/rules/add",
            &form("x", "stripe", "action", "0"),
        )
        .await;
    assert!(bad.body.contains("Threshold"), "{}", bad.body);
    app.post_as(
        &editor,
        "/api/alerts/rules/add",
        &form("Charges failing", "stripe", "action target", "2"),
    )
    .await
    .ok();
    let rules = app.get_as(&viewer, "/alert-rules").await.ok();
    assert!(rules.body.contains("Charges failing"));
    assert!(rules.body.contains("grouped by action + target"));
    assert!(!rules.body.contains("add-rule-form"), "viewers read only");
    app.post_as(&editor, "/api/alerts/rules/enabled", "id=1&enabled=false")
        .await
        .ok();
    assert_eq!(
        app.count("SELECT enabled FROM alert_rules WHERE id = 1")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'alert.rule.%'")
            .await,
        2
    );
}
