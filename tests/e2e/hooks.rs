//! Signed webhooks against the real binary: sources made on the command
//! line, deliveries a killed server acknowledged are all still there
//! afterwards, and in the browser a Stripe source is made, receives
//! signed events, shows them in its delivery log and the events page,
//! and a grouped alert becomes an incident.
use e2e::{stripe_signature, unix_now as now, Browser, Muster, MusterOptions};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use std::{
    path::Path,
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

fn charge_failed(n: usize) -> String {
    format!(
        r#"{{"id":"evt_e2e_{n}","object":"event","type":"charge.failed","created":{},"livemode":true,"data":{{"object":{{"id":"ch_e2e_{n}","object":"charge","amount":1999,"failure_code":"card_declined"}}}}}}"#,
        now()
    )
}

/// `muster ARGS --database DB`, with `stdin` as its input.
fn muster_cli(
    binary: &Path,
    database: &Path,
    args: &[&str],
    stdin: &str,
) -> (bool, String, String) {
    use std::io::Write;
    let mut child = Command::new(binary)
        .args(args)
        .arg(format!("--database={}", database.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("muster");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Posts a signed delivery; the status, or `None` when the connection
/// failed (a killed server).
async fn post_signed(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    url: &str,
    secret: &str,
    body: String,
) -> Option<(u16, String)> {
    let req = hyper::Request::post(url)
        .header("content-type", "application/json")
        .header("stripe-signature", stripe_signature(secret, &body, now()))
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let res = client.request(req).await.ok()?;
    let status = res.status().as_u16();
    let text = res.into_body().collect().await.ok()?.to_bytes();
    Some((status, String::from_utf8_lossy(&text).into_owned()))
}

#[tokio::test]
async fn sources_are_made_listed_and_rotated_on_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("muster.db");
    let bin = e2e::muster_binary();
    let (ok, out, err) = muster_cli(
        &bin,
        &db,
        &[
            "source",
            "add",
            "pay",
            "--scheme",
            "stripe",
            "--environment",
            "live",
        ],
        "",
    );
    assert!(ok, "{err}");
    let secret = out.lines().last().expect("the secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{out}");
    assert!(out.contains("receives at /hooks/pay"), "{out}");
    let entered = "whsec_EnteredFromTheStripeDashboard0123";
    let (ok, out, err) = muster_cli(
        &bin,
        &db,
        &[
            "source",
            "add",
            "pay-test",
            "--scheme",
            "stripe",
            "--secret-stdin",
            "--networks",
            "10.0.0.0/8",
        ],
        &format!("{entered}\n"),
    );
    assert!(ok, "{err}");
    assert!(
        out.ends_with(&format!("{entered}\n")),
        "the entered secret is the one in use: {out}"
    );
    let (ok, _, err) = muster_cli(
        &bin,
        &db,
        &["source", "add", "Bad Name", "--scheme", "stripe"],
        "",
    );
    assert!(!ok);
    assert!(err.contains("Name: 1 to 40 lowercase letters"), "{err}");
    let (ok, _, err) = muster_cli(&bin, &db, &["source", "add", "x", "--scheme", "paypal"], "");
    assert!(
        !ok && err.contains("Scheme: one of stripe, standard-webhooks, github, slack, token"),
        "{err}"
    );
    let (ok, out, err) = muster_cli(
        &bin,
        &db,
        &["source", "rotate", "pay", "--overlap-hours", "2"],
        "",
    );
    assert!(ok, "{err}");
    let rotated = out.lines().last().expect("the new secret").to_owned();
    assert_ne!(rotated, secret);
    let (ok, out, _) = muster_cli(&bin, &db, &["source", "list"], "");
    assert!(ok);
    assert!(out.contains("pay "), "{out}");
    assert!(out.contains("(1 old secret(s) still verifying)"), "{out}");
    assert!(out.contains("from 10.0.0.0/8"), "{out}");
    assert!(
        !out.contains(&secret) && !out.contains(&rotated) && !out.contains(entered),
        "list never shows a secret"
    );

    // Both secrets verify at the server during the overlap.
    let muster = Muster::start(MusterOptions {
        database: Some(db.clone()),
        ..MusterOptions::default()
    });
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let url = muster.url("/hooks/pay");
    assert_eq!(
        post_signed(&client, &url, &secret, charge_failed(1)).await,
        Some((200, "accepted".into()))
    );
    assert_eq!(
        post_signed(&client, &url, &rotated, charge_failed(2)).await,
        Some((200, "accepted".into()))
    );
    assert_eq!(
        post_signed(&client, &url, &rotated, charge_failed(2)).await,
        Some((200, "already stored".into()))
    );
    assert_eq!(
        post_signed(
            &client,
            &url,
            "whsec_not_the_secret_at_all_000",
            charge_failed(3)
        )
        .await,
        Some((401, "the signature does not match".into()))
    );
    let logs = muster.logs();
    for s in [&secret, &rotated] {
        assert!(!logs.contains(s.as_str()), "no secret in the server's log");
    }
    assert!(
        !logs.contains("card_declined"),
        "no payload in the server's log"
    );
}

#[tokio::test]
async fn every_delivery_a_killed_server_acknowledged_is_still_stored() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("muster.db");
    let bin = e2e::muster_binary();
    let (ok, out, err) = muster_cli(
        &bin,
        &db,
        &["source", "add", "pay", "--scheme", "stripe"],
        "",
    );
    assert!(ok, "{err}");
    let secret = Arc::new(out.lines().last().expect("secret").to_owned());
    let muster = Muster::start(MusterOptions {
        database: Some(db.clone()),
        ..MusterOptions::default()
    });
    let url = Arc::new(muster.url("/hooks/pay"));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(AtomicUsize::new(0));
    const SENDERS: usize = 16;
    const KILL_AFTER: usize = 400;
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (url, secret, acked, next) =
                (url.clone(), secret.clone(), acked.clone(), next.clone());
            tokio::spawn(async move {
                let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    match post_signed(&client, &url, &secret, charge_failed(n)).await {
                        Some((200, _)) => acked.lock().expect("acked").push(n),
                        Some((status, body)) => panic!("{status}: {body}"),
                        None => return,
                    }
                }
            })
        })
        .collect();
    // Kill it in the middle of the flow, without warning.
    while acked.lock().expect("acked").len() < KILL_AFTER {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let status = Command::new("kill")
        .arg("-KILL")
        .arg(muster.pid().to_string())
        .status();
    assert!(status.is_ok_and(|s| s.success()));
    for s in senders {
        s.await.expect("sender");
    }
    let acked = acked.lock().expect("acked").clone();
    drop(muster);

    use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions};
    let mut conn = SqliteConnectOptions::new()
        .filename(&db)
        .connect()
        .await
        .expect("open");
    let stored: Vec<(String,)> = sqlx::query_as("SELECT dedupe_key FROM events")
        .fetch_all(&mut conn)
        .await
        .expect("events");
    let stored: std::collections::HashSet<String> = stored.into_iter().map(|(k,)| k).collect();
    let lost: Vec<&usize> = acked
        .iter()
        .filter(|n| !stored.contains(&format!("evt_e2e_{n}")))
        .collect();
    println!(
        "{} acknowledged before the kill, {} stored",
        acked.len(),
        stored.len()
    );
    assert!(acked.len() >= KILL_AFTER);
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("check");
    assert_eq!(check, "ok");
    // What was stored is whole: every event is in the search index.
    sqlx::query("INSERT INTO events_search (events_search, rank) VALUES ('integrity-check', 1)")
        .execute(&mut conn)
        .await
        .expect("the search index matches");
}

#[tokio::test]
async fn a_stripe_source_made_in_the_page_receives_events_that_become_an_alert_and_an_incident() {
    let muster = Muster::start(MusterOptions {
        demo: true,
        ..MusterOptions::default()
    });
    let admin = Browser::start().await;
    admin.sign_in_as(&muster, "admin").await;
    admin.goto(&muster.url("/sources")).await;
    admin.fill("#source-name", "stripe-live").await;
    admin.fill("#source-environment", "live").await;
    admin.submit("#add-source-form button[type=submit]").await;
    let secret = admin
        .wait_for_text_in("#new-secret", |t| t.starts_with("whsec_"))
        .await;
    let address = admin.text_of("#source-address").await;
    assert_eq!(address, muster.url("/hooks/stripe-live"));

    // The sender (Stripe, played by the test) posts five failed charges.
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    for n in 0..5 {
        let answer = post_signed(&client, &address, &secret, charge_failed(n)).await;
        assert_eq!(answer, Some((200, "accepted".into())));
    }
    assert_eq!(
        post_signed(
            &client,
            &address,
            "whsec_wrong_wrong_wrong_wrong",
            charge_failed(9)
        )
        .await,
        Some((401, "the signature does not match".into()))
    );

    admin.goto(&muster.url("/sources/stripe-live")).await;
    let log = admin
        .wait_for_text_in("#deliveries", |t| {
            t.contains("the signature does not match")
        })
        .await;
    assert!(
        log.contains("evt_e2e_4") && log.contains("accepted"),
        "{log}"
    );
    assert!(
        !admin.body_text().await.contains(&secret),
        "the secret was shown once only"
    );

    admin
        .goto(&muster.url("/events?q=charge.failed&source=stripe"))
        .await;
    let rows = admin.text_of("#events tbody").await;
    assert!(rows.contains("evt_e2e_0"), "{rows}");

    admin.goto(&muster.url("/alerts")).await;
    let alerts = admin.text_of("#alerts tbody").await;
    assert!(
        alerts.contains("Payment failures spike") && alerts.contains("action=charge.failed"),
        "{alerts}"
    );
    admin.click("#alerts tbody a").await;
    let why = admin
        .wait_for_text_in("#alert-group", |t| t.contains("Grouped because"))
        .await;
    assert!(why.contains("action=charge.failed"), "{why}");
    assert_eq!(admin.text_of("#alert-count").await, "5");
    admin
        .submit("#declare-from-alert button[type=submit]")
        .await;
    let timeline = admin
        .wait_for_text_in("#timeline", |t| {
            (0..5).all(|n| t.contains(&format!("evt_e2e_{n}")))
        })
        .await;
    assert!(timeline.contains("Payment failures spike"), "{timeline}");
    admin.finish().await;
}
