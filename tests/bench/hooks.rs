//! Signed webhook ingestion under load, on a release build, on loopback.
//!
//! Prints, against `/healthz` measured the same way in the same run:
//! - the most verified Stripe-signed events per second 32 senders get
//!   stored (each answered only after its commit), with p50/p99 latency;
//! - latency when events are offered at a steady 5,000 per second for ten
//!   seconds (the target: all stored, p99 under 20 ms);
//! - replays of stored events (answered 200, stored nothing).
//!
//! Run: `cargo leptos build --release --precompress`, then
//! `cargo bench -p e2e --bench hooks` (MUSTER_BIN names another binary).
use e2e::{load, stripe_signature, unix_now, Load, Muster, MusterOptions};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use std::{
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

const SENDERS: usize = 32;
const EVENTS: usize = 30_000;
const RATE: usize = 5_000;
const SECONDS: usize = 10;

/// A Stripe event (~600 bytes, as a real `charge.failed` is larger) and
/// its `Stripe-Signature`, signed now.
fn signed(secret: &str, n: usize) -> (String, String) {
    let body = format!(
        r#"{{"id":"evt_load_{n}","object":"event","type":"charge.failed","created":{},"livemode":true,"api_version":"2024-06-20","request":{{"id":"req_{n:012}","idempotency_key":null}},"data":{{"object":{{"id":"ch_{n:016}","object":"charge","amount":4200,"currency":"usd","customer":"cus_{n:010}","failure_code":"card_declined","failure_message":"Your card was declined.","outcome":{{"network_status":"declined_by_network","reason":"generic_decline","type":"issuer_declined"}},"payment_method_details":{{"card":{{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030}}}},"receipt_email":"buyer{n}@example.com"}}}}}}"#,
        unix_now()
    );
    let signature = stripe_signature(secret, &body, unix_now());
    (body, signature)
}

fn post(url: &str, (body, signature): &(String, String)) -> hyper::Request<Full<Bytes>> {
    hyper::Request::post(url)
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(Full::new(Bytes::from(body.clone())))
        .expect("request")
}

/// Offers `rate` requests a second for `seconds`, whatever the answers'
/// pace (an open loop, as senders do), each timed from when it was due.
async fn paced(
    rate: usize,
    seconds: usize,
    make: impl Fn(usize) -> hyper::Request<Full<Bytes>> + Send + Sync + 'static,
) -> Load {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let make = Arc::new(make);
    // A tick each millisecond (the timer's finest), so requests come
    // evenly rather than in bursts.
    let tick = Duration::from_millis(1);
    let per_tick = rate / 1000;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(rate * seconds);
    for round in 0..seconds * 1000 {
        let due = started + tick * round as u32;
        tokio::time::sleep_until(due.into()).await;
        for i in 0..per_tick {
            let (client, req) = (client.clone(), make(round * per_tick + i));
            tasks.push(tokio::spawn(async move {
                let res = client.request(req).await.expect("response");
                let status = res.status().as_u16();
                let _ = res.into_body().collect().await;
                assert_eq!(status, 200);
                due.elapsed()
            }));
        }
    }
    let mut times = Vec::with_capacity(tasks.len());
    for task in tasks {
        times.push(task.await.expect("request"));
    }
    let elapsed = started.elapsed();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    Load {
        requests: times.len(),
        size: 0,
        per_second: times.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        max: times[times.len() - 1],
    }
}

#[tokio::main]
async fn main() {
    let binary = e2e::release_binary();
    println!("bench: {}", binary.display());
    let dir = tempfile::tempdir().expect("dir");
    let database = dir.path().join("muster.db");
    let out = Command::new(&binary)
        .args(["source", "add", "pay", "--scheme", "stripe"])
        .arg(format!("--database={}", database.display()))
        .stdin(Stdio::null())
        .output()
        .expect("muster source add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("secret")
        .to_owned();
    let muster = Muster::start(MusterOptions {
        binary: Some(binary),
        database: Some(database.clone()),
        ..MusterOptions::default()
    });
    let hooks = muster.url("/hooks/pay");
    let health = muster.url("/healthz");

    let baseline = load(SENDERS, EVENTS, 200, move |_| {
        hyper::Request::get(health.as_str())
            .body(Full::new(Bytes::new()))
            .expect("request")
    })
    .await;
    println!("healthz (baseline): {}", baseline.figures());

    let deliveries: Arc<Vec<(String, String)>> =
        Arc::new((0..EVENTS).map(|n| signed(&secret, n)).collect());
    let (url, all) = (hooks.clone(), deliveries.clone());
    let stored = load(SENDERS, EVENTS, 200, move |n| post(&url, &all[n])).await;
    println!("signed events, {SENDERS} senders: {}", stored.figures());
    println!(
        "ratio: {:.2} of the baseline's requests/s",
        stored.per_second / baseline.per_second
    );

    let (url, all) = (hooks.clone(), deliveries.clone());
    let replays = load(SENDERS, EVENTS / 3, 200, move |n| post(&url, &all[n])).await;
    println!(
        "replays of stored events (200, nothing stored): {}",
        replays.figures()
    );

    let paced_events: Arc<Vec<(String, String)>> = Arc::new(
        (EVENTS..EVENTS + RATE * SECONDS)
            .map(|n| signed(&secret, n))
            .collect(),
    );
    let url = hooks.clone();
    let steady = paced(RATE, SECONDS, move |n| post(&url, &paced_events[n])).await;
    println!("offered {RATE}/s for {SECONDS} s: {}", steady.figures());

    use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions};
    let mut conn = SqliteConnectOptions::new()
        .filename(&database)
        .connect()
        .await
        .expect("open");
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(
        n as usize,
        EVENTS + RATE * SECONDS,
        "every acknowledged event is stored"
    );
    println!("stored: {n} events");
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    println!(
        "target, sustained (at least {RATE} verified events/s with p99 under 20 ms): {}",
        verdict(stored.per_second >= RATE as f64 && stored.p99 < Duration::from_millis(20))
    );
    println!(
        "target, at a steady {RATE}/s offered (all stored, p99 under 20 ms): {}",
        verdict(steady.per_second >= RATE as f64 * 0.98 && steady.p99 < Duration::from_millis(20))
    );
}
