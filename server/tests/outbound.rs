//! Anything Muster sends to an address a person typed must not reach
//! inside the network, and what comes back is bounded and shown only to
//! admins: channels to metadata, private, unspecified and loopback
//! addresses are refused unless an admin allows the network; a channel
//! stored while allowed is refused when it sends once that is taken back;
//! a receiver's answer is read up to a few KB (a flood is cut off), and its
//! words never reach the incident's timeline or page.
mod support;

use app::{environment::Environment, outbound::Outbound, reach::sender::Sender};
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};
use support::{
    form,
    reach::{add_channel, route_to_channel, test_message},
    spawn_app,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A service inside the network: it answers every request with `status`,
/// a body that starts with a password, and then `mib` MiB more, counting
/// the bytes it got out before the caller hung up.
async fn chatty_service(status: u16, mib: usize) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let written = Arc::new(AtomicUsize::new(0));
    let counted = written.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0_u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n\r\npassword=hunter2-internal ",
                    (mib << 20) + 26
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 1 << 16];
                for _ in 0..(mib << 4) {
                    if stream.write_all(&chunk).await.is_err() {
                        return;
                    }
                    counted.fetch_add(chunk.len(), Ordering::Relaxed);
                }
            });
        }
    });
    (port, written)
}

#[tokio::test]
async fn channels_inside_the_network_are_refused_unless_allowed() {
    let mut app = spawn_app(Environment::Production).await;
    app.state.outbound = Outbound::default();
    let app = app.rebuilt();
    let admin = app.session_for(app::auth::Role::Admin).await;
    for (name, kind, address) in [
        (
            "metadata",
            "webhook",
            "https://169.254.169.254/latest/meta-data/",
        ),
        ("private", "webhook", "https://10.1.2.3:8443/"),
        ("nowhere", "webhook", "https://0.0.0.0:8443/"),
        ("loop", "webhook", "http://127.0.0.1:9/hook"),
        ("named-loop", "webhook", "http://localhost:9/hook"),
        ("v6-loop", "webhook", "http://[::1]:9/hook"),
        ("mail", "email", "10.0.0.5:587"),
    ] {
        let answer = add_channel(
            &app,
            &admin,
            &[
                ("name", name),
                ("kind", kind),
                ("address", address),
                ("sender", "muster@example.com"),
                ("recipients", "oncall@example.com"),
            ],
        )
        .await;
        assert_eq!(answer.status, 422, "{address}: {}", answer.body);
        assert!(
            answer.body.contains("inside the network"),
            "{address}: {}",
            answer.body
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM channels").await, 0);
}

#[tokio::test]
async fn a_channel_stored_while_allowed_is_refused_when_it_sends_after() {
    let (port, written) = chatty_service(200, 1).await;
    let app = spawn_app(Environment::Production).await;
    let admin = app.session_for(app::auth::Role::Admin).await;
    add_channel(
        &app,
        &admin,
        &[
            ("name", "inside"),
            ("kind", "webhook"),
            ("address", &format!("http://127.0.0.1:{port}/hook")),
        ],
    )
    .await
    .ok();
    // The allowance is taken back (Muster restarted without it).
    let mut app = app;
    app.state.outbound = Outbound::default();
    let app = app.rebuilt();
    let page = test_message(&app, &admin, "inside").await;
    assert!(
        page.contains(r#"data-state="failed""#) && page.contains("127.0.0.1 is a loopback address"),
        "{page}"
    );
    assert_eq!(written.load(Ordering::Relaxed), 0, "nothing was sent to it");
}

#[tokio::test]
async fn answers_are_read_a_few_kb_at_most_and_their_words_stay_with_admins() {
    // Allowed (as the tests' loopback is), it refuses with a flood: 64 MiB.
    let (port, written) = chatty_service(404, 64).await;
    let clock = support::manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await;
    let admin = app.session_of("admin@demo.muster").await;
    add_channel(
        &app,
        &admin,
        &[
            ("name", "internal-chat"),
            ("kind", "webhook"),
            ("preset", "slack"),
            ("address", &format!("http://127.0.0.1:{port}/hook")),
        ],
    )
    .await
    .ok();
    let editor = app.session_of("editor@demo.muster").await;
    let runbook = app
        .count("SELECT id FROM plans WHERE kind = 'runbook' ORDER BY id LIMIT 1")
        .await;
    let channel = app
        .count("SELECT id FROM channels WHERE name = 'internal-chat'")
        .await;
    route_to_channel(&app, &editor, runbook, channel).await.ok();
    let responder = app.session_of("responder@demo.muster").await;
    app.post_as(
        &responder,
        "/api/incidents/declare",
        &form(&[
            ("title", "Checkout down"),
            ("severity", "sev1"),
            ("impact", ""),
            ("runbook", &runbook.to_string()),
        ]),
    )
    .await
    .ok();
    let incident = app.count("SELECT MAX(id) FROM incidents").await;
    let sender = Sender::new(app.auth.secret_key.clone(), app.state.outbound.clone());
    sender
        .run_due(&app.state.db, app::clock::TimeSource::now(&*clock))
        .await
        .expect("send");
    // Muster hung up after a few KB: the service got out far less than it
    // meant to (loopback buffers hold a few MiB at most).
    let out = written.load(Ordering::Relaxed);
    assert!(
        out < 32 << 20,
        "{} MiB of a 64 MiB answer were read",
        out >> 20
    );

    // The admin reads the answer on the channel's page ...
    let log = app
        .get_as(&admin, "/admin/channels/internal-chat")
        .await
        .ok()
        .body;
    assert!(log.contains("HTTP 404 password=hunter2-internal"), "{log}");
    // ... and nobody reads it on the incident.
    let viewer = app.session_of("viewer@demo.muster").await;
    let page = app
        .get_as(&viewer, &format!("/incidents/{incident}"))
        .await
        .ok()
        .body;
    assert!(page.contains("internal-chat: HTTP 404"), "{page}");
    assert!(!page.contains("hunter2"), "{page}");
    let (said,): (String,) =
        sqlx::query_as("SELECT group_concat(text, ' | ') FROM timeline WHERE incident_id = ?")
            .bind(incident)
            .fetch_one(&app.state.db.read)
            .await
            .expect("timeline");
    assert!(said.contains("could not be delivered: HTTP 404"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
}
