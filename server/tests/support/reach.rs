//! Real receivers for what Muster sends, on loopback ports of their own:
//! an SMTP server that speaks enough of the protocol for a real client
//! (greeting, EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) and keeps what it
//! receives; and an HTTP receiver that checks each delivery's Standard
//! Webhooks signature and answers as the test tells it.
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message the SMTP server received.
#[derive(Clone, Debug, Default)]
pub struct Mail {
    /// The decoded AUTH PLAIN (user, password), if the client signed in.
    pub auth: Option<(String, String)>,
    pub from: String,
    pub to: Vec<String>,
    /// The message as it came (headers and encoded body).
    pub data: String,
    /// Its body decoded as a mail reader decodes it (base64 or
    /// quoted-printable).
    pub text: String,
}

/// The body of a message, decoded by its Content-Transfer-Encoding.
fn decoded(data: &str) -> String {
    use base64::Engine;
    let (head, body) = data.split_once("\n\n").unwrap_or((data, ""));
    let encoding = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Transfer-Encoding:"))
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match encoding.as_str() {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap_or_default(),
            )
            .into_owned()
        }
        "quoted-printable" => {
            let mut out = Vec::new();
            let joined = body.replace("=\n", "");
            let bytes = joined.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 2 < bytes.len() + 1 {
                    if let Ok(b) = u8::from_str_radix(&joined[i + 1..(i + 3).min(joined.len())], 16)
                    {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).into_owned()
        }
        _ => body.to_owned(),
    }
}

pub struct SmtpSink {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
    /// Every command a client sent (DATA's content aside).
    pub said: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    /// Recipients whose address holds "refused" get 550.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let said: Arc<Mutex<Vec<String>>> = Arc::default();
        let (kept, heard) = (mails.clone(), said.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (kept, heard) = (kept.clone(), heard.clone());
                tokio::spawn(async move {
                    let _ = converse(stream, kept, heard).await;
                });
            }
        });
        Self { port, mails, said }
    }

    pub fn received(&self) -> Vec<Mail> {
        self.mails.lock().expect("lock").clone()
    }
}

async fn converse(
    stream: tokio::net::TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
    said: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    use base64::Engine;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut mail = Mail::default();
    while let Some(line) = lines.next_line().await? {
        said.lock().expect("lock").push(line.clone());
        let upper = line.to_ascii_uppercase();
        let answer: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if let Some(rest) = line.strip_prefix("AUTH PLAIN ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .unwrap_or_default();
            let parts: Vec<String> = decoded
                .split(|b| *b == 0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            mail.auth = Some((
                parts.get(1).cloned().unwrap_or_default(),
                parts.get(2).cloned().unwrap_or_default(),
            ));
            b"235 2.7.0 signed in\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = line[10..].trim().to_owned();
            b"250 2.1.0 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let to = line[8..].trim().to_owned();
            if to.contains("refused") {
                b"550 5.1.1 no such person here\r\n"
            } else {
                mail.to.push(to);
                b"250 2.1.5 ok\r\n"
            }
        } else if upper == "DATA" {
            write.write_all(b"354 go on\r\n").await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push_str(&l);
                data.push('\n');
            }
            mail.text = decoded(&data);
            mail.data = data;
            mails.lock().expect("lock").push(std::mem::take(&mut mail));
            b"250 2.0.0 queued as 1\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 ok\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not here\r\n"
        };
        write.write_all(answer).await?;
    }
    Ok(())
}

/// One delivery the HTTP receiver got.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub path: String,
    pub id: String,
    pub body: String,
    /// Whether its Standard Webhooks signature verified with the secret.
    pub verified: bool,
}

#[derive(Clone, Default)]
struct Inbox {
    secret: Arc<Mutex<String>>,
    /// Statuses to answer with, in turn; 200 once they run out.
    answers: Arc<Mutex<Vec<u16>>>,
    got: Arc<Mutex<Vec<Delivery>>>,
    /// The time the receiver checks signatures at (Unix seconds).
    now: Arc<Mutex<i64>>,
}

pub struct Receiver {
    pub port: u16,
    inbox: Inbox,
}

impl Receiver {
    pub async fn start() -> Self {
        use axum::{body::Bytes, extract::State, http::HeaderMap, http::Uri, routing::post};
        async fn take(
            State(inbox): State<Inbox>,
            uri: Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> axum::http::StatusCode {
            let secret = inbox.secret.lock().expect("lock").clone();
            let now = *inbox.now.lock().expect("lock");
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let verified = app::signing::verify(
                app::signing::Scheme::StandardWebhooks,
                &[secret.as_str()],
                &header,
                &body,
                now,
            )
            .is_ok();
            inbox.got.lock().expect("lock").push(Delivery {
                path: uri.path().to_owned(),
                id: header("webhook-id").unwrap_or_default(),
                body: String::from_utf8_lossy(&body).into_owned(),
                verified,
            });
            let mut answers = inbox.answers.lock().expect("lock");
            let status = if answers.is_empty() {
                200
            } else {
                answers.remove(0)
            };
            axum::http::StatusCode::from_u16(status).expect("status")
        }
        let inbox = Inbox::default();
        let app = axum::Router::new()
            .route("/{*path}", post(take))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { port, inbox }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The secret signatures are checked with, and the time they are checked at.
    pub fn expect(&self, secret: &str, now: i64) {
        *self.inbox.secret.lock().expect("lock") = secret.to_owned();
        *self.inbox.now.lock().expect("lock") = now;
    }

    /// Answer the next deliveries with these statuses, in turn.
    pub fn answer(&self, statuses: &[u16]) {
        *self.inbox.answers.lock().expect("lock") = statuses.to_vec();
    }

    pub fn received(&self) -> Vec<Delivery> {
        self.inbox.got.lock().expect("lock").clone()
    }
}

/// A channel form as the admin page sends it: `fields` by their short
/// names (`secret` stays as it is), every other field empty.
pub fn channel_form(fields: &[(&str, &str)]) -> String {
    let mut all: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| {
            let key = if *k == "secret" {
                (*k).to_owned()
            } else {
                format!("channel[{k}]")
            };
            (key, (*v).to_owned())
        })
        .collect();
    for k in [
        "name",
        "kind",
        "preset",
        "address",
        "security",
        "username",
        "sender",
        "recipients",
        "per_minute",
    ] {
        if !fields.iter().any(|(f, _)| *f == k) {
            all.push((format!("channel[{k}]"), String::new()));
        }
    }
    serde_urlencoded::to_string(all).expect("form")
}

/// Presses a channel's test button as the holder of `cookie`, then reads
/// the channel's page, where the answer shows.
pub async fn test_message(app: &super::TestApp, cookie: &str, channel: &str) -> String {
    app.post_as(
        cookie,
        "/api/admin/channels/test",
        &super::form(&[("name", channel)]),
    )
    .await
    .ok();
    app.get_as(cookie, &format!("/admin/channels/{channel}"))
        .await
        .ok()
        .body
}

/// Adds a channel through the admin page's form as the holder of `cookie`.
pub async fn add_channel(
    app: &super::TestApp,
    cookie: &str,
    fields: &[(&str, &str)],
) -> super::Answer {
    app.post_as(cookie, "/api/admin/channels/add", &channel_form(fields))
        .await
}

/// A routing rule, as an editor adds it: a runbook's incidents post to a
/// channel.
pub async fn route_to_channel(
    app: &super::TestApp,
    cookie: &str,
    runbook: i64,
    channel: i64,
) -> super::Answer {
    app.post_as(
        cookie,
        "/api/routing/add",
        &super::form(&[
            ("scope", &format!("runbook:{runbook}")),
            ("target", &format!("channel:{channel}")),
            ("minutes", ""),
        ]),
    )
    .await
}

/// An email channel for people, to the sink on `port`, added by an admin.
pub async fn people_mail(app: &super::TestApp, admin: &str, port: u16) {
    add_channel(
        app,
        admin,
        &[
            ("name", "people-mail"),
            ("kind", "email"),
            ("address", &format!("127.0.0.1:{port}")),
            ("security", "plain"),
            ("sender", "muster@example.com"),
        ],
    )
    .await
    .ok();
}

/// The key of the acknowledge link a call's mail carries.
pub fn ack_key(mail: &str) -> String {
    let at = mail
        .find("/ack?key=")
        .unwrap_or_else(|| panic!("no acknowledge link in {mail}"))
        + "/ack?key=".len();
    mail[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
