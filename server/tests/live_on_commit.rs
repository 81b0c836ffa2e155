//! Live on commit: whichever domain writes to a timeline (incidents,
//! reaching people, drills), an open page's stream hears of each commit
//! once, at the revision it made. After every change the next message on
//! the stream must be that change's revision: a change nobody told would
//! leave the stream silent (and `next` would give up), and one told twice
//! would show the older revision first.
mod support;

use app::{
    clock::TimeSource,
    environment::Environment,
    reach::{route::escalate_due, sender::Sender, Place},
    timeline::Subject,
};
use support::{
    form,
    reach::{ack_key, people_mail, SmtpSink},
    spawn_app, Events, TestApp,
};

async fn one(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

/// The revision a stream message names: a bare number, or a change (JSON
/// with its `revision`).
fn revision_of(message: &str) -> i64 {
    message.parse().unwrap_or_else(|_| {
        let change: serde_json::Value = serde_json::from_str(message).expect("a change");
        change["revision"].as_i64().expect("the change's revision")
    })
}

/// An open page's stream, and the newest revision it was told.
struct Page {
    stream: Events,
    last: i64,
}

impl Page {
    async fn open(app: &TestApp, cookie: &str, path: &str) -> Page {
        let mut stream = Events::open(app, cookie, path).await.expect("open");
        let first = stream.next().await.expect("the current revision");
        Page {
            stream,
            last: revision_of(&first),
        }
    }

    /// Reads what the stream says until it reaches the subject's revision
    /// now: each message newer than the one before (an older or equal one
    /// was told twice), and `commits` of them when the change is known to
    /// be that many commits.
    async fn told(
        &mut self,
        app: &TestApp,
        what: &str,
        revision_sql: &str,
        commits: Option<usize>,
    ) {
        let now = one(app, revision_sql).await;
        assert!(now > self.last, "{what}: the change made no new revision");
        let mut heard = 0;
        while self.last < now {
            // Bounded, so a change nobody told fails here instead of hanging.
            let message =
                tokio::time::timeout(std::time::Duration::from_secs(30), self.stream.next())
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| {
                        panic!("{what}: the open page was never told of revision {now}")
                    });
            let revision = revision_of(&message);
            assert!(
                revision > self.last,
                "{what}: revision {revision} told again after {}",
                self.last
            );
            self.last = revision;
            heard += 1;
        }
        assert_eq!(
            self.last, now,
            "{what}: told a revision that was never made"
        );
        if let Some(commits) = commits {
            assert_eq!(heard, commits, "{what}: one message a commit");
        }
    }
}

#[tokio::test]
async fn every_kind_of_entry_reaches_an_open_incident_page_once() {
    let clock = support::manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await;
    let sink = SmtpSink::start().await;
    let admin = app.session_of("admin@demo.muster").await;
    people_mail(&app, &admin, sink.port).await;
    let rae = app.session_of("responder@demo.muster").await;
    let runbook = one(
        &app,
        "SELECT id FROM plans WHERE kind = 'runbook' ORDER BY id LIMIT 1",
    )
    .await;
    app.post_as(
        &rae,
        "/api/incidents/declare",
        &form(&[
            ("title", "Checkout down"),
            ("severity", "sev1"),
            ("impact", "Card payments fail for some customers"),
            ("runbook", &runbook.to_string()),
        ]),
    )
    .await
    .ok();
    let incident = one(
        &app,
        "SELECT MAX(id) FROM incidents WHERE drill_run_id IS NULL",
    )
    .await;
    let revision = format!("SELECT revision FROM incidents WHERE id = {incident}");
    let viewer = app.session_of("viewer@demo.muster").await;
    let mut stream = Page::open(&app, &viewer, &format!("/incidents/{incident}/live")).await;
    assert_eq!(stream.last, one(&app, &revision).await);
    let id = incident.to_string();

    // A note, a step, a role (a handoff, which also calls the new holder:
    // one commit, one message), a notice.
    app.post_as(
        &rae,
        "/api/incidents/note",
        &form(&[
            ("id", &id),
            ("text", "Stripe confirms"),
            ("happened_at", ""),
            ("corrects", ""),
        ]),
    )
    .await
    .ok();
    stream.told(&app, "a note", &revision, Some(1)).await;
    app.post_as(
        &rae,
        "/api/incidents/step",
        &form(&[("id", &id), ("step", "1"), ("done", "true")]),
    )
    .await
    .ok();
    stream.told(&app, "a step", &revision, Some(1)).await;
    let comms = one(
        &app,
        "SELECT id FROM incident_roles WHERE name = 'Communications Lead'",
    )
    .await;
    // Declaring gave the role to its roster's first choice: hand it over.
    let rae_person = one(&app, "SELECT id FROM people WHERE name = 'Rae Responder'").await;
    app.post_as(
        &rae,
        "/api/incidents/role",
        &form(&[
            ("id", &id),
            ("role_id", &comms.to_string()),
            ("person_id", &rae_person.to_string()),
        ]),
    )
    .await
    .ok();
    stream
        .told(&app, "a role and its call", &revision, Some(1))
        .await;
    let template = one(
        &app,
        "SELECT id FROM plans WHERE kind = 'template' AND approved = 1 ORDER BY id LIMIT 1",
    )
    .await;
    app.post_as(
        &rae,
        "/api/incidents/notice/draft",
        &form(&[
            ("id", &id),
            ("template", &template.to_string()),
            ("values[company_name]", "Example Ltd"),
            ("values[affected_services]", "Checkout"),
            ("values[workaround]", "None yet"),
            ("next_update_minutes", "30"),
        ]),
    )
    .await
    .ok();
    stream.told(&app, "a notice", &revision, Some(1)).await;

    // Reaching people writes from its own domain: the sender's delivery
    // lines, an escalation nobody answered, an acknowledgement.
    let sender = Sender::new(app.auth.secret_key.clone(), app.state.outbound.clone());
    let start = clock.now();
    let before = one(&app, &revision).await;
    sender.run_due(&app.state.db, start).await.expect("send");
    if one(&app, &revision).await > before {
        stream.told(&app, "a delivery", &revision, None).await;
    }
    clock.set(start + chrono::Duration::minutes(5));
    let place = Place {
        environment: Environment::Production,
        public_url: support::ORIGIN,
    };
    let escalated = escalate_due(&app.state.db, &place, clock.now())
        .await
        .expect("escalate");
    assert!(escalated >= 1, "the commander's call went unanswered");
    stream.told(&app, "an escalation", &revision, None).await;
    let before = one(&app, &revision).await;
    sender
        .run_due(&app.state.db, clock.now())
        .await
        .expect("send");
    if one(&app, &revision).await > before {
        stream.told(&app, "a delivery", &revision, None).await;
    }
    let mail = sink.received().pop().expect("the backup's call");
    let acked = app
        .post_form(
            "/api/calls/acknowledge",
            &form(&[("key", &ack_key(&mail.text))]),
        )
        .await;
    assert!(acked.status.is_success(), "{}", acked.body);
    stream
        .told(&app, "an acknowledgement", &revision, Some(1))
        .await;

    // Nothing more was sent for any of them: the next message is the
    // next change's.
    app.post_as(
        &rae,
        "/api/incidents/note",
        &form(&[
            ("id", &id),
            ("text", "Last"),
            ("happened_at", ""),
            ("corrects", ""),
        ]),
    )
    .await
    .ok();
    stream
        .told(&app, "the closing note", &revision, Some(1))
        .await;
}

#[tokio::test]
async fn a_drill_runs_injects_and_responses_reach_its_open_page_once() {
    let clock = support::manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await;
    let editor = app.session_of("editor@demo.muster").await;
    let rae = app.session_of("responder@demo.muster").await;
    let scenario = one(
        &app,
        "SELECT id FROM plans WHERE kind = 'scenario' AND title LIKE 'Checkout down%'",
    )
    .await;
    let commander = one(
        &app,
        "SELECT id FROM incident_roles WHERE name = 'Incident Commander'",
    )
    .await;
    let rae_person = one(&app, "SELECT id FROM people WHERE name = 'Rae Responder'").await;
    app.post_as(
        &editor,
        "/api/drills/plan",
        &form(&[
            ("scenario", &scenario.to_string()),
            (&format!("players[{commander}]"), &rae_person.to_string()),
            ("scheduled_for", ""),
            ("start", "10x"),
        ]),
    )
    .await
    .ok();
    let run = one(&app, "SELECT MAX(id) FROM drill_runs").await;
    let run_revision = format!("SELECT revision FROM drill_runs WHERE id = {run}");
    let incident = one(
        &app,
        &format!("SELECT incident_id FROM drill_runs WHERE id = {run}"),
    )
    .await;
    let incident_revision = format!("SELECT revision FROM incidents WHERE id = {incident}");
    let mut record = Page::open(&app, &editor, &format!("/drills/runs/{run}/live")).await;
    let mut page = Page::open(&app, &rae, &format!("/incidents/{incident}/live")).await;
    // A commit's message can reach the hub after the stream read the
    // revision it made (the writer tells the hub as it is handed back):
    // the stream must not tell that revision a second time.
    app.state
        .live
        .changed(Subject::DrillRun(run), record.last, None);
    app.state
        .live
        .changed(Subject::Incident(incident), page.last, None);

    // The facilitator releases an inject early: one commit on the run's
    // record, one message (the drive that follows releases nothing more).
    app.post_as(
        &editor,
        "/api/drills/release",
        &form(&[("id", &run.to_string()), ("inject", "4")]),
    )
    .await
    .ok();
    record.told(&app, "an inject", &run_revision, Some(1)).await;

    // A player responds on the drill incident: its page hears it once.
    app.post_as(
        &rae,
        "/api/incidents/note",
        &form(&[
            ("id", &incident.to_string()),
            ("text", "Failing over to the backup provider"),
            ("happened_at", ""),
            ("corrects", ""),
        ]),
    )
    .await
    .ok();
    page.told(&app, "a player's response", &incident_revision, Some(1))
        .await;

    // The facilitator judges the response: once on the run's record.
    app.post_as(
        &editor,
        "/api/drills/judge",
        &form(&[
            ("id", &run.to_string()),
            ("inject", "4"),
            ("expectation", "1"),
            ("verdict", "met"),
            ("comment", "Recovery confirmed"),
        ]),
    )
    .await
    .ok();
    record
        .told(&app, "a judgment", &run_revision, Some(1))
        .await;
    app.post_as(
        &editor,
        "/api/drills/clock",
        &form(&[("id", &run.to_string()), ("change", "pause"), ("speed", "")]),
    )
    .await
    .ok();
    record
        .told(&app, "the clock paused", &run_revision, Some(1))
        .await;
}
