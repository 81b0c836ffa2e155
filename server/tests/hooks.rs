//! Signed webhooks through the real router, on a real SQLite file: the
//! published vectors, every refusal (with nothing stored), replays,
//! rotation's overlap, and no secret or signature in any answer or log.
mod support;

use app::{
    clock::TimeSource,
    environment::Environment,
    signing::{sign, Scheme},
};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use support::{deliver, hook_source, manual_clock, spawn_app, TestApp};

fn vectors() -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/events/webhooks.json");
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors")).expect("json");
    all["vectors"].as_array().expect("vectors").clone()
}

fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).expect("time")
}

/// Headers a sender signs `body` with at the app's now.
fn signed(
    app: &TestApp,
    scheme: Scheme,
    secret: &str,
    body: &[u8],
    id: &str,
) -> Vec<(&'static str, String)> {
    sign(scheme, secret, body, app.state.clock.now().timestamp(), id)
}

fn charge_failed(n: usize) -> Vec<u8> {
    format!(
        r#"{{"id":"evt_hook_{n}","object":"event","type":"charge.failed","created":1795011600,"livemode":true,"data":{{"object":{{"id":"ch_{n}","object":"charge","amount":4200,"failure_code":"card_declined"}}}}}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn the_published_vectors_get_past_the_signature_and_a_changed_body_does_not() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    for (i, v) in vectors().into_iter().enumerate() {
        let scheme = Scheme::parse(v["scheme"].as_str().expect("scheme")).expect("a scheme");
        let name = format!("vector-{i}");
        hook_source(&app, &name, scheme.as_str(), "", v["secret"].as_str()).await;
        if let Some(t) = v["verify_at"].as_i64() {
            clock.set(at(t));
        }
        let headers: Vec<(&str, String)> = v["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().expect("text").to_owned()))
            .collect();
        let body = v["body"].as_str().expect("body").as_bytes().to_vec();
        let answer = deliver(&app, &name, &headers, &body, None).await;
        // Event bodies are stored; the two that are not events (a bare
        // test object, GitHub's "Hello, World!") are refused for their
        // body, after their signature passed.
        let event = !matches!(
            v["name"].as_str(),
            Some("standard-webhooks-library-reference" | "github-docs")
        );
        if event {
            assert_eq!(
                (answer.status.as_u16(), answer.body.as_str()),
                (200, "accepted"),
                "{}",
                v["name"]
            );
        } else {
            assert_eq!(
                answer.status.as_u16(),
                400,
                "{}: {}",
                v["name"],
                answer.body
            );
            assert_eq!(answer.body, "the body is not an event this source reads");
        }
        let mut changed = body.clone();
        changed[body.len() / 2] ^= 1;
        let answer = deliver(&app, &name, &headers, &changed, None).await;
        assert_eq!(
            (answer.status.as_u16(), answer.body.as_str()),
            (401, "the signature does not match"),
            "{}",
            v["name"]
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM events WHERE dedupe_key = 'evt_1TqB0cQx7kPb2NwDa8Ry6TvU'")
            .await,
        1,
        "the Stripe event is stored under its own id"
    );
    assert_eq!(app.count("SELECT count(*) FROM events").await, 3);
    app.assert_search_index_intact().await;
}

/// Delivery `n` of a failed zap to the source "hooks", signed as Standard
/// Webhooks with `secret`: its status and answer.
async fn zap_failed(app: &TestApp, secret: String, n: usize) -> (u16, String) {
    let body = format!(r#"{{"type":"zap.failed","status":"401","n":{n}}}"#).into_bytes();
    let headers = signed(
        app,
        Scheme::StandardWebhooks,
        &secret,
        &body,
        &format!("msg_{n}"),
    );
    let answer = deliver(app, "hooks", &headers, &body, None).await;
    (answer.status.as_u16(), answer.body)
}

#[tokio::test]
async fn a_rotation_accepts_the_old_and_new_secrets_during_its_overlap_then_only_the_new() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    let old = hook_source(&app, "hooks", "standard-webhooks", "", None).await;
    let new = app::hooks::manage::rotate(
        &app.state.db.write,
        &app.auth.secret_key,
        "hooks",
        1,
        None,
        "test",
        clock.now(),
    )
    .await
    .expect("rotate");
    assert_ne!(old, new);
    let send = |secret: String, n: usize| zap_failed(&app, secret, n);
    assert_eq!(
        send(old.clone(), 1).await,
        (200, "accepted".into()),
        "the old one, in the overlap"
    );
    assert_eq!(send(new.clone(), 2).await, (200, "accepted".into()));
    clock.advance(Duration::minutes(61));
    assert_eq!(
        send(old.clone(), 3).await,
        (401, "the signature does not match".into()),
        "the overlap is over"
    );
    assert_eq!(send(new.clone(), 4).await, (200, "accepted".into()));
    // A rotation without overlap stops the old secret at once.
    let newest = app::hooks::manage::rotate(
        &app.state.db.write,
        &app.auth.secret_key,
        "hooks",
        0,
        None,
        "test",
        clock.now(),
    )
    .await
    .expect("rotate");
    assert_eq!(send(new, 5).await.0, 401);
    assert_eq!(send(newest, 6).await.0, 200);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'hooks.source.rotate'")
            .await,
        2
    );
    // Secrets that retired are gone from the database, sealed or not.
    assert_eq!(app.count("SELECT count(*) FROM hook_secrets").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM sealed_keys WHERE name LIKE 'hook:%'")
            .await,
        1
    );
}

/// After a leak, a rotation with no overlap ends every older secret at
/// once, including one still inside an earlier rotation's overlap.
#[tokio::test]
async fn a_rotation_without_overlap_ends_secrets_still_in_an_earlier_overlap() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    let rotate = |hours: i64| {
        let app = &app;
        let now = clock.now();
        async move {
            app::hooks::manage::rotate(
                &app.state.db.write,
                &app.auth.secret_key,
                "hooks",
                hours,
                None,
                "test",
                now,
            )
            .await
            .expect("rotate")
        }
    };
    let send = |secret: String, n: usize| {
        let app = &app;
        async move { zap_failed(app, secret, n).await.0 }
    };
    let s1 = hook_source(&app, "hooks", "standard-webhooks", "", None).await;
    let s2 = rotate(24).await;
    assert_eq!(send(s1.clone(), 1).await, 200, "S1 in its 24 h overlap");
    let s3 = rotate(0).await;
    assert_eq!(
        send(s1, 2).await,
        401,
        "S1 ended by the rotation with no overlap"
    );
    assert_eq!(send(s2, 3).await, 401, "S2 ended too");
    assert_eq!(send(s3.clone(), 4).await, 200, "only the newest verifies");
    assert_eq!(app.count("SELECT count(*) FROM hook_secrets").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM sealed_keys WHERE name LIKE 'hook:%'")
            .await,
        1
    );
    // A later rotation with a longer overlap never lengthens an earlier one.
    let _s4 = rotate(1).await;
    clock.advance(Duration::minutes(30));
    let _s5 = rotate(24).await;
    assert_eq!(send(s3.clone(), 5).await, 200, "S3 inside its hour");
    clock.advance(Duration::minutes(31));
    assert_eq!(send(s3, 6).await, 401, "S3's hour is over, not 24 more");
}

/// Sources cannot be found by trying names, and a flood of bad posts
/// cannot flush the delivery log: refusals are kept apart, bounded on
/// their own, and never push out accepted deliveries.
#[tokio::test]
async fn bad_posts_neither_reveal_sources_nor_push_accepted_deliveries_out_of_the_log() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    let secret = hook_source(&app, "known", "standard-webhooks", "", None).await;
    let body = br#"{"type":"zap.failed","status":"401","n":1}"#.to_vec();
    let headers = signed(&app, Scheme::StandardWebhooks, &secret, &body, "msg_1");
    assert_eq!(
        deliver(&app, "known", &headers, &body, None).await.body,
        "accepted"
    );

    let unknown = deliver(&app, "no-such-source", &[], &body, None).await;
    let unsigned = deliver(&app, "known", &[], &body, None).await;
    assert_eq!(
        (unknown.status, unknown.body.as_str()),
        (unsigned.status, unsigned.body.as_str()),
        "an unknown source and an unsigned post to a known one answer alike"
    );

    let flood = app::hooks::DELIVERIES_KEPT as usize + 100;
    for _ in 0..flood {
        deliver(&app, "known", &[], &body, None).await;
    }
    let rejected = "SELECT count(*) FROM hook_deliveries WHERE outcome = 'rejected'";
    // Refusals are logged by the writer without waiting: wait for it.
    for _ in 0..200 {
        if app
            .count("SELECT rejected FROM hook_sources WHERE name = 'known'")
            .await
            >= flood as i64
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        app.count(rejected).await <= app::hooks::DELIVERIES_KEPT,
        "refusals are bounded"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM hook_deliveries WHERE outcome = 'accepted'")
            .await,
        1,
        "the accepted delivery is still in the log"
    );
}

/// A stored list of allowed networks that cannot be read fails closed:
/// no address delivers (an empty list would mean any address).
#[tokio::test]
async fn an_unreadable_network_list_lets_no_address_deliver() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    let secret = hook_source(&app, "fenced", "token", "192.0.2.0/24", None).await;
    sqlx::query("UPDATE hook_sources SET networks = 'not-a-network' WHERE name = 'fenced'")
        .execute(&app.state.db.write)
        .await
        .expect("broken");
    let body = br#"{"action":"zap.failed","timestamp":"2026-11-27T00:00:00Z"}"#;
    let headers = signed(&app, Scheme::Token, &secret, body, "");
    let inside: std::net::IpAddr = "192.0.2.7".parse().expect("ip");
    for client in [None, Some(inside)] {
        let answer = deliver(&app, "fenced", &headers, body, client).await;
        assert_eq!(answer.status.as_u16(), 401, "{}", answer.body);
    }
    assert_eq!(app.count("SELECT count(*) FROM events").await, 0);
    for _ in 0..100 {
        if app.count("SELECT count(*) FROM hook_deliveries").await >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.count("SELECT count(*) FROM hook_deliveries WHERE reason LIKE '%allowed networks cannot be read%'")
            .await,
        2
    );
}

/// The text of `<code id="ID">…</code>` in a page.
fn code_with_id(page: &str, id: &str) -> Option<String> {
    let start = page.find(&format!("<code id=\"{id}\">"))? + id.len() + 12;
    // Text ends at the next tag (or Leptos's `<!>` marker).
    let end = page[start..].find('<')? + start;
    Some(page[start..end].to_owned())
}

#[tokio::test]
async fn an_admin_adds_a_source_in_the_page_sees_its_secret_once_and_its_deliveries() {
    let app = spawn_app(Environment::Production).await;
    let admin = app.session_for(app::auth::Role::Admin).await;
    let editor = app.session_for(app::auth::Role::Editor).await;
    let mut app = app;
    app.cookie = Some(admin.clone());
    let form = support::form(&[
        ("name", "stripe-live"),
        ("scheme", "stripe"),
        ("environment", "live"),
        ("networks", ""),
        ("retention", "30"),
        ("secret", ""),
    ]);
    let added = app
        .post_plain_form("/api/hooks/add", &form, "http://127.0.0.1:3000/sources")
        .await;
    assert!(added.status.is_redirection(), "{}", added.status);
    assert_eq!(
        added.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/sources/stripe-live")
    );
    let page = app.get("/sources/stripe-live").await.ok();
    assert!(page.body.contains("Copy this secret now"), "{}", page.body);
    assert_eq!(
        page.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let secret = code_with_id(&page.body, "new-secret").expect("the secret, shown");
    assert!(added.body.contains(&secret), "{secret} in {}", added.body);
    assert!(page
        .body
        .contains("http://127.0.0.1:3000/hooks/stripe-live"));
    let again = app.get("/sources/stripe-live").await.ok();
    assert!(!again.body.contains(&secret), "shown once only");
    assert!(!app.get("/sources").await.ok().body.contains(&secret));

    // The secret the page showed is the one deliveries are checked with.
    let body = charge_failed(7);
    let headers = signed(&app, Scheme::Stripe, &secret, &body, "");
    assert_eq!(
        deliver(&app, "stripe-live", &headers, &body, None)
            .await
            .body,
        "accepted"
    );
    assert_eq!(
        deliver(&app, "stripe-live", &[], &body, None)
            .await
            .status
            .as_u16(),
        401,
        "unsigned: answered as any unverified delivery"
    );
    let (environment,): (Option<String>,) =
        sqlx::query_as("SELECT environment FROM events WHERE dedupe_key = 'evt_hook_7'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("stored");
    assert_eq!(
        environment.as_deref(),
        Some("live"),
        "Stripe's livemode: true"
    );
    let mut page = app.get("/sources/stripe-live").await.ok();
    for _ in 0..50 {
        if page.body.contains("the Stripe-Signature header is missing") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        page = app.get("/sources/stripe-live").await.ok();
    }
    for shown in [
        "the Stripe-Signature header is missing",
        "evt_hook_7",
        "class=\"delivery accepted\"",
        "class=\"delivery rejected\"",
        "delivery-strip",
    ] {
        assert!(page.body.contains(shown), "{shown} on the page");
    }
    assert!(
        !page.body.contains("card_declined"),
        "no payload in the delivery log"
    );

    // Editors read; only admins change.
    let as_editor = app.get_as(&editor, "/sources/stripe-live").await.ok();
    assert!(as_editor.body.contains("evt_hook_7"));
    assert!(!as_editor.body.contains("rotate-form"));
    let refused = app
        .post_as(
            &editor,
            "/api/hooks/rotate",
            &support::form(&[("name", "stripe-live"), ("overlap_hours", "1")]),
        )
        .await;
    assert_eq!(refused.status.as_u16(), 403);
    let bad = app
        .post_form(
            "/api/hooks/settings",
            &support::form(&[
                ("name", "stripe-live"),
                ("environment", "live"),
                ("networks", "10.0.0.0/8 nonsense"),
                ("retention", "30"),
            ]),
        )
        .await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(
        bad.body.contains("'nonsense' is not a network"),
        "{}",
        bad.body
    );
    let taken = app.post_form("/api/hooks/add", &form).await;
    assert_eq!(taken.status.as_u16(), 409, "{}", taken.body);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'hooks.source.add' AND target = 'source:stripe-live'").await,
        1
    );
    assert!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE reason LIKE '%{secret}%'"
        ))
        .await
            == 0,
        "the secret is not in the audit log"
    );
}

#[tokio::test]
async fn a_webhook_sources_events_are_kept_for_its_own_retention() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    let secret = hook_source(&app, "short", "token", "", None).await;
    let mut tx = app.state.db.write.begin().await.expect("tx");
    sqlx::query("UPDATE hook_sources SET retention_days = 7")
        .execute(&mut *tx)
        .await
        .expect("days");
    tx.commit().await.expect("commit");
    let old = br#"{"action":"zap.failed","timestamp":"2026-11-01T00:00:00Z"}"#;
    let recent = br#"{"action":"zap.failed","timestamp":"2026-11-27T00:00:00Z"}"#;
    let send = |body: &'static [u8]| {
        let app = &app;
        let headers = signed(app, Scheme::Token, &secret, body, "");
        async move { deliver(app, "short", &headers, body, None).await.body }
    };
    assert_eq!(send(&old[..]).await, "accepted");
    // It happened a month ago but arrived now: kept for its week.
    assert!(
        app::events::retention::run(&app.state.db.write, clock.now(), &[])
            .await
            .expect("run")
            .is_empty()
    );
    clock.advance(chrono::Duration::days(7) + chrono::Duration::hours(1));
    assert_eq!(send(&recent[..]).await, "accepted");
    let deleted = app::events::retention::run(&app.state.db.write, clock.now(), &[])
        .await
        .expect("run");
    assert_eq!(deleted, vec![("webhook short".to_owned(), 1)]);
    assert_eq!(app.count("SELECT count(*) FROM events").await, 1);
    app.assert_search_index_intact().await;
}
