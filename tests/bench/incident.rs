//! The incident page under load, on a release build, with data it makes
//! itself: an incident with 10,000 timeline notes.
//!
//! Prints figures and ratios against baselines measured in the same run:
//! - the page's size, and its requests/s and p50/p99 latency at 50
//!   concurrent readers (sharing one session, then each with its own, while
//!   a note is added every 250 ms; then with every request rendered anew),
//!   against a static asset served by the same server;
//! - the timeline JSON export's speed;
//! - one note's cost with 50 pages open: the bytes the server sends to those
//!   pages (the live stream, and any fetch a page makes after it), the
//!   server's CPU time, and how long until every page has the note.
//!
//! Run: `cargo leptos build --release --precompress`, then
//! `cargo bench -p e2e --bench incident` (MUSTER_BIN names another binary).
use e2e::{http_request, Load, Muster, MusterOptions};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use std::time::{Duration, Instant};

const NOTES: usize = 10_000;
const READERS: usize = 50;
/// Enough requests that a load lasts a few seconds, so the page's copies
/// expire and are made again several times within it.
const REQUESTS: usize = 20_000;
/// Pages rendered anew cost more: fewer of them say as much.
const FRESH_REQUESTS: usize = 1_000;
/// While readers load the page, a responder adds a note this often.
const NOTE_EVERY: Duration = Duration::from_millis(250);

#[tokio::main]
async fn main() {
    let binary = e2e::release_binary();
    let muster = Muster::start(MusterOptions {
        binary: Some(binary.clone()),
        ..MusterOptions::default()
    });
    println!("bench: {}", binary.display());
    let (email, password) = muster.add_user("responder");
    let cookie = sign_in(&muster, &email, &password).await;
    let id = seed(&muster, &cookie).await;

    let mut sessions = Vec::new();
    for _ in 0..READERS {
        sessions.push(sign_in(&muster, &email, &password).await);
    }
    page_under_load(&muster, &cookie, &sessions, id).await;
    export_speed(&muster, &cookie, id).await;
    one_note_with_pages_open(&muster, &email, &password, id).await;
}

async fn sign_in(muster: &Muster, email: &str, password: &str) -> String {
    let form = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    let res = http_request(
        "POST",
        &muster.url("/api/auth/sign-in"),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "application/json"),
            ("origin", muster.url.trim_end_matches('/')),
        ],
        &form,
    )
    .await;
    assert_eq!(res.status, 200, "sign in: {}", res.body);
    let set = res
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie");
    set.split(';').next().expect("name=value").to_owned()
}

async fn post(muster: &Muster, cookie: &str, path: &str, form: &str) -> e2e::Answer {
    http_request(
        "POST",
        &muster.url(path),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "application/json"),
            ("origin", muster.url.trim_end_matches('/')),
            ("cookie", cookie),
        ],
        form,
    )
    .await
}

/// Declares an incident and writes its notes straight into the database
/// (one transaction), as a long incident would have over hours.
async fn seed(muster: &Muster, cookie: &str) -> i64 {
    let res = post(
        muster,
        cookie,
        "/api/incidents/declare",
        "title=Bench&severity=sev2&impact=Payments+fail&runbook=",
    )
    .await;
    assert!(res.status < 400, "declare: {}", res.body);
    let started = Instant::now();
    let values: Vec<String> = (0..NOTES)
        .map(|n| {
            format!(
                "(1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{} seconds'), 'Bench Writer', 'note', \
                 'Note {n}: checked the payment provider dashboard; error rate still elevated in EU.')",
                NOTES - n
            )
        })
        .collect();
    muster
        .behind_the_back(&format!(
            "BEGIN; INSERT INTO timeline (incident_id, at, author, kind, text) VALUES {}; \
             UPDATE incidents SET revision = revision + {NOTES} WHERE id = 1; COMMIT;",
            values.join(",")
        ))
        .await;
    println!(
        "seed: {NOTES} notes written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    1
}

/// `REQUESTS` (or `FRESH_REQUESTS`) GETs from `READERS` readers at once. With `fresh`, each asks
/// for an address of its own (`?fresh=N`), so no copy can serve it.
/// Reader `w` sends `headers[w % headers.len()]` (one set for all, or one
/// each, such as a session of its own).
async fn load(url: String, headers: Vec<Vec<(String, String)>>, fresh: bool) -> Load {
    let requests = if fresh { FRESH_REQUESTS } else { REQUESTS };
    e2e::load(READERS, requests, 200, move |n| {
        let url = if fresh {
            format!("{url}?fresh={n}")
        } else {
            url.clone()
        };
        let mut req = hyper::Request::get(url);
        for (k, v) in &headers[(n % READERS) % headers.len()] {
            req = req.header(k, v);
        }
        req.body(Full::new(Bytes::new())).expect("request")
    })
    .await
}

async fn page_under_load(muster: &Muster, cookie: &str, sessions: &[String], id: i64) {
    // The incident goes on while people read it: every note is a new
    // revision, so the page is rendered anew after each.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let writer = {
        let (url, cookie) = (muster.url("/api/incidents/note"), cookie.to_owned());
        let origin = muster.url.trim_end_matches('/').to_owned();
        tokio::spawn(async move {
            let mut notes = 0;
            loop {
                tokio::select! {
                    _ = &mut stopped => return notes,
                    _ = tokio::time::sleep(NOTE_EVERY) => {}
                }
                let headers = [
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("accept", "application/json"),
                    ("origin", origin.as_str()),
                    ("cookie", cookie.as_str()),
                ];
                let form = format!("id={id}&text=Still+failing+{notes}&happened_at=&corrects=");
                let res = http_request("POST", &url, &headers, &form).await;
                assert_eq!(res.status, 200, "note: {}", res.body);
                notes += 1;
            }
        })
    };
    let page = load(
        muster.url(&format!("/incidents/{id}")),
        vec![vec![("cookie".into(), cookie.into())]],
        false,
    )
    .await;
    // The same, with each reader signed in on its own (as 50 people are):
    // a copy serves only its own session, so every note costs 50 renders.
    let people = load(
        muster.url(&format!("/incidents/{id}")),
        sessions
            .iter()
            .map(|s| vec![("cookie".to_owned(), s.clone())])
            .collect(),
        false,
    )
    .await;
    let _ = stop.send(());
    let notes = writer.await.expect("writer");
    println!(
        "page: {notes} notes added while it was read, one every {} ms",
        NOTE_EVERY.as_millis()
    );
    // Every request rendered anew: what a page costs when no copy serves it.
    let rendered = load(
        muster.url(&format!("/incidents/{id}")),
        vec![vec![("cookie".into(), cookie.into())]],
        true,
    )
    .await;
    // The same server's static file nearest the page's size: the WebAssembly,
    // brotli-compressed as a browser asks for it.
    let asset = load(
        muster.url("/pkg/muster.wasm"),
        vec![vec![("accept-encoding".into(), "br".into())]],
        false,
    )
    .await;
    for (what, l) in [
        ("page", &page),
        ("page, a session per reader", &people),
        ("page rendered anew", &rendered),
        ("static asset", &asset),
    ] {
        println!(
            "{what}: {} bytes, {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms ({READERS} readers, {} requests)",
            l.size,
            l.per_second,
            l.p50.as_secs_f64() * 1e3,
            l.p99.as_secs_f64() * 1e3,
            l.requests
        );
    }
    println!(
        "page/static: {:.2} of the requests/s, {:.2} of the size (targets: at least 0.30; page p99 under 25 ms; page under 300 KB)",
        page.per_second / asset.per_second,
        page.size as f64 / asset.size as f64
    );
    println!(
        "page, a session per reader/static: {:.2} of the requests/s",
        people.per_second / asset.per_second
    );
    println!(
        "page rendered anew/static: {:.2} of the requests/s (each render costs about {:.1} ms of the server's two cores)",
        rendered.per_second / asset.per_second,
        2e3 / rendered.per_second
    );
}

async fn export_speed(muster: &Muster, cookie: &str, id: i64) {
    let url = muster.url(&format!("/incidents/{id}/timeline.json"));
    let mut best = 0.0_f64;
    let mut size = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let res = http_request("GET", &url, &[("cookie", cookie)], "").await;
        assert_eq!(res.status, 200);
        size = res.bytes.len();
        best = best.max(size as f64 / started.elapsed().as_secs_f64() / 1e6);
    }
    println!("timeline.json: {size} bytes at {best:.0} MB/s (best of 5; target at least 100 MB/s)");
}

/// The server's CPU time so far (user + system), from /proc.
fn server_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // Linux reports 100 ticks a second on every machine we run on.
    Duration::from_millis(ticks * 10)
}

/// 50 pages follow the incident; one note is added. Each page does what the
/// browser does: a stream event that carries the change is applied; one
/// that carries only a revision makes the page fetch the incident again.
async fn one_note_with_pages_open(muster: &Muster, email: &str, password: &str, id: i64) {
    let writer = sign_in(muster, email, password).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, usize)>();
    let ready = std::sync::Arc::new(tokio::sync::Barrier::new(READERS + 1));
    for _ in 0..READERS {
        let cookie = sign_in(muster, email, password).await;
        let (url, get, tx, ready) = (
            muster.url(&format!("/incidents/{id}/live")),
            muster.url("/api/incidents/get"),
            tx.clone(),
            ready.clone(),
        );
        let origin = muster.url.trim_end_matches('/').to_owned();
        tokio::spawn(async move {
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            let req = hyper::Request::get(url)
                .header("cookie", &cookie)
                .header("accept", "text/event-stream")
                .body(Full::new(Bytes::new()))
                .expect("request");
            let res = client.request(req).await.expect("stream");
            assert_eq!(res.status(), 200, "stream refused");
            let mut body = res.into_body();
            let mut buffer = String::new();
            let mut events = 0;
            let mut bytes = 0;
            while let Some(Ok(frame)) = body.frame().await {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                buffer.push_str(&String::from_utf8_lossy(&data));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    let Some(payload) = event
                        .lines()
                        .find_map(|l| l.strip_prefix("data:"))
                        .map(str::trim)
                    else {
                        continue; // keep-alive comment
                    };
                    events += 1;
                    if events == 1 {
                        ready.wait().await; // the current revision: connected
                        continue;
                    }
                    bytes += event.len();
                    if payload.parse::<i64>().is_ok() {
                        let res = http_request(
                            "POST",
                            &get,
                            &[
                                ("content-type", "application/x-www-form-urlencoded"),
                                ("accept", "application/json"),
                                ("origin", &origin),
                                ("cookie", &cookie),
                            ],
                            &format!("id={id}"),
                        )
                        .await;
                        bytes += res.bytes.len();
                    }
                    let _ = tx.send((Instant::now(), bytes));
                    return;
                }
            }
        });
    }
    ready.wait().await;
    let cpu_before = server_cpu(muster.pid());
    let started = Instant::now();
    let res = post(
        muster,
        &writer,
        "/api/incidents/note",
        &format!("id={id}&text=One+more+note&happened_at=&corrects="),
    )
    .await;
    assert!(res.status < 400, "note: {}", res.body);
    let mut arrivals = Vec::new();
    let mut total = 0;
    while arrivals.len() < READERS {
        let (at, bytes) = tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .expect("every page gets the note")
            .expect("channel");
        arrivals.push(at - started);
        total += bytes;
    }
    let cpu = server_cpu(muster.pid()) - cpu_before;
    arrivals.sort();
    println!(
        "one note, {READERS} pages open: {total} bytes sent to the pages ({} per page), server CPU {} ms, \
         note to page p50 {:.1} ms, last page {:.1} ms",
        total / READERS,
        cpu.as_millis(),
        arrivals[READERS / 2].as_secs_f64() * 1e3,
        arrivals[READERS - 1].as_secs_f64() * 1e3
    );
}
