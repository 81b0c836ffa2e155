//! Calls, on the demo roster with a real SMTP server and a real webhook
//! receiver on loopback, and a clock the test moves: declaring calls the
//! commander; nobody acknowledges, so after five minutes the backup is
//! called; the backup acknowledges through the link's page (once), which
//! stops the escalation; a handoff calls the new holder, whose link
//! expires after a day. Each step is on the timeline. A drill with every
//! routing rule active reaches nobody, while a real incident declared the
//! same way does.
mod support;

use app::{
    clock::TimeSource,
    environment::Environment,
    reach::{route::escalate_due, sender::Sender, Place},
};
use support::{
    form,
    reach::{ack_key, add_channel, people_mail, route_to_channel, Receiver, SmtpSink},
    spawn_app, TestApp,
};

async fn one(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

async fn timeline(app: &TestApp, incident: i64) -> Vec<String> {
    sqlx::query_as::<_, (String,)>(
        "SELECT text FROM timeline WHERE incident_id = ? AND kind = 'call' ORDER BY id",
    )
    .bind(incident)
    .fetch_all(&app.state.db.read)
    .await
    .expect("timeline")
    .into_iter()
    .map(|(t,)| t)
    .collect()
}

/// The demo data in production, on a clock the test moves.
async fn demo_at(clock: &std::sync::Arc<app::clock::ManualTime>) -> TestApp {
    spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await
}

/// Declares a real incident as the holder of `cookie`: its id.
async fn declare(
    app: &TestApp,
    cookie: &str,
    (title, severity, impact): (&str, &str, &str),
    runbook: &str,
) -> i64 {
    app.post_as(
        cookie,
        "/api/incidents/declare",
        &form(&[
            ("title", title),
            ("severity", severity),
            ("impact", impact),
            ("runbook", runbook),
        ]),
    )
    .await
    .ok();
    one(
        app,
        "SELECT MAX(id) FROM incidents WHERE drill_run_id IS NULL",
    )
    .await
}

#[tokio::test]
async fn the_commander_is_called_the_backup_after_five_minutes_and_an_acknowledgement_stops_it() {
    let clock = support::manual_clock();
    let app = demo_at(&clock).await;
    let sink = SmtpSink::start().await;
    let admin = app.session_of("admin@demo.muster").await;
    people_mail(&app, &admin, sink.port).await;
    let commander = one(
        &app,
        "SELECT id FROM incident_roles WHERE name = 'Incident Commander'",
    )
    .await;
    let holders: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.name, p.email FROM role_assignments a JOIN people p ON p.id = a.person_id \
         WHERE a.role_id = (SELECT id FROM incident_roles WHERE name = 'Incident Commander') ORDER BY a.rank",
    )
    .fetch_all(&app.state.db.read)
    .await
    .expect("holders");
    assert!(
        holders.len() >= 2,
        "the demo commander has a backup: {holders:?}"
    );
    let (primary, backup) = (&holders[0], &holders[1]);

    let responder = app.session_of("responder@demo.muster").await;
    let incident = declare(&app, &responder, ("Checkout down", "sev1", ""), "").await;
    assert_eq!(
        timeline(&app, incident).await,
        [format!(
            "Calling {} as Incident Commander at {} by people-mail.",
            primary.0, primary.1
        )]
    );
    let sender = Sender::new(app.auth.secret_key.clone(), app.state.outbound.clone());
    let start = clock.now();
    sender.run_due(&app.state.db, start).await.expect("send");
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, [format!("<{}>", primary.1)]);
    assert!(
        mails[0]
            .data
            .contains("Subject: [SEV1] Checkout down: you are called as Incident Commander"),
        "{}",
        mails[0].data
    );
    let first_key = ack_key(&mails[0].text);
    // The key that acts was made as the mail went out: the database (and
    // so every backup) holds only its hash, and the queued message a
    // placeholder where the key goes.
    let stored: Vec<(String,)> = sqlx::query_as("SELECT body || link FROM outbox")
        .fetch_all(&app.state.db.read)
        .await
        .expect("outbox");
    assert!(
        stored.iter().all(|(b,)| !b.contains(&first_key))
            && stored.iter().any(|(b,)| b.contains("ack?key={ack-key}")),
        "{stored:?}"
    );
    assert_eq!(
        one(&app, "SELECT COUNT(*) FROM calls WHERE key_hash = ''").await,
        0
    );

    // Nobody acknowledges: at five minutes, the backup is called.
    let place = Place {
        environment: Environment::Production,
        public_url: support::ORIGIN,
    };
    let almost = start + chrono::Duration::minutes(5) - chrono::Duration::seconds(1);
    assert_eq!(
        escalate_due(&app.state.db, &place, almost)
            .await
            .expect("escalate"),
        0
    );
    clock.set(start + chrono::Duration::minutes(5));
    assert_eq!(
        escalate_due(&app.state.db, &place, clock.now())
            .await
            .expect("escalate"),
        1
    );
    sender
        .run_due(&app.state.db, clock.now())
        .await
        .expect("send");
    let mails = sink.received();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].to, [format!("<{}>", backup.1)]);
    let key = ack_key(&mails[1].text);
    let calls = timeline(&app, incident).await;
    assert_eq!(
        calls[1],
        format!(
            "{} did not acknowledge the call as Incident Commander within 5 minutes: calling {}, backup 1.",
            primary.0, backup.0
        )
    );

    // The link's page asks first; the backup acknowledges, once.
    let page = app.get(&format!("/ack?key={key}")).await.ok().body;
    assert!(
        page.contains(r#"id="ack-form""#)
            && page.contains(&format!("{} is called as Incident Commander.", backup.0)),
        "{page}"
    );
    let acked = app
        .post_form("/api/calls/acknowledge", &form(&[("key", &key)]))
        .await;
    assert!(acked.status.is_success(), "{}", acked.body);
    assert!(timeline(&app, incident).await.contains(&format!(
        "{} acknowledged the call as Incident Commander.",
        backup.0
    )));
    let again = app
        .post_form("/api/calls/acknowledge", &form(&[("key", &key)]))
        .await;
    assert_eq!(again.status, 409);
    assert!(
        again.body.contains("acknowledged already"),
        "{}",
        again.body
    );
    let late = app
        .post_form("/api/calls/acknowledge", &form(&[("key", &first_key)]))
        .await;
    assert!(late.body.contains("This call is over"), "{}", late.body);
    let wrong = app
        .post_form("/api/calls/acknowledge", &form(&[("key", "guessed")]))
        .await;
    assert_eq!(wrong.status, 404);
    clock.set(start + chrono::Duration::minutes(30));
    assert_eq!(
        escalate_due(&app.state.db, &place, clock.now())
            .await
            .expect("escalate"),
        0,
        "acknowledged: no more escalation"
    );

    // A handoff calls the new holder; that link works for a day only.
    let someone = one(&app, &format!(
        "SELECT id FROM people WHERE email != '' AND id NOT IN (SELECT person_id FROM role_assignments WHERE role_id = {commander}) LIMIT 1"
    ))
    .await;
    let responder = app.session_of("responder@demo.muster").await;
    app.post_as(
        &responder,
        "/api/incidents/role",
        &form(&[
            ("id", &incident.to_string()),
            ("role_id", &commander.to_string()),
            ("person_id", &someone.to_string()),
        ]),
    )
    .await
    .ok();
    sender
        .run_due(&app.state.db, clock.now())
        .await
        .expect("send");
    let mails = sink.received();
    assert_eq!(mails.len(), 3, "the new holder is called");
    let handoff_key = ack_key(&mails[2].text);
    clock.set(start + chrono::Duration::hours(25));
    let expired = app
        .post_form("/api/calls/acknowledge", &form(&[("key", &handoff_key)]))
        .await;
    assert!(expired.body.contains("expired"), "{}", expired.body);
    assert!(mails
        .iter()
        .all(|m| m.text.contains("Incident #") && !m.text.contains("whsec_")));
}

/// Resolving ends every call the incident started: five minutes after a
/// quick resolve, nobody is escalated to and no call is open.
#[tokio::test]
async fn resolving_closes_the_incidents_calls_and_escalation_skips_it() {
    let clock = support::manual_clock();
    let app = demo_at(&clock).await;
    let sink = SmtpSink::start().await;
    let admin = app.session_of("admin@demo.muster").await;
    people_mail(&app, &admin, sink.port).await;
    let responder = app.session_of("responder@demo.muster").await;
    let incident = declare(&app, &responder, ("Checkout down", "sev1", ""), "").await;
    let sender = Sender::new(app.auth.secret_key.clone(), app.state.outbound.clone());
    sender
        .run_due(&app.state.db, clock.now())
        .await
        .expect("send");
    let key = ack_key(&sink.received()[0].text);
    let open =
        format!("SELECT COUNT(*) FROM calls WHERE incident_id = {incident} AND state = 'open'");
    assert_eq!(one(&app, &open).await, 1, "the commander is called");

    clock.advance(chrono::Duration::seconds(4));
    app.post_as(
        &responder,
        "/api/incidents/status",
        &form(&[("id", &incident.to_string()), ("status", "resolved")]),
    )
    .await
    .ok();
    assert_eq!(one(&app, &open).await, 0, "resolving closed the call");

    let place = Place {
        environment: Environment::Production,
        public_url: support::ORIGIN,
    };
    clock.advance(chrono::Duration::minutes(5));
    assert_eq!(
        escalate_due(&app.state.db, &place, clock.now())
            .await
            .expect("escalate"),
        0,
        "nobody is escalated to about a resolved incident"
    );
    let calls = timeline(&app, incident).await;
    assert!(
        !calls.iter().any(|t| t.contains("did not acknowledge")),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|t| t == "Resolved: 1 open call closed; nobody more is called."),
        "{calls:?}"
    );
    assert_eq!(one(&app, &open).await, 0, "no new call was opened");
    sender
        .run_due(&app.state.db, clock.now())
        .await
        .expect("send");
    assert_eq!(sink.received().len(), 1, "nobody else was mailed");
    let late = app
        .post_form("/api/calls/acknowledge", &form(&[("key", &key)]))
        .await;
    assert!(late.body.contains("This call is over"), "{}", late.body);
}

#[tokio::test]
async fn a_drill_with_every_routing_rule_active_reaches_nobody() {
    let clock = support::manual_clock();
    let app = demo_at(&clock).await;
    let sink = SmtpSink::start().await;
    let receiver = Receiver::start().await;
    let admin = app.session_of("admin@demo.muster").await;
    people_mail(&app, &admin, sink.port).await;
    add_channel(
        &app,
        &admin,
        &[
            ("name", "team-chat"),
            ("kind", "webhook"),
            ("preset", "slack"),
            ("address", &receiver.url("/chat")),
        ],
    )
    .await
    .ok();
    // Every rule: each role, each person and each channel, for every
    // runbook and alert rule.
    let editor = app.session_of("editor@demo.muster").await;
    let routing: app::reach::Routing =
        serde_json::from_str(&app.post_as(&editor, "/api/routing", "").await.ok().body)
            .expect("routing");
    for (scope, _) in &routing.scopes {
        for (target, _) in routing
            .targets
            .iter()
            .take(app::reach::MAX_RULES_EACH as usize)
        {
            app.post_as(
                &editor,
                "/api/routing/add",
                &form(&[("scope", scope), ("target", target), ("minutes", "1")]),
            )
            .await
            .ok();
        }
    }
    let rules = one(&app, "SELECT COUNT(*) FROM reach_rules").await;
    assert!(rules >= 20, "{rules} rules");
    let page = app.get_as(&editor, "/routing").await.ok().body;
    assert!(page.contains(r#"id="routing-rules""#), "{page}");

    // A drill of a scenario whose runbook has rules.
    let scenario = one(
        &app,
        "SELECT id FROM plans WHERE kind = 'scenario' AND title LIKE 'Checkout down%'",
    )
    .await;
    app.post_as(
        &editor,
        "/api/drills/plan",
        &form(&[
            ("scenario", &scenario.to_string()),
            ("scheduled_for", ""),
            ("start", "10x"),
        ]),
    )
    .await
    .ok();
    let drill = one(
        &app,
        "SELECT MAX(id) FROM incidents WHERE drill_run_id IS NOT NULL",
    )
    .await;
    let sender = Sender::new(app.auth.secret_key.clone(), app.state.outbound.clone());
    let place = Place {
        environment: Environment::Production,
        public_url: support::ORIGIN,
    };
    for minutes in [0, 2, 10, 60] {
        let at = clock.now() + chrono::Duration::minutes(minutes);
        escalate_due(&app.state.db, &place, at)
            .await
            .expect("escalate");
        assert_eq!(sender.run_due(&app.state.db, at).await.expect("send"), 0);
    }
    assert!(
        sink.received().is_empty() && receiver.received().is_empty(),
        "a drill reaches nobody"
    );
    let said = timeline(&app, drill).await;
    assert!(
        !said.is_empty()
            && said.iter().all(|t| t.starts_with("Would have")
                || t.starts_with("Could not")
                || t.starts_with("Nobody")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|t| t.contains("(not sent: a drill)")),
        "{said:?}"
    );
    assert_eq!(
        one(
            &app,
            &format!(
                "SELECT COUNT(*) FROM outbox WHERE incident_id = {drill} AND state != 'withheld'"
            )
        )
        .await,
        0
    );

    // The same rules on a real incident reach people: the test can fail.
    let runbook = one(
        &app,
        "SELECT id FROM plans WHERE kind = 'runbook' ORDER BY id LIMIT 1",
    )
    .await;
    let responder = app.session_of("responder@demo.muster").await;
    declare(
        &app,
        &responder,
        ("Real one", "sev2", ""),
        &runbook.to_string(),
    )
    .await;
    sender
        .run_due(&app.state.db, clock.now())
        .await
        .expect("send");
    assert!(!sink.received().is_empty() && !receiver.received().is_empty());
}

/// A webhook channel for customers, "status-page", to a receiver of its
/// own, added by the admin.
async fn status_page(app: &TestApp, admin: &str) -> Receiver {
    let receiver = Receiver::start().await;
    add_channel(
        app,
        admin,
        &[
            ("name", "status-page"),
            ("kind", "webhook"),
            ("preset", "standard"),
            ("address", &receiver.url("/status")),
            ("for_customers", "on"),
        ],
    )
    .await
    .ok();
    receiver
}

/// Internal calls never reach customers: a customer channel is refused as
/// a routing rule's target, a rule that names one anyway (saved before the
/// check) posts nothing, and the sender refuses a call queued for one.
#[tokio::test]
async fn a_customer_channel_is_never_sent_a_call() {
    let clock = support::manual_clock();
    let app = demo_at(&clock).await;
    let admin = app.session_of("admin@demo.muster").await;
    let receiver = status_page(&app, &admin).await;
    let channel = one(&app, "SELECT id FROM channels WHERE name = 'status-page'").await;
    let runbook = one(
        &app,
        "SELECT id FROM plans WHERE kind = 'runbook' ORDER BY id LIMIT 1",
    )
    .await;
    let editor = app.session_of("editor@demo.muster").await;
    let refused = route_to_channel(&app, &editor, runbook, channel).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("only approved notices"),
        "{}",
        refused.body
    );
    assert_eq!(one(&app, "SELECT COUNT(*) FROM reach_rules").await, 0);

    // A rule stored anyway: declaring posts nothing to the channel.
    sqlx::query(
        "INSERT INTO reach_rules (runbook_id, target, target_id, escalate_minutes, created_at) \
         VALUES (?, 'channel', ?, 5, ?)",
    )
    .bind(runbook)
    .bind(channel)
    .bind(clock.now())
    .execute(&app.state.db.write)
    .await
    .expect("rule");
    let responder = app.session_of("responder@demo.muster").await;
    let incident = declare(
        &app,
        &responder,
        ("Checkout down", "sev1", ""),
        &runbook.to_string(),
    )
    .await;
    assert!(timeline(&app, incident).await.contains(
        &"Did not post to status-page: a channel for customers receives only approved notices."
            .to_owned()
    ));
    let queued =
        format!("SELECT COUNT(*) FROM outbox WHERE channel_id = {channel} AND purpose != 'notice'");
    assert_eq!(one(&app, &queued).await, 0, "nothing queued for it");

    // A call queued for it by any other path is refused when sent.
    sqlx::query(
        "INSERT INTO outbox (channel_id, incident_id, purpose, recipient, subject, body, link, key, state, note, \
         attempts, next_at, created_at) VALUES (?, ?, 'call', '', 'x', 'y', 'http://127.0.0.1:3000/incidents/1', \
         'msg_test', 'pending', '', 0, ?, ?)",
    )
    .bind(channel)
    .bind(incident)
    .bind(clock.now())
    .bind(clock.now())
    .execute(&app.state.db.write)
    .await
    .expect("queued");
    let sender = Sender::new(app.auth.secret_key.clone(), app.state.outbound.clone());
    sender
        .run_due(&app.state.db, clock.now())
        .await
        .expect("send");
    assert!(
        receiver.received().is_empty(),
        "the customer channel heard nothing"
    );
    let (state, answer): (String, String) =
        sqlx::query_as("SELECT state, answer FROM outbox WHERE key = 'msg_test'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("row");
    assert_eq!(state, "failed");
    assert!(answer.contains("only approved notices"), "{answer}");
}

#[tokio::test]
async fn a_published_notice_goes_to_the_customer_channels_and_their_answer_is_on_the_timeline() {
    let clock = support::manual_clock();
    let app = demo_at(&clock).await;
    let admin = app.session_of("admin@demo.muster").await;
    let receiver = status_page(&app, &admin).await;
    // A second customer channel, a Teams webhook, refuses (404).
    add_channel(
        &app,
        &admin,
        &[
            ("name", "status-mirror"),
            ("kind", "webhook"),
            ("preset", "teams"),
            ("address", &receiver.url("/mirror")),
            ("for_customers", "on"),
        ],
    )
    .await
    .ok();
    let page = app
        .get_as(&admin, "/admin/channels/status-page")
        .await
        .ok()
        .body;
    let at = page
        .find(r#"id="new-secret">"#)
        .unwrap_or_else(|| panic!("{page}"))
        + r#"id="new-secret">"#.len();
    let secret: String = page[at..].chars().take_while(|c| *c != '<').collect();
    receiver.expect(&secret, clock.now().timestamp());

    let responder = app.session_of("responder@demo.muster").await;
    let incident = declare(
        &app,
        &responder,
        (
            "Checkout down",
            "sev2",
            "Card payments fail for some customers",
        ),
        "",
    )
    .await;
    let template = one(
        &app,
        "SELECT id FROM plans WHERE kind = 'template' AND approved = 1 ORDER BY id LIMIT 1",
    )
    .await;
    app.post_as(
        &responder,
        "/api/incidents/notice/draft",
        &form(&[
            ("id", &incident.to_string()),
            ("template", &template.to_string()),
            ("values[company_name]", "Example Ltd"),
            ("values[affected_services]", "Checkout"),
            ("values[workaround]", "None yet"),
            ("next_update_minutes", "30"),
        ]),
    )
    .await
    .ok();
    let notice = one(
        &app,
        &format!("SELECT MAX(id) FROM incident_notices WHERE incident_id = {incident}"),
    )
    .await;
    let action = format!("id={incident}&notice={notice}");
    let editor = app.session_of("editor@demo.muster").await;
    app.post_as(&editor, "/api/incidents/notice/approve", &action)
        .await
        .ok();
    assert_eq!(receiver.received().len(), 0, "approving sends nothing");
    app.post_as(&responder, "/api/incidents/notice/publish", &action)
        .await
        .ok();
    assert!(timeline(&app, incident)
        .await
        .contains(&"Sending the notice to status-page.".to_owned()));
    // The outbox goes oldest first: the mirror (first by name) gets the 404.
    receiver.answer(&[404]);
    Sender::new(app.auth.secret_key.clone(), app.state.outbound.clone())
        .run_due(&app.state.db, clock.now())
        .await
        .expect("send");
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    let mirror = got
        .iter()
        .find(|d| d.path == "/mirror")
        .expect("the mirror");
    let teams: serde_json::Value = serde_json::from_str(&mirror.body).expect("json");
    assert_eq!(
        teams["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let status = got
        .iter()
        .find(|d| d.path == "/status")
        .expect("the status page");
    assert!(status.verified, "signed");
    let body: serde_json::Value = serde_json::from_str(&status.body).expect("json");
    assert_eq!(body["type"], "muster.notice");
    let subject: (String,) = sqlx::query_as("SELECT subject FROM incident_notices WHERE id = ?")
        .bind(notice)
        .fetch_one(&app.state.db.read)
        .await
        .expect("notice");
    assert_eq!(body["data"]["subject"], subject.0.as_str());
    assert!(
        body["data"]["link"].is_null(),
        "customers get no link into Muster"
    );
    let said = timeline(&app, incident).await;
    assert!(
        said.contains(&"The notice reached status-page: HTTP 200".to_owned()),
        "{said:?}"
    );
    assert!(
        said.contains(&"The notice could not be delivered to status-mirror: HTTP 404".to_owned()),
        "{said:?}"
    );
    // The refusal warns on the incident's page and on the channels page.
    let page = app
        .get_as(&responder, &format!("/incidents/{incident}"))
        .await
        .ok()
        .body;
    assert!(
        page.contains(r#"id="delivery-warning""#) && page.contains("status-mirror: HTTP 404"),
        "{page}"
    );
    let channels = app.get_as(&admin, "/admin/channels").await.ok().body;
    assert!(channels.contains(r#"id="channels-warning""#));
    let log = app
        .get_as(&admin, "/admin/channels/status-mirror")
        .await
        .ok()
        .body;
    assert!(
        log.contains(r#"id="delivery-log""#) && log.contains(r#"data-outcome="failed""#),
        "{log}"
    );
}
