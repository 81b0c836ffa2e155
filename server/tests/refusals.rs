//! A flood of refused calls writes a bounded number of audit entries and
//! does not starve the writer: the real router on a real SQLite file, on a
//! clock the test moves. Every entry, counted or not, carries that clock's
//! time.
mod support;

use app::{auth::Role, clock::TimeSource, environment::Environment};
use std::{sync::Arc, time::Instant};
use support::{form, manual_clock, spawn_app, TestApp};

const FLOOD: usize = 10_000;

async fn audit_rows(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM audit_log")
        .fetch_one(&app.state.db.read)
        .await
        .expect("count");
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_refusals_write_a_bounded_number_of_entries_while_notes_still_save() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    let app = Arc::new(app.signed_in_as(Role::Responder).await);
    let responder = app.cookie.clone().expect("signed in");
    let before = audit_rows(&app).await;

    // Eight anonymous callers share the flood.
    let mut flood = Vec::new();
    for worker in 0..8 {
        let app = app.clone();
        flood.push(tokio::spawn(async move {
            for _ in (worker..FLOOD).step_by(8) {
                let res = app
                    .send(
                        axum::http::Request::post("/api/notes/add")
                            .header("content-type", "application/x-www-form-urlencoded")
                            .header("origin", support::ORIGIN)
                            .header("cookie", "")
                            .body(axum::body::Body::from("body=let+me+in"))
                            .expect("request"),
                    )
                    .await;
                assert_eq!(res.status, 401);
            }
        }));
    }
    // Meanwhile a responder keeps writing.
    let mut latencies = Vec::new();
    for n in 0..20 {
        let started = Instant::now();
        (app.post_as(
            &responder,
            "/api/notes/add",
            &form(&[("body", &format!("Still failing {n}"))]),
        )
        .await)
            .ok();
        latencies.push(started.elapsed());
    }
    for worker in flood {
        worker.await.expect("flood");
    }
    latencies.sort();
    println!(
        "notes during a flood of {FLOOD} refused calls: p50 {:.1} ms, max {:.1} ms",
        latencies[latencies.len() / 2].as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3
    );
    let (notes,): (i64,) = sqlx::query_as("SELECT count(*) FROM notes")
        .fetch_one(&app.state.db.read)
        .await
        .expect("count");
    assert_eq!(notes, 20, "every note was saved");

    // The 20 notes are 20 entries; the flood is one.
    let written = audit_rows(&app).await - before;
    assert_eq!(written, 20 + 1, "one entry for the flood, one per note");

    // When its window has passed, one more entry says how many there were.
    clock.advance(app::audit::refusals::WINDOW);
    app::audit::record_due_refusals(&app.state.db, &app.auth.refusals, clock.now())
        .await
        .expect("summed up");
    let (reason,): (String,) =
        sqlx::query_as("SELECT reason FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.state.db.read)
            .await
            .expect("summary");
    assert!(
        reason.starts_with(&format!("not signed in (repeated {} more times", FLOOD - 1)),
        "{reason}"
    );
    assert_eq!(audit_rows(&app).await - before, 20 + 2);
}

/// The `at` of the newest entry with this action, as stored.
async fn stamped(app: &TestApp, action: &str) -> String {
    let (at,): (String,) =
        sqlx::query_as("SELECT at FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1")
            .bind(action)
            .fetch_one(&app.state.db.read)
            .await
            .expect("an entry");
    at
}

#[tokio::test]
async fn audit_entries_are_stamped_with_the_apps_clock_not_the_real_time() {
    use chrono::{DateTime, Duration, SecondsFormat, Utc};
    let clock = manual_clock();
    // An odd moment of the test's November night, to the microsecond.
    clock.advance(Duration::microseconds(4_321_012_345));
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    let responder = app.session_for(Role::Responder).await;
    let real_before = Utc::now();

    // A change, recorded in its own transaction.
    app.post_as(&responder, "/api/notes/add", &form(&[("body", "On time")]))
        .await
        .ok();
    let at = stamped(&app, "note.add").await;
    assert_eq!(at, "2026-11-28T04:12:01.012345Z");
    assert_eq!(at, clock.now().to_rfc3339_opts(SecondsFormat::Micros, true));

    // A refusal, through the counter: the first is written at once.
    clock.advance(Duration::seconds(5));
    for _ in 0..3 {
        let refused = app
            .post_form("/api/notes/add", &form(&[("body", "let me in")]))
            .await;
        assert_eq!(refused.status, 401);
    }
    assert_eq!(
        stamped(&app, "access.denied").await,
        "2026-11-28T04:12:06.012345Z"
    );
    // The summary, once its window has passed, takes the time it is made.
    clock.advance(app::audit::refusals::WINDOW + Duration::seconds(1));
    app::audit::record_due_refusals(&app.state.db, &app.auth.refusals, clock.now())
        .await
        .expect("summed up");
    assert_eq!(
        stamped(&app, "access.denied").await,
        "2026-11-28T04:13:07.012345Z"
    );

    // None of them carries the real time.
    let real_after = Utc::now();
    let (times,): (String,) = sqlx::query_as("SELECT group_concat(at, ' ') FROM audit_log")
        .fetch_one(&app.state.db.read)
        .await
        .expect("times");
    for at in times.split(' ') {
        let at: DateTime<Utc> = at.parse().expect("a time");
        assert!(
            at < real_before - Duration::minutes(1) || at > real_after + Duration::minutes(1),
            "{at} is the real time"
        );
    }
}
