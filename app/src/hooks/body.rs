//! What a verified delivery's body says, as an event: Stripe sends its
//! event objects (deduped with imported ones by their id); GitHub its
//! webhook payloads, named by the `X-GitHub-Event` header; Slack its
//! Events API callbacks (and a URL check, answered with its challenge);
//! Standard Webhooks and token senders any JSON object with an action or
//! type. Keys that are not vendor ids are prefixed with the source's name,
//! so two sources never dedupe each other's deliveries.
use crate::events::{
    generic::{outcome, text},
    record::{Outcome, Parsed, Source},
    time,
};
use crate::signing::{Scheme, Verified};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What a body asks for.
#[derive(Debug)]
pub enum Body {
    Event(Box<Parsed>),
    /// Slack's check of a new address: answered with its challenge,
    /// nothing stored.
    Challenge(String),
}

/// What the request carried besides its body.
pub struct Delivery<'a> {
    pub source: &'a str,
    pub scheme: Scheme,
    pub verified: &'a Verified,
    pub header: &'a dyn Fn(&str) -> Option<String>,
    pub received_at: DateTime<Utc>,
}

/// Reads the body as the scheme's senders write it. The reason, when it
/// is refused, may quote the body: it is for the delivery log (redacted
/// there), not for the answer.
pub fn read(d: &Delivery, body: &[u8]) -> Result<Body, String> {
    let record: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))?;
    if !record.is_object() {
        return Err("the body is not a JSON object".into());
    }
    let parsed = match d.scheme {
        Scheme::Stripe => crate::events::stripe::event(record)?,
        Scheme::Github => github(d, body, record)?,
        Scheme::Slack => {
            if text(&record, "type").as_deref() == Some("url_verification") {
                let challenge =
                    text(&record, "challenge").ok_or("a URL check without a challenge")?;
                return Ok(Body::Challenge(challenge.chars().take(200).collect()));
            }
            slack(d, record)?
        }
        Scheme::StandardWebhooks | Scheme::Token => loose(d, body, record)?,
    };
    Ok(Body::Event(Box::new(parsed)))
}

/// The key a delivery is deduped by where the sender gives no vendor id.
fn own_key(source: &str, id: &str) -> String {
    format!("{source}:{id}")
}

/// A hash of the exact (signed) body: a replay carries the same body even
/// when the unsigned headers around it are changed.
fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn first(record: &Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| text(record, n))
}

fn summary(actor: &str, action: &str, target: &str) -> String {
    [actor, action, target]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

fn github(d: &Delivery, body: &[u8], record: Value) -> Result<Parsed, String> {
    let event = (d.header)("X-GitHub-Event")
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .ok_or("the X-GitHub-Event header is missing")?;
    let action = match text(&record, "action") {
        Some(a) => format!("{event}.{a}"),
        None => event,
    };
    let actor = text(&record, "sender.login").unwrap_or_else(|| "github".into());
    let target =
        first(&record, &["repository.full_name", "organization.login"]).unwrap_or_default();
    let conclusion = first(
        &record,
        &[
            "workflow_run.conclusion",
            "check_run.conclusion",
            "check_suite.conclusion",
        ],
    );
    let outcome = match conclusion.as_deref() {
        Some("success") => Outcome::Success,
        Some("failure" | "cancelled" | "timed_out") => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    Ok(Parsed {
        source: Source::Github,
        // GitHub signs the body, not the delivery header.
        source_id: Some(own_key(d.source, &body_hash(body))),
        occurred_at: d.received_at,
        summary: summary(&actor, &action, &target),
        actor,
        action,
        target,
        outcome,
        request_id: d.verified.delivery_id.clone(),
        environment: None,
        payload: record,
    })
}

fn slack(d: &Delivery, record: Value) -> Result<Parsed, String> {
    let id = text(&record, "event_id").ok_or("has no \"event_id\"")?;
    let action = first(&record, &["event.type", "type"]).ok_or("has no \"event.type\"")?;
    let occurred_at = match record.get("event_time") {
        Some(v) if !v.is_null() => time::from_json(v).map_err(|e| format!("\"event_time\" {e}"))?,
        _ => d.received_at,
    };
    let actor = first(&record, &["event.user", "event.bot_id"]).unwrap_or_else(|| "slack".into());
    let target = first(&record, &["event.channel", "team_id"]).unwrap_or_default();
    Ok(Parsed {
        source: Source::Slack,
        source_id: Some(own_key(d.source, &id)),
        occurred_at,
        summary: summary(&actor, &action, &target),
        actor,
        action,
        target,
        outcome: Outcome::Unknown,
        request_id: None,
        environment: None,
        payload: record,
    })
}

/// Any JSON object with an action or type: the fields are looked for
/// under the names senders commonly use. Deduped by the sender's
/// delivery id where it signs one (Standard Webhooks), otherwise by the
/// body.
fn loose(d: &Delivery, body: &[u8], record: Value) -> Result<Parsed, String> {
    let action = first(&record, &["action", "type", "event_type", "event", "name"])
        .ok_or("has no \"action\" or \"type\"")?;
    let when = ["timestamp", "time", "occurred_at", "created_at", "created"]
        .iter()
        .find_map(|k| record.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)));
    let occurred_at = match when {
        Some((key, v)) => time::from_json(v).map_err(|e| format!("\"{key}\" {e}"))?,
        None => d
            .verified
            .timestamp
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .unwrap_or(d.received_at),
    };
    let actor = first(
        &record,
        &["actor", "user", "sender", "data.actor", "data.user"],
    )
    .unwrap_or_default();
    let target = first(
        &record,
        &["target", "resource", "object", "data.id", "data.object"],
    )
    .unwrap_or_default();
    let said = first(&record, &["outcome", "status", "result", "data.status"]);
    let key = match (d.scheme, &d.verified.delivery_id) {
        (Scheme::StandardWebhooks, Some(id)) => id.clone(),
        _ => body_hash(body),
    };
    Ok(Parsed {
        source: Source::Webhook,
        source_id: Some(own_key(d.source, &key)),
        occurred_at,
        summary: first(&record, &["message", "summary", "description"])
            .unwrap_or_else(|| summary(&actor, &action, &target)),
        actor,
        action,
        target,
        outcome: outcome(said.as_deref()),
        request_id: first(&record, &["request_id", "requestId", "data.request_id"]),
        environment: first(&record, &["environment", "env"]),
        payload: record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_with(
        scheme: Scheme,
        headers: &[(&str, &str)],
        body: &str,
        id: Option<&str>,
    ) -> Result<Body, String> {
        let verified = Verified {
            delivery_id: id.map(str::to_owned),
            timestamp: Some(1_795_011_600),
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| (*v).to_owned())
        };
        let d = Delivery {
            source: "ops",
            scheme,
            verified: &verified,
            header: &header,
            received_at: DateTime::from_timestamp(1_795_011_700, 0).expect("time"),
        };
        read(&d, body.as_bytes())
    }

    fn event(b: Result<Body, String>) -> Parsed {
        match b {
            Ok(Body::Event(p)) => *p,
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn a_stripe_delivery_is_the_stripe_event_and_keeps_its_id() {
        let body = r#"{"id":"evt_9","object":"event","type":"charge.failed","created":1795011600,"livemode":false,"data":{"object":{"id":"ch_1","object":"charge","amount":500}}}"#;
        let e = event(read_with(Scheme::Stripe, &[], body, None));
        assert_eq!(
            (e.source, e.source_id.as_deref()),
            (Source::Stripe, Some("evt_9"))
        );
        assert_eq!(e.action, "charge.failed");
        let missing = read_with(Scheme::Stripe, &[], r#"{"id":"evt_9"}"#, None).unwrap_err();
        assert!(missing.contains("type"), "{missing}");
    }

    #[test]
    fn github_names_the_event_from_its_header_and_dedupes_by_the_signed_body() {
        let body = r#"{"action":"created","sender":{"login":"mona"},"repository":{"full_name":"acme/api"}}"#;
        let e = event(read_with(
            Scheme::Github,
            &[("X-GitHub-Event", "deploy_key")],
            body,
            Some("d-1"),
        ));
        assert_eq!(e.action, "deploy_key.created");
        assert_eq!((e.actor.as_str(), e.target.as_str()), ("mona", "acme/api"));
        let again = event(read_with(
            Scheme::Github,
            &[("X-GitHub-Event", "deploy_key")],
            body,
            Some("d-2"),
        ));
        assert_eq!(
            e.source_id, again.source_id,
            "a new delivery header does not make a replay new"
        );
        assert!(e
            .source_id
            .as_deref()
            .is_some_and(|k| k.starts_with("ops:")));
        assert!(read_with(Scheme::Github, &[], body, None)
            .unwrap_err()
            .contains("X-GitHub-Event"));
    }

    #[test]
    fn slack_url_checks_are_answered_and_callbacks_are_events() {
        match read_with(
            Scheme::Slack,
            &[],
            r#"{"type":"url_verification","challenge":"abc"}"#,
            None,
        ) {
            Ok(Body::Challenge(c)) => assert_eq!(c, "abc"),
            other => panic!("{other:?}"),
        }
        let e = event(read_with(
            Scheme::Slack,
            &[],
            r#"{"type":"event_callback","event_id":"Ev1","event_time":1795011600,"team_id":"T1","event":{"type":"app_mention","user":"U1","channel":"C1"}}"#,
            None,
        ));
        assert_eq!((e.action.as_str(), e.actor.as_str()), ("app_mention", "U1"));
        assert_eq!(e.source_id.as_deref(), Some("ops:Ev1"));
        assert_eq!(e.occurred_at.timestamp(), 1_795_011_600);
    }

    #[test]
    fn any_object_with_an_action_reads_with_its_time_or_the_signed_one() {
        let e = event(read_with(
            Scheme::Token,
            &[],
            r#"{"event":"zap.step.failed","status":"401","zap":"Sync invoices"}"#,
            None,
        ));
        assert_eq!(e.action, "zap.step.failed");
        assert_eq!(e.outcome, Outcome::Failure, "an HTTP 401 did not end well");
        assert_eq!(e.occurred_at.timestamp(), 1_795_011_600, "the signed time");
        let e = event(read_with(
            Scheme::StandardWebhooks,
            &[],
            r#"{"type":"invoice.paid","timestamp":"2026-11-18T14:20:00Z","data":{"id":"in_1"}}"#,
            Some("msg_1"),
        ));
        assert_eq!(
            (e.action.as_str(), e.target.as_str()),
            ("invoice.paid", "in_1")
        );
        assert_eq!(e.source_id.as_deref(), Some("ops:msg_1"));
        assert_eq!(
            read_with(Scheme::Token, &[], r#"{"zap":"x"}"#, None).unwrap_err(),
            "has no \"action\" or \"type\""
        );
        assert_eq!(
            read_with(Scheme::Token, &[], "[1]", None).unwrap_err(),
            "the body is not a JSON object"
        );
        assert!(read_with(Scheme::Token, &[], "{", None)
            .unwrap_err()
            .starts_with("the body is not JSON"));
    }
}
