//! The events pages through the real router on a real SQLite file: the
//! upload and its report, search with filters and paging by key, an
//! event in full, linking to an incident (its timeline, live hub and
//! audit log), suggested evidence, and retention.
mod support;

use app::{auth::Role, environment::Environment};
use axum::{body::Body, http::Request};
use std::path::{Path, PathBuf};
use support::{form, search, spawn_app, Answer, TestApp, ORIGIN};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/events")
        .join(name)
}

/// A multipart form as a browser sends it.
async fn upload(
    app: &TestApp,
    cookie: &str,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
) -> Answer {
    let boundary = "----muster-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend(file.1);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.send(
        Request::post("/event-files")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("origin", ORIGIN)
            .header("cookie", cookie)
            .body(Body::from(body))
            .expect("request"),
    )
    .await
}

fn location(res: &Answer) -> String {
    res.headers
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Waits for an import to end (it runs in the background); its state.
async fn ended(app: &TestApp, id: i64) -> String {
    for _ in 0..2000 {
        let (state,): (String,) = sqlx::query_as("SELECT state FROM event_imports WHERE id = ?")
            .bind(id)
            .fetch_one(&app.state.db.read)
            .await
            .expect("import");
        if state != "running" {
            return state;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("import {id} never ended")
}

async fn uploaded(
    app: &TestApp,
    cookie: &str,
    fields: &[(&str, &str)],
    name: &str,
    bytes: &[u8],
) -> i64 {
    let res = upload(app, cookie, fields, (name, bytes)).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let to = location(&res);
    let id: i64 = to
        .strip_prefix("/imports/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("to the report: {to}"));
    ended(app, id).await;
    id
}

/// The ids of the event rows a page shows, in order.
fn rows(body: &str) -> Vec<i64> {
    body.split("data-event=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn the_page_imports_a_file_and_reports_what_it_kept_and_refused() {
    let app = spawn_app(Environment::Production).await;
    let editor = app.session_for(Role::Editor).await;
    let viewer = app.session_for(Role::Viewer).await;
    let stripe = std::fs::read(fixture("stripe/events.json")).expect("fixture");

    let res = upload(&app, &viewer, &[], ("events.json", &stripe)).await;
    assert_eq!(res.status, 403, "viewers do not import");

    let id = uploaded(&app, &editor, &[("format", "")], "events.json", &stripe).await;
    let page = app.get_as(&editor, &format!("/imports/{id}")).await.ok();
    assert!(page.body.contains("Imported as stripe."), "{}", page.body);
    assert!(
        page.body.contains("data-count=\"accepted\">13<"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("http-equiv=\"refresh\""),
        "a finished import does not refresh"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'events.import' AND actor LIKE 'user:editor%'").await,
        1,
        "the import is on record under the person who uploaded it"
    );

    // Again: everything is already there.
    let again = uploaded(&app, &editor, &[], "events.json", &stripe).await;
    let page = app.get_as(&editor, &format!("/imports/{again}")).await.ok();
    assert!(
        page.body.contains("data-count=\"duplicates\">13<"),
        "{}",
        page.body
    );

    // A generic CSV through a column mapping, with a bad row.
    let csv =
        b"When,Who,What\n2026-11-18T14:21:00Z,dana,login.failed\n2026-11-18T14:22:00,dana,logout\n";
    let id = uploaded(
        &app,
        &editor,
        &[
            ("format", "generic"),
            ("map_timestamp", "When"),
            ("map_actor", "Who"),
            ("map_action", "What"),
        ],
        "app.csv",
        csv,
    )
    .await;
    let page = app
        .get_as(&editor, &format!("/imports/{id}"))
        .await
        .ok()
        .body;
    assert!(page.contains("data-count=\"accepted\">1<"), "{page}");
    assert!(page.contains("row 3"), "{page}");
    assert!(page.contains("has no offset"), "{page}");

    // A file refused whole keeps nothing and says why.
    let id = uploaded(&app, &editor, &[], "cut.json", b"[{\"id\": \"evt_1\"").await;
    let page = app
        .get_as(&editor, &format!("/imports/{id}"))
        .await
        .ok()
        .body;
    assert!(page.contains("Refused whole"), "{page}");
    assert!(page.contains("truncated"), "{page}");

    // Refused before it starts: back to the form with the reason.
    let res = upload(&app, &editor, &[("format", "excel")], ("x.json", b"[]")).await;
    assert_eq!(res.status, 303);
    let back = app.get_as(&editor, &location(&res)).await.ok().body;
    assert!(
        back.contains("Format: &#x27;excel&#x27; is not one of")
            || back.contains("Format: 'excel' is not one of"),
        "{back}"
    );
    let res = upload(&app, &editor, &[("map_when", "x")], ("x.json", b"[]")).await;
    let back = app.get_as(&editor, &location(&res)).await.ok().body;
    assert!(back.contains("is not one of timestamp"), "{back}");

    // Past the upload limit the body is refused as it arrives (sent in
    // chunks, with no length to refuse it by up front).
    let head =
        "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.ndjson\"\r\n\r\n";
    let chunks = std::iter::once(Ok::<_, std::io::Error>(axum::body::Bytes::from(head))).chain(
        std::iter::repeat_with(|| Ok(axum::body::Bytes::from(vec![b' '; 1 << 20]))).take(102),
    );
    let res = app
        .send(
            Request::post("/event-files")
                .header("content-type", "multipart/form-data; boundary=x")
                .header("origin", ORIGIN)
                .header("cookie", editor.as_str())
                .body(Body::from_stream(futures_util::stream::iter(chunks)))
                .expect("request"),
        )
        .await;
    assert_eq!(res.status, 413, "{}", res.body);

    // While an import runs, its report shows how far it has read and asks
    // again every second.
    let running = app::events::db::begin_import(
        &app.state.db.write,
        "big.ndjson",
        "cli",
        chrono::Utc::now(),
        Some(4_000_000),
    )
    .await
    .expect("begin");
    app.behind_the_back(&format!(
        "UPDATE event_imports SET bytes_read = 1000000, accepted = 3000 WHERE id = {running}"
    ))
    .await;
    let page = app
        .get_as(&editor, &format!("/imports/{running}"))
        .await
        .ok()
        .body;
    assert!(page.contains("http-equiv=\"refresh\""), "{page}");
    assert!(page.contains("value=\"25\""), "{page}");
    assert!(page.contains("1.0 MB of 4.0 MB read"), "{page}");
    assert!(page.contains("data-count=\"accepted\">3000<"), "{page}");

    let page = app.get_as(&editor, "/imports").await.ok().body;
    assert!(
        page.contains("id=\"redaction-rules\""),
        "the rules are listed"
    );
    assert!(page.contains("Card numbers"), "{page}");
    assert!(page.contains("90 days"), "retention is shown: {page}");
}

#[tokio::test]
async fn search_filters_and_pages_by_key_and_shows_an_event_in_full() {
    let app = spawn_app(Environment::Production).await;
    let editor = app.session_for(Role::Editor).await;
    let viewer = app.session_for(Role::Viewer).await;
    let stripe = std::fs::read(fixture("stripe/events.json")).expect("fixture");
    uploaded(&app, &editor, &[], "events.json", &stripe).await;
    let mut log = String::new();
    for i in 0..120 {
        log.push_str(&format!(
            "{{\"timestamp\":\"2026-11-18T10:{:02}:{:02}Z\",\"actor\":\"worker\",\"action\":\"job.ran\",\"target\":\"job/{i}\"}}\n",
            i / 60,
            i % 60
        ));
    }
    uploaded(&app, &editor, &[], "jobs.ndjson", log.as_bytes()).await;

    let page = app
        .get_as(&viewer, "/events?q=card_declined")
        .await
        .ok()
        .body;
    let found = rows(&page);
    assert_eq!(found.len(), 2, "{page}");
    assert!(page.contains("charge.failed"), "{page}");
    assert!(!page.contains("name=\"events[]\""), "viewers cannot link");

    let failures = app
        .get_as(&viewer, "/events?source=stripe&outcome=failure")
        .await
        .ok()
        .body;
    let n = app
        .count("SELECT count(*) FROM events WHERE source = 'stripe' AND outcome = 'failure'")
        .await;
    assert_eq!(rows(&failures).len() as i64, n);
    assert!(n > 0);
    let early = app
        .get_as(&viewer, "/events?source=generic&to=2026-11-18T10:00:30Z")
        .await
        .ok()
        .body;
    assert_eq!(rows(&early).len(), 30, "before 10:00:30 UTC");
    let late = app
        .get_as(&viewer, "/events?source=generic&from=2026-11-18T10:01")
        .await
        .ok()
        .body;
    assert_eq!(rows(&late).len(), 50, "from 10:01 UTC");
    let bad = app.get_as(&viewer, "/events?from=yesterday").await.body;
    assert!(
        bad.contains("From: &#x27;yesterday&#x27;") || bad.contains("From: 'yesterday'"),
        "{bad}"
    );

    // Three pages of the generic log, newest first, none repeated.
    let mut seen = Vec::new();
    let mut next = "/events?source=generic".to_owned();
    loop {
        let page = app.get_as(&viewer, &next).await.ok().body;
        seen.extend(rows(&page));
        match page
            .split("id=\"older-events\"")
            .next()
            .and_then(|head| head.rsplit("href=\"").next())
        {
            Some(href) if page.contains("id=\"older-events\"") => {
                next = href.split('"').next().expect("href").replace("&amp;", "&")
            }
            _ => break,
        }
    }
    assert_eq!(seen.len(), 120);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 120, "no event shown twice");

    // One event in full: its fingerprint and its payload, cleaned.
    let (id, fingerprint): (i64, String) =
        sqlx::query_as("SELECT id, fingerprint FROM events WHERE action = 'charge.failed' LIMIT 1")
            .fetch_one(&app.state.db.read)
            .await
            .expect("event");
    let page = app
        .get_as(&viewer, &format!("/events/{id}"))
        .await
        .ok()
        .body;
    assert!(page.contains(&fingerprint), "{page}");
    assert_eq!(fingerprint.len(), 64);
    assert!(page.contains("card_declined"), "{page}");
    assert!(
        page.contains("\n  &quot;") || page.contains("\n  \""),
        "pretty-printed: {page}"
    );
    // A copy of the original record proves itself against the stored
    // fingerprint (and a changed copy does not).
    let original: Vec<serde_json::Value> = serde_json::from_slice(&stripe).expect("json");
    let key = app::events::record::fingerprint_key(&app.state.db.write, &app.auth.secret_key)
        .await
        .expect("key");
    let first = &original[0];
    let (stored,): (String,) =
        sqlx::query_as("SELECT fingerprint FROM events WHERE dedupe_key = ?")
            .bind(first["id"].as_str().expect("id"))
            .fetch_one(&app.state.db.read)
            .await
            .expect("stored");
    assert_eq!(app::events::record::fingerprint(&key, first), stored);
    let mut changed = first.clone();
    changed["livemode"] = serde_json::json!(false);
    assert_ne!(app::events::record::fingerprint(&key, &changed), stored);
    let missing = app.get_as(&viewer, "/events/999999").await.body;
    assert!(
        missing.contains("That event was not found") || missing.contains("not found"),
        "{missing}"
    );
}

#[tokio::test]
async fn linked_events_join_the_incident_timeline_live_and_on_record() {
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(support::manual_clock())
        .with_demo()
        .await;
    let responder = app.session_for(Role::Responder).await;
    let viewer = app.session_for(Role::Viewer).await;
    let editor = app.session_for(Role::Editor).await;
    for file in [
        "stripe-events.json",
        "pipedream-events.ndjson",
        "zapier-zap-runs.json",
        "app-events.ndjson",
    ] {
        let bytes =
            std::fs::read(fixture(&format!("story-payment-outage/{file}"))).expect("fixture");
        uploaded(&app, &editor, &[], file, &bytes).await;
    }
    let runbook = app
        .count("SELECT id FROM plans WHERE title = 'Payment provider outage'")
        .await
        .to_string();
    let declared = app
        .post_as(
            &responder,
            "/api/incidents/declare",
            &form(&[
                ("title", "Card payments failing"),
                ("severity", "sev1"),
                ("impact", ""),
                ("runbook", &runbook),
            ]),
        )
        .await;
    assert!(
        declared.status.is_success() || declared.status.is_redirection(),
        "{}",
        declared.body
    );
    let incident = app.count("SELECT max(id) FROM incidents").await;
    // The incident is declared at the test's real now; the story is older,
    // so it is moved back to the story's day (as if declared then).
    app.behind_the_back(&format!(
        "UPDATE incidents SET declared_at = '2026-11-19T14:00:00Z' WHERE id = {incident}"
    ))
    .await;

    let failed: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, source, dedupe_key FROM events WHERE source = 'stripe' AND action = 'charge.failed' ORDER BY occurred_at LIMIT 3",
    )
    .fetch_all(&app.state.db.read)
    .await
    .expect("events");
    assert_eq!(failed.len(), 3);
    let mut live = app.state.live.subscribe();
    let body = format!(
        "incident={incident}&{}",
        failed
            .iter()
            .map(|(id, _, _)| format!("events[]={id}"))
            .collect::<Vec<_>>()
            .join("&")
    );
    let refused = app.post_as(&viewer, "/api/events/link", &body).await;
    assert_eq!(refused.status, 403);
    app.post_as(&responder, "/api/events/link", &body)
        .await
        .ok();
    // Linking again adds nothing.
    app.post_as(&responder, "/api/events/link", &body)
        .await
        .ok();

    let entries: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT kind, source, happened_at FROM timeline WHERE incident_id = ? AND kind = 'event_linked' ORDER BY id",
    )
    .bind(incident)
    .fetch_all(&app.state.db.read)
    .await
    .expect("timeline");
    assert_eq!(entries.len(), 3, "{entries:?}");
    for ((_, source, happened), (id, _, key)) in entries.iter().zip(&failed) {
        assert_eq!(source, &format!("stripe:{key}"));
        let (occurred,): (String,) = sqlx::query_as("SELECT occurred_at FROM events WHERE id = ?")
            .bind(id)
            .fetch_one(&app.state.db.read)
            .await
            .expect("event");
        assert_eq!(
            happened.as_deref(),
            Some(occurred.as_str()),
            "at the time it happened"
        );
    }
    let message = live.try_recv().expect("open pages heard of the change");
    let change = message.change.expect("the change itself");
    assert!(change.contains("event_linked"), "{change}");
    let page = app
        .get_as(&viewer, &format!("/incidents/{incident}"))
        .await
        .ok()
        .body;
    assert!(
        page.contains(&format!("via stripe:{}", failed[0].2)),
        "{page}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'incident.evidence.link' AND reason LIKE 'linked event:%'").await,
        1
    );

    // Suggestions: the runbook's tags (stripe, checkout, ...) in the time window.
    let suggested = app
        .get_as(&viewer, &format!("/incidents/{incident}/evidence"))
        .await
        .ok()
        .body;
    let ids = rows(&suggested);
    assert!(!ids.is_empty(), "{suggested}");
    assert!(
        failed.iter().all(|(id, _, _)| !ids.contains(id)),
        "linked events are not suggested again"
    );

    // Unlink one: the link goes, a correction says so, on record.
    let (first, _, _) = &failed[0];
    app.post_as(
        &responder,
        "/api/events/unlink",
        &format!("incident={incident}&event={first}"),
    )
    .await
    .ok();
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM event_links WHERE incident_id = {incident}"
        ))
        .await,
        2
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM timeline WHERE incident_id = {incident} AND kind = 'event_unlinked' AND corrects IS NOT NULL")).await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'incident.evidence.unlink'")
            .await,
        1
    );
    let detail = app
        .get_as(&viewer, &format!("/events/{}", failed[1].0))
        .await
        .ok()
        .body;
    assert!(
        detail.contains("Card payments failing"),
        "the event names its incident: {detail}"
    );
    let empty = app
        .post_as(
            &responder,
            "/api/events/link",
            &format!("incident={incident}"),
        )
        .await;
    assert!(
        empty.body.contains("choose at least one event"),
        "{}",
        empty.body
    );
}

#[tokio::test]
async fn retention_deletes_old_unlinked_events_and_keeps_evidence() {
    let clock = support::manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await;
    let editor = app.session_for(Role::Editor).await;
    let admin = app.session_for(Role::Admin).await;
    let responder = app.session_for(Role::Responder).await;
    for file in ["stripe/events.json", "github/audit-log.json"] {
        let bytes = std::fs::read(fixture(file)).expect("fixture");
        uploaded(&app, &editor, &[], file, &bytes).await;
    }
    app.post_as(
        &responder,
        "/api/incidents/declare",
        &form(&[
            ("title", "Old"),
            ("severity", "sev3"),
            ("impact", ""),
            ("runbook", ""),
        ]),
    )
    .await
    .ok();
    let incident = app.count("SELECT max(id) FROM incidents").await;
    // The demo's own outage events are counted apart from the samples.
    const SAMPLES: &str = "source = 'stripe' AND dedupe_key NOT LIKE 'evt_demo_%'";
    let kept = app
        .count(&format!("SELECT min(id) FROM events WHERE {SAMPLES}"))
        .await;
    app.post_as(
        &responder,
        "/api/events/link",
        &format!("incident={incident}&events[]={kept}"),
    )
    .await
    .ok();

    // GitHub events are kept ten years; only admins say so.
    let refused = app
        .post_as(&editor, "/api/events/retention", "source=github&days=3650")
        .await;
    assert_eq!(refused.status, 403);
    let bad = app
        .post_as(&admin, "/api/events/retention", "source=github&days=0")
        .await;
    assert!(bad.body.contains("1 to 3650"), "{}", bad.body);
    app.post_as(&admin, "/api/events/retention", "source=github&days=3650")
        .await
        .ok();

    // Another sample, not linked, is cited in the demo's review: evidence.
    let cited = app
        .count(&format!("SELECT max(id) FROM events WHERE {SAMPLES}"))
        .await;
    sqlx::query(
        "UPDATE reviews SET lessons = lessons || ? WHERE id = (SELECT min(id) FROM reviews)",
    )
    .bind(format!(" See [[event:{cited}]]."))
    .execute(&app.state.db.write)
    .await
    .expect("cite");
    let cite_list = || async {
        let mut conn = app.state.db.read.acquire().await.expect("conn");
        app::reviews::db::cited_event_ids(&mut conn)
            .await
            .expect("cited")
    };
    assert!(cite_list().await.contains(&cited));

    let stripe = app
        .count(&format!("SELECT count(*) FROM events WHERE {SAMPLES}"))
        .await;
    let github = app
        .count("SELECT count(*) FROM events WHERE source = 'github'")
        .await;
    // The demo's own outage events are neither linked nor cited but five.
    let demo_unlinked = app
        .count(
            "SELECT count(*) FROM events WHERE dedupe_key LIKE 'evt_demo_%' \
             AND id NOT IN (SELECT event_id FROM event_links)",
        )
        .await;
    // 99 days after the sample events happened, but 89 after they were
    // imported (on the test's clock): a back-dated import is kept for a
    // full period from when it arrived.
    let now = chrono::DateTime::parse_from_rfc3339("2027-02-25T00:00:00Z")
        .expect("time")
        .to_utc();
    assert!(
        app::events::retention::run(&app.state.db.write, now, &cite_list().await)
            .await
            .expect("run")
            .is_empty()
    );
    let later = now + chrono::Duration::days(10);
    let deleted = app::events::retention::run(&app.state.db.write, later, &cite_list().await)
        .await
        .expect("run");
    assert_eq!(
        deleted,
        vec![("stripe".to_owned(), (stripe - 2 + demo_unlinked) as u64)]
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM events WHERE {SAMPLES}"))
            .await,
        2,
        "the linked one and the cited one stay"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM events WHERE id IN ({kept}, {cited})"
        ))
        .await,
        2
    );
    assert_eq!(
        app.count("SELECT count(*) FROM events WHERE source = 'github'")
            .await,
        github
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM audit_log WHERE action = 'events.retention.run' AND reason LIKE '%stripe: {}%'", stripe - 2 + demo_unlinked)).await,
        1
    );
    let demo: Vec<i64> =
        sqlx::query_as::<_, (i64,)>("SELECT id FROM events WHERE dedupe_key LIKE 'evt_demo_%'")
            .fetch_all(&app.state.db.read)
            .await
            .expect("demo events")
            .into_iter()
            .map(|(id,)| id)
            .collect();
    let found = search(&app, "charge").await.expect("search");
    assert!(
        found
            .iter()
            .all(|(id, _)| *id == kept || *id == cited || demo.contains(id)),
        "the index lost them too: {found:?}"
    );
    app.assert_search_index_intact().await;
}
