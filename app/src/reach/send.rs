//! Delivering one message over its channel: SMTP with lettre (STARTTLS or
//! TLS required unless the server is on this machine), webhooks with
//! reqwest (no redirects followed, a timeout, the body shaped for the
//! channel's preset and, for Standard Webhooks, signed so the receiver can
//! verify us). The answer kept is the receiver's status and a few words.
use super::{
    db::{Attempt, Due, Stored},
    Kind, Preset, Security, SEND_TIMEOUT_SECS,
};
use serde_json::json;
use std::time::Duration;

/// What a delivery needs besides the message.
pub struct Outgoing<'a> {
    pub channel: &'a Stored,
    /// The channel's SMTP password or signing secret, opened.
    pub secret: Option<&'a str>,
    /// Unix seconds, for the webhook signature's timestamp.
    pub now: i64,
    /// Where Muster may connect (addresses inside the network are refused).
    pub outbound: &'a crate::outbound::Outbound,
}

/// The most of a receiver's answer Muster reads: enough for a status line
/// and a reason, never a flood held in memory.
pub const MAX_ANSWER_READ: usize = 4096;

/// One HTTP client for every webhook delivery: no redirects (a receiver
/// that moved must be set up again, not followed to wherever it points),
/// and a timeout.
/// Every name it connects to is checked on the addresses it resolves to
/// (see [`crate::outbound`]), and no proxy from the environment is used
/// (a proxy would resolve names where Muster cannot check them).
pub fn client(outbound: &crate::outbound::Outbound) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(outbound.resolver())
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(SEND_TIMEOUT_SECS))
        .user_agent(concat!("Muster/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client's settings are fixed")
}

pub async fn deliver(http: &reqwest::Client, out: &Outgoing<'_>, due: &Due) -> Attempt {
    match out.channel.channel.kind {
        Kind::Webhook => webhook(http, out, due).await,
        Kind::Email => email(out, due).await,
    }
}

/// The text of a message, with its link.
fn text(due: &Due) -> String {
    if due.link.is_empty() {
        due.body.clone()
    } else {
        format!("{}\n\n{}", due.body, due.link)
    }
}

/// The JSON a channel's preset expects.
pub fn webhook_body(preset: Preset, due: &Due, purpose: &str) -> serde_json::Value {
    match preset {
        Preset::Standard => json!({
            "type": format!("muster.{purpose}"),
            "timestamp": due.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "data": {
                "id": due.key,
                "subject": due.subject,
                "text": due.body,
                "link": (!due.link.is_empty()).then_some(&due.link),
            }
        }),
        Preset::Slack => json!({
            "text": if due.link.is_empty() {
                format!("*{}*\n{}", due.subject, due.body)
            } else {
                format!("*{}*\n{}\n<{}|Open in Muster>", due.subject, due.body, due.link)
            }
        }),
        Preset::Teams => {
            let mut card = json!({
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": due.subject, "weight": "Bolder", "wrap": true},
                    {"type": "TextBlock", "text": due.body, "wrap": true}
                ]
            });
            if !due.link.is_empty() {
                card["actions"] =
                    json!([{"type": "Action.OpenUrl", "title": "Open in Muster", "url": due.link}]);
            }
            json!({
                "type": "message",
                "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]
            })
        }
    }
}

/// The purpose is kept in the subject line's tag for email; webhooks say
/// it in their type. Read from the outbox row's purpose by the sender.
async fn webhook(http: &reqwest::Client, out: &Outgoing<'_>, due: &Due) -> Attempt {
    let refused = |why: String| Attempt {
        delivered: false,
        code: None,
        answer: format!("refused: {why}"),
        permanent: true,
    };
    // A name is checked by the client's resolver as it connects; an
    // address written in the URL is never resolved, so it is checked here.
    let host = url::Url::parse(&out.channel.address)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if let Err(why) = out.outbound.check_host(&host) {
        return refused(why);
    }
    let purpose = due.purpose.as_str();
    let body = webhook_body(out.channel.channel.preset, due, purpose).to_string();
    let mut req = http
        .post(&out.channel.address)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if out.channel.channel.preset == Preset::Standard {
        if let Some(secret) = out.secret {
            for (name, value) in crate::signing::sign(
                crate::signing::Scheme::StandardWebhooks,
                secret,
                body.as_bytes(),
                out.now,
                &due.key,
            ) {
                req = req.header(name, value);
            }
        }
    }
    match req.body(body).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let head = read_some(res, MAX_ANSWER_READ).await;
            let words: String = String::from_utf8_lossy(&head)
                .chars()
                .filter(|c| !c.is_control())
                .take(120)
                .collect();
            Attempt {
                delivered: (200..300).contains(&status),
                code: Some(i64::from(status)),
                answer: format!("HTTP {status} {}", words.trim()).trim().to_owned(),
                // Retrying a refusal does not change it; a busy or broken
                // receiver may recover.
                permanent: (400..500).contains(&status) && status != 408 && status != 429,
            }
        }
        Err(e) if resolver_refused(&e).is_some() => {
            refused(resolver_refused(&e).unwrap_or_default())
        }
        Err(e) => Attempt {
            delivered: false,
            code: None,
            answer: if e.is_timeout() {
                format!("no answer within {SEND_TIMEOUT_SECS} s")
            } else if e.is_connect() {
                "could not connect".into()
            } else {
                "the request failed before an answer".into()
            },
            permanent: false,
        },
    }
}

/// At most `limit` bytes of an answer's body; the rest is never read (the
/// connection is dropped with it).
async fn read_some(mut res: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut head = Vec::new();
    while head.len() < limit {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - head.len();
                head.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            _ => break,
        }
    }
    head
}

/// Why the address checks refused a connection, found among an HTTP
/// error's causes.
fn resolver_refused(e: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if text.contains("inside the network") {
            return Some(text);
        }
        cause = c.source();
    }
    None
}

async fn email(out: &Outgoing<'_>, due: &Due) -> Attempt {
    use lettre::{
        message::{header::ContentType, Mailbox},
        transport::smtp::authentication::Credentials,
        AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
    };
    let refused = |answer: String| Attempt {
        delivered: false,
        code: None,
        answer,
        permanent: true,
    };
    let c = &out.channel.channel;
    let Some((host, port)) = super::host_port(&out.channel.address) else {
        return refused("the server is not host:port".into());
    };
    let Ok(from) = c.sender.parse::<Mailbox>() else {
        return refused("the From address does not parse".into());
    };
    let mut builder = lettre::Message::builder()
        .from(from)
        .subject(&due.subject)
        .message_id(Some(format!("<{}@muster>", due.key)))
        .header(ContentType::TEXT_PLAIN);
    let mut any = false;
    for to in due
        .recipient
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        match to.parse::<Mailbox>() {
            Ok(mailbox) => {
                builder = builder.to(mailbox);
                any = true;
            }
            Err(_) => return refused(format!("'{to}' is not an address")),
        }
    }
    if !any {
        return refused("no recipient".into());
    }
    let message = match builder.body(text(due)) {
        Ok(m) => m,
        Err(e) => return refused(format!("the message could not be written: {e}")),
    };
    // The server's name is checked on what it resolves to before Muster
    // connects (the mail library resolves it again, a moment later).
    match out.outbound.resolve(&host, port).await {
        Err(why) if why.contains("inside the network") => {
            return refused(format!("refused: {why}"));
        }
        // A name that does not resolve now may later: tried again.
        Err(why) => {
            return Attempt {
                delivered: false,
                code: None,
                answer: why,
                permanent: false,
            }
        }
        Ok(_) => {}
    }
    let transport = match c.security {
        Security::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host),
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&host),
        Security::Plain => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &host,
        )),
    };
    let mut transport = match transport {
        Ok(t) => t
            .port(port)
            .timeout(Some(Duration::from_secs(SEND_TIMEOUT_SECS))),
        Err(e) => return refused(format!("TLS could not be set up: {e}")),
    };
    if !c.username.is_empty() {
        transport = transport.credentials(Credentials::new(
            c.username.clone(),
            out.secret.unwrap_or_default().to_owned(),
        ));
    }
    match transport.build().send(message).await {
        Ok(res) => Attempt {
            delivered: true,
            code: res.code().to_string().parse().ok(),
            answer: format!(
                "SMTP {} {}",
                res.code(),
                res.message().next().unwrap_or_default()
            ),
            permanent: false,
        },
        // A server that does not offer STARTTLS when the channel requires
        // it is a setting to fix, not a passing fault: failed at once, and
        // said so, never retried (lettre calls it a client error).
        Err(e) if e.is_client() && e.to_string().contains("STARTTLS") => Attempt {
            delivered: false,
            code: None,
            answer: "refused: the server does not offer STARTTLS, which this channel requires \
                     (nothing was sent, no password either); choose TLS, or a server that offers STARTTLS"
                .into(),
            permanent: true,
        },
        Err(e) => Attempt {
            delivered: false,
            code: e.status().and_then(|c| c.to_string().parse().ok()),
            // lettre's errors name the server's reply, never our password.
            answer: format!("SMTP: {e}"),
            // A client error is ours (settings, TLS set-up): trying again
            // changes nothing.
            permanent: e.is_permanent() || e.is_client(),
        },
    }
}
