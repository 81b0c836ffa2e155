//! One normalised event, whatever its source: when, who, what, to what,
//! how it ended, and the payload with its secrets taken out, bounded in
//! size, and fingerprinted so a copy of the original can later be proven
//! to match without Muster keeping it.
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// The most of a redacted payload kept, in bytes; past it the stored text
/// is cut and marked.
pub const MAX_PAYLOAD: usize = 64 * 1024;
/// The most of any one text field kept, in characters.
pub const MAX_FIELD: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    Stripe,
    Zapier,
    Pipedream,
    Github,
    Cloudtrail,
    Generic,
    /// Slack's Events API, through a signed webhook.
    Slack,
    /// Any other sender of signed (or token) webhooks.
    Webhook,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Zapier => "zapier",
            Self::Pipedream => "pipedream",
            Self::Github => "github",
            Self::Cloudtrail => "cloudtrail",
            Self::Generic => "generic",
            Self::Slack => "slack",
            Self::Webhook => "webhook",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Unknown,
}

/// An event as a parser reads it, before redaction: every text field and
/// the payload still hold what the source wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub source: Source,
    /// The vendor's id; `None` for sources that have none (dedupe then
    /// uses a hash of the record).
    pub source_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    pub environment: Option<String>,
    pub summary: String,
    pub payload: Value,
}

/// An event ready to store: nothing in it holds a secret.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub source: Source,
    /// The vendor's id, or `hash:` and the record's hash.
    pub dedupe_key: String,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    pub environment: Option<String>,
    pub summary: String,
    /// The redacted payload as JSON text, at most [`MAX_PAYLOAD`] bytes.
    pub payload: String,
    pub truncated: bool,
    /// HMAC-SHA256, under the instance's key, of the original payload in
    /// canonical form (hex).
    pub fingerprint: String,
}

/// JSON with every object's keys in order and no spaces: the same record
/// gives the same text however its keys were ordered.
pub fn canonical(value: &Value) -> String {
    fn write(value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push(b'{');
                for (n, key) in keys.into_iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    // Writing to a Vec cannot fail.
                    let _ = serde_json::to_writer(&mut *out, key);
                    out.push(b':');
                    write(&map[key], out);
                }
                out.push(b'}');
            }
            Value::Array(items) => {
                out.push(b'[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    write(item, out);
                }
                out.push(b']');
            }
            other => {
                let _ = serde_json::to_writer(&mut *out, other);
            }
        }
    }
    let mut out = Vec::with_capacity(256);
    write(value, &mut out);
    // serde_json writes UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// The keyed fingerprint of a payload (hex of HMAC-SHA256 over its
/// canonical form).
pub fn fingerprint(key: &[u8], payload: &Value) -> String {
    fingerprint_of(key, &canonical(payload))
}

fn fingerprint_of(key: &[u8], canonical: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this cannot happen.
        <Hmac<Sha256> as Mac>::new_from_slice(&[0]).expect("a key")
    });
    mac.update(canonical.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The name the fingerprint key is stored under in `sealed_keys`.
pub const FINGERPRINT_KEY: &str = "events.fingerprint";

/// The key fingerprints are made with: made at random the first time,
/// stored sealed with the instance's key file, opened with it each time.
/// A rotation of the key file seals it anew, so fingerprints made before
/// still prove a copy matches after. `Err` when the key file does not
/// open it (the wrong key file).
pub async fn fingerprint_key(
    write: &sqlx::SqlitePool,
    sealing: &crate::sealing::SecretKey,
) -> Result<[u8; 32], String> {
    use super::db::keys;
    let fail = |e: sqlx::Error| format!("the fingerprint key cannot be read: {e}");
    let sealed = match keys::sealed(write, FINGERPRINT_KEY).await.map_err(fail)? {
        Some(sealed) => sealed,
        None => {
            let fresh = crate::sealing::SecretKey::generate();
            let sealed = sealing
                .seal(fresh.as_bytes())
                .ok_or("the fingerprint key cannot be sealed")?;
            // Two first imports at once: the first one stored wins.
            keys::keep_first(write, FINGERPRINT_KEY, &sealed)
                .await
                .map_err(fail)?;
            keys::sealed(write, FINGERPRINT_KEY)
                .await
                .map_err(fail)?
                .unwrap_or(sealed)
        }
    };
    sealing
        .open(&sealed)
        .and_then(|key| <[u8; 32]>::try_from(key.as_slice()).ok())
        .ok_or_else(|| "the key file does not open the fingerprint key (is it the key file this database was used with?)".into())
}

/// The dedupe hash of a record without a vendor id (its canonical form).
pub fn record_hash(payload: &Value) -> String {
    hash_of(&canonical(payload))
}

fn hash_of(canonical: &str) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// The dedupe key of a record without a vendor id: `hash:` and its hash,
/// led by the time it holds when the time is the record's own (a generic
/// log's). The time changes nothing about which records are the same (it
/// is part of the record), but it makes keys of a log written in time
/// order arrive in order, so the unique index grows at its end instead of
/// at random places: several times faster for a large import.
pub fn hash_key(payload: &Value, own_time: Option<DateTime<Utc>>) -> String {
    key_of(&canonical(payload), own_time)
}

fn key_of(canonical: &str, own_time: Option<DateTime<Utc>>) -> String {
    match own_time {
        Some(at) => format!("hash:{:013}:{}", at.timestamp_millis(), hash_of(canonical)),
        None => format!("hash:{}", hash_of(canonical)),
    }
}

/// The non-empty text at a JSON pointer (`/request/id`), if there is one.
pub fn text_at<'a>(record: &'a Value, pointer: &str) -> Option<&'a str> {
    record
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// At most `max` characters.
fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

impl Parsed {
    /// Redacts every field and the payload, bounds them, and fingerprints
    /// the original under `key`.
    pub fn into_event(self, key: &[u8]) -> NewEvent {
        use super::redact::text;
        let canonical = canonical(&self.payload);
        let fingerprint = fingerprint_of(key, &canonical);
        let dedupe_key = match &self.source_id {
            Some(id) => id.clone(),
            None => key_of(
                &canonical,
                (self.source == Source::Generic).then_some(self.occurred_at),
            ),
        };
        let mut payload = self.payload;
        super::redact::json(&mut payload);
        let mut payload = payload.to_string();
        let truncated = payload.len() > MAX_PAYLOAD;
        if truncated {
            let mut cut = MAX_PAYLOAD;
            while !payload.is_char_boundary(cut) {
                cut -= 1;
            }
            payload.truncate(cut);
        }
        let field = |s: &str| bounded(&text(s), MAX_FIELD);
        NewEvent {
            source: self.source,
            dedupe_key: field(&dedupe_key),
            occurred_at: self.occurred_at,
            actor: field(&self.actor),
            action: field(&self.action),
            target: field(&self.target),
            outcome: self.outcome,
            request_id: self.request_id.as_deref().map(field),
            environment: self.environment.as_deref().map(field),
            summary: field(&self.summary),
            payload,
            truncated,
            fingerprint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(payload: Value) -> Parsed {
        Parsed {
            source: Source::Generic,
            source_id: None,
            occurred_at: DateTime::from_timestamp(1_795_011_600, 0).expect("a time"),
            actor: "ops@example.com".into(),
            action: "key.rotate".into(),
            target: "orders-api".into(),
            outcome: Outcome::Success,
            request_id: Some("req_1".into()),
            environment: None,
            summary: "rotated with sk_live_51Hx9aBcDeFgHiJkLmNoP".into(),
            payload,
        }
    }

    #[test]
    fn key_order_does_not_change_the_canonical_form_hash_or_fingerprint() {
        let a = json!({"b": 1, "a": {"y": [1, "x"], "x": null}});
        let b = json!({"a": {"x": null, "y": [1, "x"]}, "b": 1});
        assert_eq!(canonical(&a), r#"{"a":{"x":null,"y":[1,"x"]},"b":1}"#);
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(record_hash(&a), record_hash(&b));
        assert_eq!(fingerprint(b"key", &a), fingerprint(b"key", &b));
        assert_ne!(
            fingerprint(b"key", &a),
            fingerprint(b"other key", &a),
            "keyed"
        );
        assert_ne!(record_hash(&a), record_hash(&json!({"b": 2})));
    }

    #[test]
    fn an_event_keeps_no_secret_and_its_fingerprint_proves_the_original() {
        let original = json!({"password": "hunter2", "note": "card 4242 4242 4242 4242"});
        let event = parsed(original.clone()).into_event(b"instance key");
        let stored = format!("{event:?}");
        for secret in [
            "hunter2",
            "4242 4242 4242 4242",
            "sk_live_51Hx9aBcDeFgHiJkLmNoP",
            "ops@",
        ] {
            assert!(!stored.contains(secret), "{secret} in {stored}");
        }
        assert_eq!(event.fingerprint, fingerprint(b"instance key", &original));
        assert!(event.dedupe_key.starts_with("hash:"));
        assert!(!event.truncated);
    }

    #[test]
    fn a_huge_payload_is_kept_cut_and_marked() {
        let event = parsed(json!({"text": "é".repeat(100 * 1024)})).into_event(b"k");
        assert!(event.truncated);
        assert!(event.payload.len() <= MAX_PAYLOAD);
        let long = Parsed {
            actor: "a".repeat(10_000),
            ..parsed(json!({}))
        }
        .into_event(b"k");
        assert_eq!(long.actor.chars().count(), MAX_FIELD + 1);
    }
}
