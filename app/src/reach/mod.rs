//! Reaching people: channels that carry Muster's messages out (email over
//! SMTP, outgoing webhooks shaped for Standard Webhooks receivers, Slack
//! or Microsoft Teams), an outbox written in the same transaction as the
//! change that causes a message, and a sender that delivers it with
//! retries, timeouts and a rate limit per channel, logging every attempt.
//!
//! Nothing leaves a sandbox or staging Muster, or any drill: the message
//! is recorded in the outbox as withheld, with whom it would have reached,
//! so a drill rehearses the routing without reaching anyone.
#[cfg(feature = "ssr")]
mod ack;
mod api;
#[cfg(feature = "ssr")]
mod customers;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
mod line;
#[cfg(feature = "ssr")]
pub mod manage;
#[cfg(feature = "ssr")]
pub mod route;
#[cfg(feature = "ssr")]
mod rules;
#[cfg(feature = "ssr")]
pub mod send;
#[cfg(feature = "ssr")]
pub mod sender;
mod view;

pub use api::*;
pub use view::{AckPage, ChannelPage, ChannelsPage, RoutingPage};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How many channels an instance may have.
pub const MAX_CHANNELS: i64 = 50;
/// A message's subject and body are cut to these (in characters).
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 4000;
/// An answer kept from a receiver (status line, SMTP reply), in characters.
pub const MAX_ANSWER: usize = 300;
/// Recipients an email channel may list.
pub const MAX_RECIPIENTS: usize = 50;
/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// Messages a channel takes per minute unless told otherwise, and at most.
pub const DEFAULT_PER_MINUTE: i64 = 30;
pub const MAX_PER_MINUTE: i64 = 600;
/// How long one delivery may take before it counts as failed.
pub const SEND_TIMEOUT_SECS: u64 = 10;
/// Outbox rows (and their attempts) kept, the newest; older ones that are
/// finished are deleted as the sender runs. The audit log and timelines
/// keep what mattered.
pub const OUTBOX_KEPT: i64 = 10_000;
/// Outbox lines a channel page shows.
pub const OUTBOX_SHOWN: i64 = 50;

/// Where Muster runs: its environment (nothing leaves outside
/// production) and its public address (for links).
pub struct Place<'a> {
    pub environment: crate::environment::Environment,
    pub public_url: &'a str,
}

/// A call as its acknowledge page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallView {
    pub incident_id: i64,
    pub headline: String,
    pub person: String,
    pub role: String,
    /// open, acked, escalated, closed or expired.
    pub state: String,
}

/// A routing rule as the routing page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleLine {
    pub id: i64,
    /// "Runbook: Payment provider outage", "Alert rule: Payment failures spike".
    pub scope: String,
    /// "Role: Incident Commander", "Person: Rae Responder", "Channel: team-chat".
    pub target: String,
    pub escalate_minutes: i64,
}

/// The routing page: the rules, and what a new rule may name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    pub rules: Vec<RuleLine>,
    /// ("runbook:ID" or "alert:ID", label)
    pub scopes: Vec<(String, String)>,
    /// ("role:ID", "person:ID" or "channel:ID", label)
    pub targets: Vec<(String, String)>,
}

/// Routing rules a runbook or alert rule may have, and in all.
pub const MAX_RULES_EACH: i64 = 20;
pub const MAX_RULES: i64 = 500;
/// Why a customer channel is never a routing rule's target nor sent a
/// call: customers receive only approved notices, with no link into Muster.
pub const CUSTOMERS_ONLY_NOTICES: &str =
    "refused: a channel for customers receives only approved notices, never calls";

/// Email or webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Email,
    Webhook,
}

/// How a webhook's body is shaped and signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    /// JSON signed as Standard Webhooks (webhook-id, -timestamp, -signature).
    Standard,
    /// A Slack incoming webhook: `{"text": ...}`; the URL is the secret.
    Slack,
    /// A Microsoft Teams incoming webhook (workflow): an Adaptive Card.
    Teams,
}

/// How an email channel reaches its SMTP server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// No encryption: only to a server on this machine (loopback).
    Plain,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Webhook => "webhook",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "email" => Some(Kind::Email),
            "webhook" => Some(Kind::Webhook),
            _ => None,
        }
    }
}

impl Preset {
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Standard => "standard",
            Preset::Slack => "slack",
            Preset::Teams => "teams",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "" | "standard" => Some(Preset::Standard),
            "slack" => Some(Preset::Slack),
            "teams" => Some(Preset::Teams),
            _ => None,
        }
    }
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Starttls => "starttls",
            Security::Tls => "tls",
            Security::Plain => "plain",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "" | "starttls" => Some(Security::Starttls),
            "tls" => Some(Security::Tls),
            "plain" => Some(Security::Plain),
            _ => None,
        }
    }
}

/// A channel as its pages show it (never its password or signing secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub kind: Kind,
    pub preset: Preset,
    /// Webhook: its URL with any path and query hidden (Slack and Teams
    /// URLs hold their secret there). Email: host:port.
    pub shown_address: String,
    pub security: Security,
    pub username: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub for_customers: bool,
    pub per_minute: i64,
    pub enabled: bool,
    pub has_secret: bool,
    pub created_at: DateTime<Utc>,
}

/// A channel's settings as checked from a form or the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub name: String,
    pub kind: Kind,
    pub preset: Preset,
    /// Webhook URL, or SMTP host:port.
    pub address: String,
    pub security: Security,
    pub username: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub for_customers: bool,
    pub per_minute: i64,
}

/// What a person entered, before it is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsForm {
    pub name: String,
    pub kind: String,
    pub preset: String,
    pub address: String,
    pub security: String,
    pub username: String,
    pub sender: String,
    pub recipients: String,
    pub for_customers: Option<String>,
    pub per_minute: String,
}

#[cfg(feature = "ssr")]
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What of a delivery's answer anyone who reads the incident may see: its
/// status ("HTTP 404", "SMTP 550") or Muster's own words, never the
/// receiver's words (a service inside the network may answer with anything,
/// a password it echoed among them). Admins read whole answers on the
/// channel's page.
pub fn answer_for_everyone(answer: &str) -> String {
    let code = |rest: &str| {
        rest.split_whitespace()
            .next()
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned)
    };
    if let Some(rest) = answer.strip_prefix("HTTP ") {
        return code(rest).map_or_else(|| "HTTP error".into(), |c| format!("HTTP {c}"));
    }
    if let Some(rest) = answer.strip_prefix("SMTP ") {
        return code(rest).map_or_else(|| "SMTP error".into(), |c| format!("SMTP {c}"));
    }
    if let Some(rest) = answer.strip_prefix("SMTP: ") {
        // The mail library's words, with the server's code in brackets.
        let coded = rest
            .split_once('(')
            .and_then(|(_, r)| r.split_once(')'))
            .and_then(|(c, _)| code(c));
        return coded.map_or_else(|| "SMTP error".into(), |c| format!("SMTP {c}"));
    }
    // Muster's own words ("refused: ...", "no answer within 10 s").
    answer.to_owned()
}

/// Splits `host:port` (a bracketed IPv6 host allowed).
pub fn host_port(address: &str) -> Option<(String, u16)> {
    let (host, port) = address.trim().rsplit_once(':')?;
    let port = port.parse::<u16>().ok().filter(|p| *p > 0)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    ok.then(|| (host.to_owned(), port))
}

/// A plain email address: one `@`, no spaces or angle brackets, bounded.
#[cfg(feature = "ssr")]
pub fn check_email(address: &str) -> Result<String, String> {
    let a = address.trim();
    let valid = a.len() <= 254
        && a.split('@').count() == 2
        && a.split('@').all(|p| !p.is_empty())
        && a.rsplit('@')
            .next()
            .is_some_and(|d| d.contains('.') || is_loopback_host(d))
        && !a.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
        });
    if valid {
        Ok(a.to_owned())
    } else {
        Err(format!(
            "'{}' is not an email address",
            crate::fields::shown(a)
        ))
    }
}

/// A webhook URL, checked: https, or http only to a server on this
/// machine; no user name or password in it. Returns its host.
#[cfg(feature = "ssr")]
pub fn check_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    if url.len() > 2000 {
        return Err("is longer than 2,000 characters".into());
    }
    let parsed = url::Url::parse(url).map_err(|_| "is not a URL (https://...)".to_owned())?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not hold a user name or password".into());
    }
    let host = parsed.host_str().ok_or("has no host")?.to_owned();
    match parsed.scheme() {
        "https" => Ok(host),
        "http" if is_loopback_host(&host) => Ok(host),
        "http" => Err("must use https (http only to a server on this machine)".into()),
        _ => Err("must be an https:// URL".into()),
    }
}

/// A URL shown without its path or query (where Slack and Teams keep
/// their secret): `https://hooks.slack.com/…`.
pub fn shown_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let more = rest.len() > authority.len();
            format!("{scheme}://{authority}{}", if more { "/…" } else { "" })
        }
        None => "(not a URL)".into(),
    }
}

#[cfg(feature = "ssr")]
impl SettingsForm {
    /// [`Self::checked`], as the one error type (field and message).
    pub fn check(&self) -> Result<Settings, crate::error::AppError> {
        self.checked().map_err(|e| match e.split_once(": ") {
            Some((field, message)) => crate::error::AppError::invalid(field, message),
            None => crate::error::AppError::invalid("Channel", e),
        })
    }

    /// Checks every field, naming the first that is wrong ("Field: why").
    pub fn checked(&self) -> Result<Settings, String> {
        let name = self.name.trim();
        if name.is_empty()
            || name.len() > 40
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            return Err("Name: 1 to 40 letters, digits, - or _".into());
        }
        let kind = Kind::parse(&self.kind).ok_or("Kind: email or webhook")?;
        let preset = match kind {
            Kind::Webhook => {
                Preset::parse(&self.preset).ok_or("Preset: standard, slack or teams")?
            }
            Kind::Email => Preset::Standard,
        };
        let security = match kind {
            Kind::Email => {
                Security::parse(&self.security).ok_or("Security: starttls, tls or plain")?
            }
            Kind::Webhook => Security::Tls,
        };
        let address = self.address.trim().to_owned();
        let per_minute = match self.per_minute.trim() {
            "" => DEFAULT_PER_MINUTE,
            n => n
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_PER_MINUTE).contains(n))
                .ok_or(format!(
                    "Per minute: a whole number from 1 to {MAX_PER_MINUTE}"
                ))?,
        };
        let recipients: Vec<String> = self
            .recipients
            .split([',', '\n', ' '])
            .filter(|r| !r.trim().is_empty())
            .map(check_email)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("Recipients: {e}"))?;
        if recipients.len() > MAX_RECIPIENTS {
            return Err(format!("Recipients: at most {MAX_RECIPIENTS}"));
        }
        let username = self.username.trim().to_owned();
        if username.len() > 200 || username.chars().any(char::is_control) {
            return Err("User: at most 200 characters, on one line".into());
        }
        let sender = match kind {
            Kind::Email => check_email(&self.sender).map_err(|e| format!("From: {e}"))?,
            Kind::Webhook => String::new(),
        };
        match kind {
            Kind::Email => {
                let (host, _) =
                    host_port(&address).ok_or("Server: host:port, such as smtp.example.com:587")?;
                if security == Security::Plain && !is_loopback_host(&host) {
                    return Err(
                        "Security: plain (unencrypted) SMTP only to a server on this machine; use starttls or tls"
                            .into(),
                    );
                }
            }
            Kind::Webhook => {
                check_url(&address).map_err(|e| format!("URL: {e}"))?;
            }
        }
        Ok(Settings {
            name: name.to_owned(),
            kind,
            preset,
            address,
            security,
            username,
            sender,
            recipients,
            for_customers: self
                .for_customers
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v != "false"),
            per_minute,
        })
    }
}

/// Why a message is withheld rather than delivered, if it is: any drill,
/// and every instance that is not production.
pub fn withheld_because(
    environment: crate::environment::Environment,
    drill: bool,
) -> Option<&'static str> {
    use crate::environment::Environment::*;
    match (drill, environment) {
        (true, _) => Some("a drill"),
        (false, Sandbox) => Some("the sandbox"),
        (false, Staging) => Some("staging"),
        (false, Production) => None,
    }
}

/// When to try again after `attempts` failed tries: 30 s, doubling, at
/// most an hour.
pub fn backoff(attempts: i64) -> Duration {
    let step = attempts.clamp(1, 8) - 1;
    Duration::seconds((30_i64 << step).min(3600))
}

/// Cuts text to `max` characters, marking the cut.
pub fn bounded(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// State of a message in the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Pending,
    Sent,
    Failed,
    Withheld,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sent => "sent",
            State::Failed => "failed",
            State::Withheld => "withheld",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "sent" => State::Sent,
            "failed" => State::Failed,
            "withheld" => State::Withheld,
            _ => State::Pending,
        }
    }
}

/// One outbox line as pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxLine {
    pub id: i64,
    pub channel: String,
    pub purpose: String,
    pub subject: String,
    pub to: String,
    pub state: State,
    /// For withheld messages: "would have sent to ... (a drill)".
    pub note: String,
    pub attempts: i64,
    pub answer: String,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

/// One delivery attempt, as the channel page's delivery log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AttemptLine {
    pub at: DateTime<Utc>,
    /// sent, retry or failed.
    pub outcome: String,
    /// HTTP status or SMTP reply code.
    pub code: Option<i64>,
    pub answer: String,
    pub subject: String,
}

/// A message to put in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub purpose: &'static str,
    pub incident_id: Option<i64>,
    /// An email address (a person's), or empty for the channel's own
    /// recipients or URL.
    pub to: String,
    pub subject: String,
    pub body: String,
    /// A link for the receiver (the incident's page, an acknowledge link).
    pub link: Option<String>,
    /// The call a message is for: its acknowledge key is made when it is
    /// sent, in place of [`route::ACK_KEY`] in the body.
    pub call_id: Option<i64>,
}

#[cfg(test)]
mod tests;
