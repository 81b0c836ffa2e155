//! A message committed before Muster is killed goes out once after it
//! restarts. The channel is off when its test message is queued (an off
//! channel holds its messages), Muster is killed with SIGKILL with the
//! message still in its outbox, the channel is turned on while Muster is
//! down, and the restarted Muster's sender delivers it: exactly one
//! delivery, with the message's own id, signed as Standard Webhooks (the
//! receiver checks the signature with its own HMAC, not Muster's code).
use e2e::{muster_binary, Muster, MusterOptions, PATIENCE};
use std::{
    path::Path,
    process::Command,
    sync::{Arc, Mutex},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Debug)]
struct Got {
    id: String,
    verified: bool,
}

/// Checks a Standard Webhooks signature as a receiver would.
fn verify(secret: &str, id: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use hmac::{Hmac, Mac};
    let Ok(key) = STANDARD.decode(secret.trim_start_matches("whsec_")) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    signature.split(' ').any(|s| s == expected)
}

/// A webhook receiver on a loopback port: reads each request whole,
/// answers 200, and keeps what it saw.
async fn receiver(secret: Arc<Mutex<String>>) -> (u16, Arc<Mutex<Vec<Got>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let got: Arc<Mutex<Vec<Got>>> = Arc::default();
    let kept = got.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then as much body as Content-Length says.
            let (head_end, length) = loop {
                let Ok(n) = stream.read(&mut buf).await else {
                    break (0, 0);
                };
                if n == 0 {
                    break (0, 0);
                }
                raw.extend_from_slice(&buf[..n]);
                if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&raw[..i]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    break (i + 4, length);
                }
            };
            if head_end == 0 {
                continue;
            }
            while raw.len() < head_end + length {
                let Ok(n) = stream.read(&mut buf).await else {
                    break;
                };
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
            }
            let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.trim()
                            .eq_ignore_ascii_case(name)
                            .then(|| v.trim().to_owned())
                    })
                    .unwrap_or_default()
            };
            let body = &raw[head_end..(head_end + length).min(raw.len())];
            let id = header("webhook-id");
            let secret = secret.lock().expect("lock").clone();
            let verified = verify(
                &secret,
                &id,
                &header("webhook-timestamp"),
                body,
                &header("webhook-signature"),
            );
            kept.lock().expect("lock").push(Got { id, verified });
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .await;
        }
    });
    (port, got)
}

fn channel(database: &Path, args: &[&str]) -> String {
    let out = Command::new(muster_binary())
        .env_remove("MUSTER_DATABASE")
        .env_remove("MUSTER_ENV")
        // The test's receiver listens on loopback, which Muster reaches
        // only when allowed.
        .env("MUSTER_ALLOW_NETWORKS", "127.0.0.1/32")
        .arg("channel")
        .args(args)
        .arg(format!("--database={}", database.display()))
        .output()
        .expect("muster channel");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    said
}

async fn outbox_state(database: &Path) -> (String, String) {
    use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions};
    let mut conn = SqliteConnectOptions::new()
        .filename(database)
        .connect()
        .await
        .expect("open");
    sqlx::query_as("SELECT state, key FROM outbox ORDER BY id DESC LIMIT 1")
        .fetch_one(&mut conn)
        .await
        .expect("one message")
}

#[tokio::test]
async fn a_message_committed_before_a_kill_goes_out_once_after_the_restart() {
    let secret: Arc<Mutex<String>> = Arc::default();
    let (port, got) = receiver(secret.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    let database = dir.path().join("muster.db");
    let muster = Muster::start(MusterOptions {
        database: Some(database.clone()),
        args: vec!["--allow-network=127.0.0.1/32".into()],
        ..Default::default()
    });
    let address = format!("http://127.0.0.1:{port}/in");
    let added = channel(
        &database,
        &["add", "hook", "--kind", "webhook", "--address", &address],
    );
    *secret.lock().expect("lock") = added.lines().last().expect("the secret").trim().to_owned();
    channel(&database, &["disable", "hook"]);
    let queued = channel(&database, &["test", "hook"]);
    assert!(
        queued.starts_with("Queued: held: the channel is off"),
        "{queued}"
    );
    assert_eq!(outbox_state(&database).await.0, "pending");

    // Killed with the message committed and not sent.
    drop(muster);
    assert!(got.lock().expect("lock").is_empty());
    channel(&database, &["enable", "hook"]);
    let listed = channel(&database, &["list"]);
    assert!(
        listed.contains("hook\twebhook\thttp://127.0.0.1:") && listed.contains("\ton"),
        "{listed}"
    );

    let again = Muster::start(MusterOptions {
        database: Some(database.clone()),
        args: vec!["--allow-network=127.0.0.1/32".into()],
        ..Default::default()
    });
    let deadline = std::time::Instant::now() + PATIENCE;
    while got.lock().expect("lock").is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (state, key) = outbox_state(&database).await;
    // Three more of the sender's rounds: nothing goes twice.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1, "exactly once: {got:?}");
    assert!(got[0].verified, "signed as Standard Webhooks");
    assert_eq!((state.as_str(), got[0].id.as_str()), ("sent", key.as_str()));
    again.stop();
}
