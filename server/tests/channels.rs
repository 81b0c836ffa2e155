//! Channels that reach people, against real receivers on loopback: an
//! HTTP receiver that verifies Muster's Standard Webhooks signature, and
//! an SMTP server that receives real messages. A refused delivery is tried
//! again after its back-off (driven by a clock the test moves), with the
//! same id; a channel keeps to its rate; a refusal that cannot change
//! fails at once and warns; no secret is ever shown again or written to
//! the audit log. In the sandbox nothing is delivered: the outbox keeps
//! whom it would have reached.
mod support;

use app::{clock::TimeSource, environment::Environment, reach::sender::Sender};
use support::{
    form,
    reach::{add_channel, test_message, Receiver, SmtpSink},
    spawn_app, TestApp,
};

async fn admin_app(
    environment: Environment,
) -> (TestApp, std::sync::Arc<app::clock::ManualTime>, String) {
    let clock = support::manual_clock();
    let app = spawn_app(environment).await.on_clock(clock.clone());
    let admin = app.session_for(app::auth::Role::Admin).await;
    (app, clock, admin)
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).map(|i| i + start.len()).expect(start);
    let to = text[from..].find(end).expect(end);
    &text[from..from + to]
}

#[tokio::test]
async fn a_webhook_is_signed_retried_after_its_back_off_kept_to_its_rate_and_logged() {
    let (app, clock, admin) = admin_app(Environment::Production).await;
    let receiver = Receiver::start().await;
    let added = add_channel(
        &app,
        &admin,
        &[
            ("name", "ops-hook"),
            ("kind", "webhook"),
            (
                "address",
                &receiver.url("/muster/in?token=kept-out-of-pages"),
            ),
            ("per_minute", "2"),
        ],
    )
    .await;
    assert!(
        added.status.is_success() || added.status.is_redirection(),
        "{}",
        added.body
    );
    let page = app
        .get_as(&admin, "/admin/channels/ops-hook")
        .await
        .ok()
        .body;
    let secret = between(&page, r#"id="new-secret">"#, "<").to_owned();
    assert!(secret.starts_with("whsec_"), "{page}");
    assert!(
        !page.contains("kept-out-of-pages"),
        "the URL's path and query are not shown"
    );
    let again = app
        .get_as(&admin, "/admin/channels/ops-hook")
        .await
        .ok()
        .body;
    assert!(!again.contains(&secret), "the secret is shown once");
    receiver.expect(&secret, clock.now().timestamp());

    // The test button: the receiver is down (503) the first time.
    receiver.answer(&[503]);
    let page = test_message(&app, &admin, "ops-hook").await;
    assert!(
        page.contains(r#"data-state="pending""#) && page.contains("HTTP 503"),
        "{page}"
    );
    let sender = Sender::new(app.auth.secret_key.clone(), app.state.outbound.clone());
    let start = clock.now();
    assert_eq!(
        sender
            .run_due(&app.state.db, start + chrono::Duration::seconds(29))
            .await
            .expect("run"),
        0,
        "not before its back-off of 30 s"
    );
    clock.set(start + chrono::Duration::seconds(30));
    receiver.expect(&secret, clock.now().timestamp());
    assert_eq!(
        sender
            .run_due(&app.state.db, clock.now())
            .await
            .expect("run"),
        1
    );
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert!(
        got.iter().all(|d| d.verified && d.path == "/muster/in"),
        "{got:?}"
    );
    assert_eq!(got[0].id, got[1].id, "a retry keeps the message's id");
    let body: serde_json::Value = serde_json::from_str(&got[1].body).expect("json");
    assert_eq!(body["type"], "muster.test");
    assert!(body["data"]["subject"]
        .as_str()
        .unwrap_or_default()
        .starts_with("[TEST] Muster test message for channel ops-hook"));
    let admin = app.session_for(app::auth::Role::Admin).await;
    let page = app
        .get_as(&admin, "/admin/channels/ops-hook")
        .await
        .ok()
        .body;
    assert!(
        page.contains(r#"data-state="sent""#) && page.contains("HTTP 200"),
        "{page}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'retry' AND code = 503")
            .await
            + app
                .count("SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'sent' AND code = 200")
                .await,
        2
    );

    // The rate: two a minute. Five queued at once go two by two.
    let mut tx = app.state.db.write.begin().await.expect("tx");
    let stored = app::reach::db::find(&mut tx, "ops-hook")
        .await
        .expect("find")
        .expect("there");
    for n in 0..5 {
        let m = app::reach::Message {
            purpose: "call",
            incident_id: None,
            to: String::new(),
            subject: format!("Call {n}"),
            body: "Checkout is down".into(),
            link: None,
            call_id: None,
        };
        app::reach::db::enqueue(
            &mut tx,
            &stored.channel,
            &m,
            (Environment::Production, false),
            clock.now(),
        )
        .await
        .expect("queued");
    }
    tx.commit().await.expect("commit");
    let minute = chrono::Duration::seconds(61);
    let now = clock.now() + minute;
    let mut per_run = Vec::new();
    for t in [now, now, now + minute, now + minute * 2] {
        receiver.expect(&secret, t.timestamp());
        per_run.push(sender.run_due(&app.state.db, t).await.expect("run"));
    }
    assert_eq!(per_run, [2, 0, 2, 1], "two a minute");
    assert_eq!(receiver.received().len(), 7);

    // A refusal that cannot change (404) fails at once, and warns.
    let later = now + minute * 3;
    add_channel(
        &app,
        &admin,
        &[
            ("name", "gone"),
            ("kind", "webhook"),
            ("preset", "slack"),
            ("address", &receiver.url("/gone")),
        ],
    )
    .await
    .ok();
    receiver.answer(&[404]);
    clock.set(later);
    app.post_as(
        &admin,
        "/api/admin/channels/test",
        &form(&[("name", "gone")]),
    )
    .await
    .ok();
    let admin = app.session_for(app::auth::Role::Admin).await;
    let list = app.get_as(&admin, "/admin/channels").await.ok().body;
    assert!(list.contains(r#"id="channels-warning""#), "{list}");
    let slack: serde_json::Value =
        serde_json::from_str(&receiver.received().last().expect("one").body).expect("json");
    assert!(slack["text"]
        .as_str()
        .unwrap_or_default()
        .starts_with("*[TEST] Muster test message"));

    // Nothing secret in the audit log.
    let audit: Vec<(String,)> =
        sqlx::query_as("SELECT reason FROM audit_log WHERE action LIKE 'channel.%'")
            .fetch_all(&app.state.db.read)
            .await
            .expect("audit");
    assert_eq!(audit.len(), 4, "two adds, two tests");
    assert!(audit.iter().all(|(r,)| !r.contains("whsec_")
        && !r.contains(&secret)
        && !r.contains("kept-out-of-pages")));
}

#[tokio::test]
async fn email_goes_out_through_a_real_smtp_conversation() {
    let (app, _clock, admin) = admin_app(Environment::Production).await;
    let sink = SmtpSink::start().await;
    let added = add_channel(
        &app,
        &admin,
        &[
            ("name", "ops-mail"),
            ("kind", "email"),
            ("address", &format!("127.0.0.1:{}", sink.port)),
            ("security", "plain"),
            ("username", "muster"),
            ("secret", "correct horse battery"),
            ("sender", "muster@example.com"),
            ("recipients", "oncall@example.com, lead@example.com"),
        ],
    )
    .await;
    assert!(
        added.status.is_redirection() || added.status.is_success(),
        "{}",
        added.body
    );
    app.post_as(
        &admin,
        "/api/admin/channels/test",
        &form(&[("name", "ops-mail")]),
    )
    .await
    .ok();
    let mails = sink.received();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(
        mail.auth,
        Some(("muster".into(), "correct horse battery".into()))
    );
    assert_eq!(mail.to, ["<oncall@example.com>", "<lead@example.com>"]);
    assert!(
        mail.data
            .contains("Subject: [TEST] Muster test message for channel ops-mail"),
        "{}",
        mail.data
    );
    assert!(mail.data.contains("Message-ID: <msg_"), "{}", mail.data);
    let page = app
        .get_as(&admin, "/admin/channels/ops-mail")
        .await
        .ok()
        .body;
    assert!(
        page.contains(r#"data-state="sent""#) && page.contains("SMTP 250"),
        "{page}"
    );
    assert!(!page.contains("correct horse battery"));

    // A recipient the server refuses: failed at once, with its words.
    add_channel(
        &app,
        &admin,
        &[
            ("name", "bad-list"),
            ("kind", "email"),
            ("address", &format!("localhost:{}", sink.port)),
            ("security", "plain"),
            ("sender", "muster@example.com"),
            ("recipients", "refused@example.com"),
        ],
    )
    .await
    .ok();
    let page = test_message(&app, &admin, "bad-list").await;
    assert!(
        page.contains(r#"data-state="failed""#) && page.contains("no such person here"),
        "{page}"
    );

    // STARTTLS is required: a server that does not offer it gets no
    // password and no message.
    let said_before = sink.said.lock().expect("lock").len();
    let mails_before = sink.received().len();
    add_channel(
        &app,
        &admin,
        &[
            ("name", "needs-tls"),
            ("kind", "email"),
            ("address", &format!("localhost:{}", sink.port)),
            ("security", "starttls"),
            ("username", "muster"),
            ("secret", "never on the wire"),
            ("sender", "muster@example.com"),
            ("recipients", "oncall@example.com"),
        ],
    )
    .await
    .ok();
    app.post_as(
        &admin,
        "/api/admin/channels/test",
        &form(&[("name", "needs-tls")]),
    )
    .await
    .ok();
    let heard: Vec<String> = sink.said.lock().expect("lock")[said_before..].to_vec();
    assert!(
        heard
            .iter()
            .any(|l| l.to_ascii_uppercase().starts_with("EHLO")),
        "it did connect: {heard:?}"
    );
    assert!(
        heard
            .iter()
            .all(|l| !l.to_ascii_uppercase().starts_with("AUTH")
                && !l.to_ascii_uppercase().starts_with("MAIL")),
        "{heard:?}"
    );
    assert_eq!(sink.received().len(), mails_before, "no message");
    let page = app
        .get_as(&admin, "/admin/channels/needs-tls")
        .await
        .ok()
        .body;
    assert!(!page.contains(r#"data-state="sent""#), "{page}");
    // A setting to fix, not a passing fault: failed at once, with why.
    assert!(
        page.contains(r#"data-state="failed""#)
            && page.contains("the server does not offer STARTTLS, which this channel requires"),
        "{page}"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM outbox o JOIN channels c ON c.id = o.channel_id \
             WHERE c.name = 'needs-tls' AND o.state = 'pending'"
        )
        .await,
        0,
        "never retried"
    );

    // Plain SMTP to another machine is refused when the channel is added.
    let far = add_channel(
        &app,
        &admin,
        &[
            ("name", "far"),
            ("kind", "email"),
            ("address", "smtp.example.com:25"),
            ("security", "plain"),
            ("sender", "muster@example.com"),
        ],
    )
    .await;
    assert_eq!(far.status, 422, "{}", far.body);
    assert!(far
        .body
        .contains("plain (unencrypted) SMTP only to a server on this machine"));
}

#[tokio::test]
async fn nothing_leaves_the_sandbox_and_the_outbox_says_whom_it_would_have_reached() {
    let (app, clock, admin) = admin_app(Environment::Sandbox).await;
    let receiver = Receiver::start().await;
    let sink = SmtpSink::start().await;
    add_channel(
        &app,
        &admin,
        &[
            ("name", "ops-hook"),
            ("kind", "webhook"),
            ("address", &receiver.url("/in")),
        ],
    )
    .await
    .ok();
    add_channel(
        &app,
        &admin,
        &[
            ("name", "ops-mail"),
            ("kind", "email"),
            ("address", &format!("127.0.0.1:{}", sink.port)),
            ("security", "plain"),
            ("sender", "muster@example.com"),
            ("recipients", "oncall@example.com"),
        ],
    )
    .await
    .ok();
    for name in ["ops-hook", "ops-mail"] {
        app.post_as(&admin, "/api/admin/channels/test", &form(&[("name", name)]))
            .await
            .ok();
    }
    let sender = Sender::new(app.auth.secret_key.clone(), app.state.outbound.clone());
    for minutes in [0, 5, 60] {
        let at = clock.now() + chrono::Duration::minutes(minutes);
        assert_eq!(sender.run_due(&app.state.db, at).await.expect("run"), 0);
    }
    assert!(receiver.received().is_empty() && sink.received().is_empty());
    let page = app
        .get_as(&admin, "/admin/channels/ops-mail")
        .await
        .ok()
        .body;
    assert!(
        page.contains(r#"data-state="withheld""#)
            && page.contains(
                "would have sent to oncall@example.com by ops-mail (not sent: the sandbox)"
            ),
        "{page}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox_attempts").await, 0);
}
