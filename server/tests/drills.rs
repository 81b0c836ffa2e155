//! Drill runs on a real SQLite file, driven by a clock the test moves:
//! injects release once each at their virtual time through pauses, speed
//! changes and a restart; participants' actions on the drill incident are
//! stamped in virtual time and meet expectations; the score comes with
//! its coverage; drill incidents stay out of the real incident list.
mod support;

use app::{
    auth::Role,
    clock::TimeSource,
    drills::{
        db::{self as runs, ClockChange, NewRun},
        run::advance,
        score::{Score, Verdict},
    },
    environment::Environment,
    timeline::{self, Kind as EntryKind, Subject},
};
use chrono::Duration;
use support::{form, manual_clock, spawn_app, Events};

async fn one<T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>>(
    pool: &sqlx::SqlitePool,
    sql: &str,
) -> T {
    sqlx::query_as(sql).fetch_one(pool).await.expect(sql)
}

/// The demo data in a sandbox whose time the test moves.
async fn demo_on(clock: &std::sync::Arc<app::clock::ManualTime>) -> support::TestApp {
    spawn_app(Environment::Sandbox)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await
}

#[tokio::test]
async fn a_drill_releases_each_inject_once_at_its_virtual_time_and_scores_with_coverage() {
    let clock = manual_clock();
    let mut app = demo_on(&clock).await.signed_in_as(Role::Responder).await;
    let (scenario,): (i64,) = one(
        &app.state.db.read,
        "SELECT id FROM plans WHERE kind = 'scenario' AND title LIKE 'Checkout down%'",
    )
    .await;
    let (facilitator,): (i64,) = one(
        &app.state.db.read,
        "SELECT id FROM users WHERE email = 'admin@demo.muster'",
    )
    .await;
    let players: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.id, (SELECT MIN(id) FROM people) FROM incident_roles r WHERE r.name = 'Incident Commander'",
    )
    .fetch_all(&app.state.db.read)
    .await
    .expect("players");
    let t0 = clock.now();
    let run = {
        let mut tx = app.state.db.write.begin().await.expect("tx");
        let run = runs::create(
            &mut tx,
            &NewRun {
                scenario_id: scenario,
                facilitator_id: facilitator,
                facilitator: "Ada Admin",
                players: &players,
                scheduled_for: None,
                author: "Ada Admin",
                at: t0,
            },
        )
        .await
        .expect("create");
        let stored = runs::get(&mut tx, run).await.expect("get").expect("run");
        let place = app::reach::Place {
            environment: Environment::Sandbox,
            public_url: support::ORIGIN,
        };
        runs::start(&mut tx, &stored, t0, 1000, "Ada Admin", &place)
            .await
            .expect("start");
        tx.commit().await.expect("commit");
        run
    };
    // One step of the drill clock at the test's time: what it released.
    let step = |app: &support::TestApp| {
        let pool = app.state.db.write.clone();
        let now = clock.now();
        async move {
            let mut tx = pool.begin().await.expect("tx");
            let done = advance(&mut tx, run, now).await.expect("advance");
            tx.commit().await.expect("commit");
            done
        }
    };
    let change = |app: &support::TestApp, change: ClockChange| {
        let pool = app.state.db.write.clone();
        let now = clock.now();
        async move {
            let mut tx = pool.begin().await.expect("tx");
            let stored = runs::get(&mut tx, run).await.expect("get").expect("run");
            let changed = runs::change_clock(&mut tx, &stored, change, now, "Ada Admin")
                .await
                .expect("change");
            tx.commit().await.expect("commit");
            changed
        }
    };

    let first = step(&app).await;
    assert_eq!(first.released, [1], "the first inject is due at the start");
    assert_eq!(
        first.judged,
        [(1, 1, Verdict::Met)],
        "the commander was a player from the start"
    );
    assert_eq!(
        first.next,
        Some(t0 + Duration::seconds(30)),
        "10x: the 5-minute inject is 30 real seconds away"
    );

    clock.advance(Duration::seconds(20));
    assert!(
        step(&app).await.released.is_empty(),
        "3:20 of virtual time: nothing due"
    );
    assert!(change(&app, ClockChange::Pause).await);
    assert!(
        !change(&app, ClockChange::Pause).await,
        "pausing twice changes nothing"
    );
    clock.advance(Duration::minutes(10));
    let paused = step(&app).await;
    assert!(paused.released.is_empty(), "paused: nothing is released");
    assert_eq!(paused.next, None, "paused: nothing falls due");

    assert!(change(&app, ClockChange::Resume).await);
    clock.advance(Duration::seconds(10));
    assert_eq!(
        step(&app).await.released,
        [2],
        "due at 5:00, after 20 s + 10 s at 10x"
    );
    assert!(step(&app).await.released.is_empty(), "never twice");

    assert!(change(&app, ClockChange::Speed(50)).await);
    // The server restarts: everything comes back from the database file.
    app.state.db.clone().close().await;
    let reopened = server::db::open(&app.db_path).await.expect("reopen");
    app.state.db = reopened.db;
    let app = app.rebuilt();
    // At 0.5x the 12:00 inject is 7 virtual minutes, 14 real ones, away.
    clock.advance(Duration::minutes(14) - Duration::seconds(1));
    assert!(step(&app).await.released.is_empty(), "not a moment early");
    clock.advance(Duration::seconds(1));
    assert_eq!(step(&app).await.released, [3]);

    // A player stops the retry storm (runbook step 4) a virtual 30 s later;
    // the drill incident records it in virtual time.
    let (incident,): (i64,) = one(
        &app.state.db.read,
        &format!("SELECT incident_id FROM drill_runs WHERE id = {run}"),
    )
    .await;
    clock.advance(Duration::minutes(1));
    app.post_form(
        "/api/incidents/step",
        &form(&[
            ("id", &incident.to_string()),
            ("step", "4"),
            ("done", "true"),
        ]),
    )
    .await
    .ok();
    let mut conn = app.state.db.read.acquire().await.expect("conn");
    let done = timeline::db::of_kinds(
        &mut conn,
        Subject::Incident(incident),
        &[EntryKind::StepDone],
    )
    .await
    .expect("entries");
    drop(conn);
    assert_eq!(
        done[0].at,
        t0 + Duration::seconds(12 * 60 + 30),
        "stamped 12:30 into the drill, not at the real time"
    );
    assert!(step(&app).await.judged.contains(&(3, 1, Verdict::Met)));

    assert!(
        change(&app, ClockChange::Next).await,
        "jump to the 30:00 inject"
    );
    let jumped = step(&app).await;
    assert_eq!(jumped.released, [4]);
    assert!(
        jumped.judged.contains(&(2, 1, Verdict::Missed)),
        "no notice by 20:00"
    );
    assert!(
        jumped.judged.contains(&(3, 2, Verdict::Missed)),
        "no decision by 27:00"
    );
    assert!(change(&app, ClockChange::End).await);
    assert!(
        step(&app).await.judged.is_empty(),
        "the manual one waits for the facilitator"
    );

    let mut conn = app.state.db.read.acquire().await.expect("conn");
    let released = runs::released(&mut conn, run).await.expect("released");
    let minutes: Vec<i64> = released
        .iter()
        .map(|r| (r.released_at - t0).num_seconds())
        .collect();
    assert_eq!(minutes, [0, 300, 720, 1800], "each at its own virtual time");
    let stored = runs::get(&mut conn, run).await.expect("get").expect("run");
    let scenario = runs::scenario(&mut conn, &stored).await.expect("scenario");
    let judged = runs::judgments(&mut conn, run).await.expect("judgments");
    let verdicts = scenario.expectations().map(|(i, e)| {
        judged
            .iter()
            .find(|j| j.inject_id == i.id && j.expectation_id == e.id)
            .map_or(Verdict::Pending, |j| j.state.0)
    });
    assert_eq!(
        Score::of(&scenario, verdicts).summary(),
        "50% (2 of 4 judged met) · 4 of 5 expectations judged · 4 of 4 injects had expectations"
    );
    let record = timeline::db::of_kinds(
        &mut conn,
        Subject::DrillRun(run),
        &[EntryKind::InjectReleased],
    )
    .await
    .expect("record");
    assert_eq!(record.len(), 4, "one release entry per inject");
    drop(conn);
    let listed = app::incidents::db::list(
        &mut app.state.db.read.acquire().await.expect("conn"),
        None,
        None,
        None,
        200,
    )
    .await
    .expect("list");
    assert!(
        listed.iter().all(|l| l.incident.id != incident),
        "a drill incident is kept out of the real incidents"
    );
}

#[tokio::test]
async fn a_facilitator_plans_and_drives_a_drill_while_each_player_sees_only_their_injects() {
    let clock = manual_clock();
    let app = demo_on(&clock).await;
    let editor = app.session_of("editor@demo.muster").await;
    let rae = app.session_of("responder@demo.muster").await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let id_of = |sql: &'static str| {
        let pool = app.state.db.read.clone();
        async move { one::<(i64,)>(&pool, sql).await.0 }
    };
    let scenario =
        id_of("SELECT id FROM plans WHERE kind = 'scenario' AND title LIKE 'Checkout down%'").await;
    let commander = id_of("SELECT id FROM incident_roles WHERE name = 'Incident Commander'").await;
    let comms = id_of("SELECT id FROM incident_roles WHERE name = 'Communications Lead'").await;
    let rae_person = id_of("SELECT id FROM people WHERE name = 'Rae Responder'").await;
    let priya = id_of("SELECT id FROM people WHERE name = 'Priya Shah'").await;
    let plan = form(&[
        ("scenario", &scenario.to_string()),
        (&format!("players[{commander}]"), &rae_person.to_string()),
        (&format!("players[{comms}]"), &priya.to_string()),
        ("scheduled_for", ""),
        ("start", "10x"),
    ]);
    let refused = app.post_as(&viewer, "/api/drills/plan", &plan).await;
    assert_eq!(refused.status, 403, "a viewer plans no drill");
    app.post_as(&editor, "/api/drills/plan", &plan).await.ok();
    let run = id_of("SELECT MAX(id) FROM drill_runs").await;
    let page = |cookie: &str| {
        let (app, cookie) = (&app, cookie.to_owned());
        async move {
            app.get_as(&cookie, &format!("/drills/runs/{run}"))
                .await
                .ok()
                .body
        }
    };

    let console = page(&editor).await;
    assert!(
        console.contains("running · 00:00 of 45:00 · 10x"),
        "{console}"
    );
    assert!(console.contains("Alert: checkout error rate 38%"));
    assert!(
        console.contains("Release now"),
        "upcoming injects can be released early"
    );
    assert!(console.contains("Communications Lead publishes an investigating notice"));
    let player = page(&rae).await;
    assert!(player.contains("You play Incident Commander."), "{player}");
    assert!(
        player.contains("Alert: checkout error rate 38%"),
        "for everyone, released"
    );
    assert!(
        !player.contains("Customer email"),
        "not released, and not for this role"
    );
    assert!(!player.contains("Release now") && !player.contains("drill-controls"));

    // A player's page follows the run's live stream: revisions only, since
    // what each player may see of a change depends on their roles.
    let live = format!("/drills/runs/{run}/live");
    assert_eq!(Events::open(&app, "", &live).await.err(), Some(401));
    let mut stream = Events::open(&app, &rae, &live).await.expect("open");
    let first: i64 = stream
        .next()
        .await
        .expect("revision")
        .parse()
        .expect("a number");

    // 30 real seconds at 10x: the comms lead's 5:00 inject is released.
    clock.advance(Duration::seconds(30));
    app::drills::run::tick(&app.state).await.expect("tick");
    let next = stream.next().await.expect("the release");
    assert!(
        next.parse::<i64>().expect("a bare revision") > first,
        "{next} after {first}"
    );
    let console = page(&editor).await;
    // The list as drawn, not the island's copy of the page's data.
    let (_, list) = console
        .split_once("id=\"injects\"")
        .expect("the inject list");
    let email = list
        .split("<li")
        .find(|li| li.contains("Customer email"))
        .expect("listed for the facilitator");
    assert!(
        email.contains("inject released") && email.contains("released 2026-"),
        "{email}"
    );
    assert!(
        !page(&rae).await.contains("Customer email"),
        "released, but only for the communications lead"
    );

    let drive = |cookie: &str, change: &str| {
        let body = form(&[("id", &run.to_string()), ("change", change), ("speed", "")]);
        let (app, cookie) = (&app, cookie.to_owned());
        async move { app.post_as(&cookie, "/api/drills/clock", &body).await }
    };
    assert_eq!(
        drive(&rae, "pause").await.status,
        403,
        "only the facilitator drives the clock"
    );
    drive(&editor, "pause").await.ok();
    assert!(page(&editor).await.contains("paused · 05:00 of 45:00"));
    let judge = |inject: &str, verdict: &str, comment: &str| {
        let body = form(&[
            ("id", &run.to_string()),
            ("inject", inject),
            ("expectation", "1"),
            ("verdict", verdict),
            ("comment", comment),
        ]);
        let app = &app;
        let editor = editor.clone();
        async move { app.post_as(&editor, "/api/drills/judge", &body).await }
    };
    assert_eq!(
        judge("4", "met", "").await.status,
        409,
        "not released: nothing to judge"
    );
    let release = form(&[("id", &run.to_string()), ("inject", "4")]);
    app.post_as(&editor, "/api/drills/release", &release)
        .await
        .ok();
    judge("4", "met", "Recovery confirmed on the dashboard")
        .await
        .ok();
    judge("2", "waived", "Comms lead was called away")
        .await
        .ok();
    let console = page(&editor).await;
    assert!(
        console.contains("released early") || console.contains("(early)"),
        "{console}"
    );
    assert!(console.contains("Recovery confirmed on the dashboard"));
    assert!(
        console.contains("100% (2 of 2 judged met) · 2 of 5 expectations judged · 4 of 4 injects had expectations"),
        "the commander (a player from the start) and the facilitator's one: {console}"
    );
    let (incident,): (i64,) = one(
        &app.state.db.read,
        &format!("SELECT incident_id FROM drill_runs WHERE id = {run}"),
    )
    .await;
    let incident_page = app
        .get_as(&rae, &format!("/incidents/{incident}"))
        .await
        .ok()
        .body;
    assert!(
        incident_page.contains("drill-banner"),
        "the drill incident says DRILL"
    );
    // While the drill is under way, what is still to come is hidden from
    // everyone but editors and its facilitator: the scenario, its versions
    // and their comparisons. The player's page does not point there.
    assert!(!page(&rae).await.contains("/drills/scenarios/"));
    for cookie in [&viewer, &rae] {
        let hidden = app
            .get_as(cookie, &format!("/drills/scenarios/{scenario}"))
            .await
            .body;
        assert!(
            hidden.contains("is being drilled") && !hidden.contains("Expect: Commander assigned"),
            "{hidden}"
        );
        let history = app
            .get_as(cookie, &format!("/drills/scenarios/{scenario}/history"))
            .await
            .body;
        assert!(history.contains("is being drilled"), "{history}");
        for (path, body) in [
            (
                "/api/drills/scenario",
                form(&[("id", &scenario.to_string())]),
            ),
            (
                "/api/plans/compare",
                form(&[
                    ("kind", "Scenario"),
                    ("id", &scenario.to_string()),
                    ("from", "1"),
                    ("to", "1"),
                ]),
            ),
        ] {
            let refused = app.post_as(cookie, path, &body).await;
            assert_eq!(refused.status, 409, "{path}: {}", refused.body);
        }
    }
    let scenario_page = app
        .get_as(&editor, &format!("/drills/scenarios/{scenario}"))
        .await
        .ok()
        .body;
    assert!(
        scenario_page.contains("Expect: Commander assigned within 5 minutes, within 5 min (recognised when someone holds Incident Commander)"),
        "{scenario_page}"
    );
    assert!(
        scenario_page.contains("<strong>PagerDuty</strong>"),
        "inject bodies are Markdown"
    );
    let history = app
        .get_as(&editor, &format!("/drills/scenarios/{scenario}/history"))
        .await
        .ok()
        .body;
    assert!(history.contains("Demo scenario"), "versioned like runbooks");
    let list = app.get_as(&viewer, "/drills").await.ok().body;
    assert!(list.contains(&format!("href=\"/drills/runs/{run}\"")) && list.contains("paused"));
    assert!(!app
        .get_as(&viewer, "/incidents")
        .await
        .ok()
        .body
        .contains(&format!("/incidents/{incident}\"")));
    // The report: the facilitator's at once, everyone's once it has ended.
    let early = app
        .post_as(
            &viewer,
            "/api/drills/report",
            &form(&[("id", &run.to_string())]),
        )
        .await;
    assert_eq!(
        early.status, 409,
        "no spoilers while the drill runs: {}",
        early.body
    );
    let notes = form(&[
        ("id", &run.to_string()),
        ("strengths", "The commander took charge at once."),
        ("improvements", "Publish the first notice sooner."),
    ]);
    assert_eq!(
        app.post_as(&rae, "/api/drills/report/notes", &notes)
            .await
            .status,
        403
    );
    app.post_as(&editor, "/api/drills/report/notes", &notes)
        .await
        .ok();
    let item = |due: &str| {
        form(&[
            ("id", &run.to_string()),
            ("text", "Pre-approve the investigating notice"),
            ("owner", &priya.to_string()),
            ("due_on", due),
        ])
    };
    let bad = app
        .post_as(&editor, "/api/drills/actions/add", &item("next week"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains(r#""field":"Due""#) && bad.body.contains("'next week' is not a date"),
        "{}",
        bad.body
    );
    app.post_as(&editor, "/api/drills/actions/add", &item("2026-12-15"))
        .await
        .ok();
    drive(&editor, "end").await.ok();
    let report = app
        .get_as(&viewer, &format!("/drills/runs/{run}/report"))
        .await
        .ok()
        .body;
    for shown in [
        "After-action report: Checkout down",
        "Time to commander: 0s",
        "Time to first notice: not reached",
        "The commander took charge at once.",
        "Pre-approve the investigating notice (owner: Priya Shah, due 2026-12-15)",
        "aria-label=\"The drill over 45m 00s: 3 injects released; expectations 2 met, 0 missed, 1 waived, 2 pending; 2 responses.\" class=\"timeline-chart\"",
        "class=\"span met\"",
        "class=\"span waived\"",
    ] {
        assert!(report.contains(shown), "{shown} in {report}");
    }
    assert!(
        !report.contains("Write the report"),
        "a viewer gets no forms"
    );
    let markdown = app
        .get_as(&viewer, &format!("/drills/runs/{run}/report.md"))
        .await
        .ok();
    assert!(markdown
        .headers
        .get("content-disposition")
        .is_some_and(|v| v.to_str().unwrap_or("").contains("drill-")));
    for line in [
        "# After-action report: Checkout down",
        "## Score",
        "- Time to commander: 0s",
        "| Customer email: my card was declined twice | Communications Lead publishes an investigating notice within 15 minutes | waived (Comms lead was called away) |",
        "- [ ] Pre-approve the investigating notice (owner: Priya Shah, due 2026-12-15)",
    ] {
        assert!(markdown.body.contains(line), "{line} in {}", markdown.body);
    }
    let (audited,): (i64,) = one(
        &app.state.db.read,
        "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'drill.%' AND outcome = 'allowed'",
    )
    .await;
    assert_eq!(
        audited, 8,
        "plan, pause, release, two judgments, the report's words, an action item, the end"
    );
}

#[tokio::test]
async fn the_demo_holds_one_completed_drill_with_its_report() {
    let app = demo_on(&manual_clock()).await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let (run,): (i64,) = one(
        &app.state.db.read,
        "SELECT id FROM drill_runs WHERE state = 'ended'",
    )
    .await;
    let report = app
        .get_as(&viewer, &format!("/drills/runs/{run}/report"))
        .await
        .ok()
        .body;
    for shown in [
        "After-action report: A webhook loop floods the order system",
        "67% (2 of 3 judged met) · 3 of 3 expectations judged · 3 of 3 injects had expectations",
        "Time to commander: 0s",
        "Checklist: 1 of 12 steps done",
        "Sam paused the source two minutes after the warehouse call",
        "Write and pre-approve a 'duplicate charges: investigating' notice (owner: Priya Shah",
    ] {
        assert!(report.contains(shown), "{shown} in {report}");
    }
    let incidents = app.get_as(&viewer, "/incidents").await.ok().body;
    assert!(
        !incidents.contains("DRILL:"),
        "the demo drill stays out of the incidents"
    );
}

#[tokio::test]
async fn an_editor_plans_a_drill_for_someone_else_to_facilitate() {
    let app = demo_on(&manual_clock()).await;
    let editor = app.session_of("editor@demo.muster").await;
    let rae = app.session_of("responder@demo.muster").await;
    let (scenario,): (i64,) = one(
        &app.state.db.read,
        "SELECT id FROM plans WHERE kind = 'scenario' AND title LIKE 'Checkout down%'",
    )
    .await;
    let plan = |facilitator: i64| {
        form(&[
            ("scenario", &scenario.to_string()),
            ("facilitator", &facilitator.to_string()),
            ("scheduled_for", "2026-12-03 14:00"),
            ("start", ""),
        ])
    };
    let viewer = app.user_id("viewer@demo.muster").await;
    let refused = app
        .post_as(&editor, "/api/drills/plan", &plan(viewer))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("Facilitator"), "{}", refused.body);
    let runs = app.count("SELECT COUNT(*) FROM drill_runs").await;

    let responder = app.user_id("responder@demo.muster").await;
    app.post_as(&editor, "/api/drills/plan", &plan(responder))
        .await
        .ok();
    assert_eq!(app.count("SELECT COUNT(*) FROM drill_runs").await, runs + 1);
    let (run, name): (i64, String) = one(
        &app.state.db.read,
        "SELECT id, facilitator FROM drill_runs ORDER BY id DESC LIMIT 1",
    )
    .await;
    assert_eq!(name, "Rae Responder");
    let start = |cookie: &str| {
        let body = form(&[
            ("id", &run.to_string()),
            ("change", "start"),
            ("speed", "5x"),
        ]);
        let (app, cookie) = (&app, cookie.to_owned());
        async move { app.post_as(&cookie, "/api/drills/clock", &body).await }
    };
    assert_eq!(
        start(&editor).await.status,
        403,
        "the planner does not drive it"
    );
    start(&rae).await.ok();
    let console = app
        .get_as(&rae, &format!("/drills/runs/{run}"))
        .await
        .ok()
        .body;
    assert!(
        console.contains("running · 00:00 of 45:00 · 5x"),
        "{console}"
    );
}

#[tokio::test]
async fn past_the_limit_of_drills_under_way_another_does_not_start() {
    let app = demo_on(&manual_clock()).await;
    let editor = app.session_of("editor@demo.muster").await;
    let (scenario,): (i64,) = one(
        &app.state.db.read,
        "SELECT id FROM plans WHERE kind = 'scenario' AND title LIKE 'Checkout down%'",
    )
    .await;
    let plan = form(&[
        ("scenario", &scenario.to_string()),
        ("scheduled_for", ""),
        ("start", "10x"),
    ]);
    for _ in 0..runs::MAX_LIVE {
        app.post_as(&editor, "/api/drills/plan", &plan).await.ok();
    }
    let before = app.count("SELECT COUNT(*) FROM drill_runs").await;
    let refused = app.post_as(&editor, "/api/drills/plan", &plan).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("at most 20 at once"),
        "{}",
        refused.body
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM drill_runs").await,
        before,
        "the refused plan left nothing behind"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM drill_runs WHERE state = 'running'")
            .await,
        runs::MAX_LIVE,
    );
}
