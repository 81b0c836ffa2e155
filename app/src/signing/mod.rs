//! Signed webhooks, both ways: checking that a delivery to a source comes
//! from its sender, before its body is parsed, and signing what a channel
//! sends (`sign`), so hooks and reach share one implementation. Checking: each scheme's signature, compared in constant time
//! (through `Mac::verify_slice`), its timestamp held to a tolerance, and
//! during a secret's rotation any of the secrets still valid may match.
//! A refusal says what was wrong in a few words, never the secret, the
//! signature or the body.
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub mod secret;

type HmacSha256 = Hmac<Sha256>;

/// How far a signed timestamp may be from now, either way, in seconds.
pub const TOLERANCE: i64 = 300;

/// How a sender signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `Stripe-Signature: t=..,v1=..`: HMAC over `t.body`, keyed by the
    /// whole `whsec_` string.
    Stripe,
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<b64>`:
    /// HMAC over `id.timestamp.body`, keyed by the base64 after `whsec_`.
    StandardWebhooks,
    /// `X-Hub-Signature-256: sha256=<hex>` over the body; no timestamp.
    Github,
    /// `X-Slack-Signature: v0=<hex>` over `v0:timestamp:body`, with
    /// `X-Slack-Request-Timestamp`.
    Slack,
    /// A shared secret sent as is in `X-Muster-Token`, for senders that
    /// cannot sign (weaker: anyone who sees one request can send more).
    Token,
}

impl Scheme {
    pub const ALL: [Self; 5] = [
        Self::Stripe,
        Self::StandardWebhooks,
        Self::Github,
        Self::Slack,
        Self::Token,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::StandardWebhooks => "standard-webhooks",
            Self::Github => "github",
            Self::Slack => "slack",
            Self::Token => "token",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name.trim())
    }
}

/// Why a delivery is refused, with the status it is answered with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("the {0} header is malformed")]
    Malformed(&'static str),
    #[error("the signature does not match")]
    Wrong,
    #[error("the timestamp is too old")]
    Expired,
    #[error("the timestamp is in the future")]
    Future,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Self::Missing(_) | Self::Malformed(_) => 400,
            Self::Wrong | Self::Expired | Self::Future => 401,
        }
    }
}

/// What a verified delivery says of itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The sender's id of this delivery (its idempotency key), if the
    /// scheme has one.
    pub delivery_id: Option<String>,
    /// The signed time, if the scheme signs one.
    pub timestamp: Option<i64>,
}

/// Checks a delivery against the source's secrets (the current one, and
/// the previous one while a rotation overlaps). `header` finds a header
/// by name, in any case.
pub fn verify(
    scheme: Scheme,
    secrets: &[&str],
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    now: i64,
) -> Result<Verified, Refusal> {
    match scheme {
        Scheme::Stripe => {
            let value = need(header, "Stripe-Signature")?;
            let mut t = None;
            let mut v1 = Vec::new();
            for part in value.split(',') {
                match part.trim().split_once('=') {
                    Some(("t", v)) => t = v.parse::<i64>().ok(),
                    Some(("v1", v)) => {
                        v1.push(from_hex(v).ok_or(Refusal::Malformed("Stripe-Signature"))?)
                    }
                    _ => {}
                }
            }
            let t = t.ok_or(Refusal::Malformed("Stripe-Signature"))?;
            if v1.is_empty() {
                return Err(Refusal::Malformed("Stripe-Signature"));
            }
            fresh(t, now)?;
            let signed = [t.to_string().as_bytes(), b".", body].concat();
            matches(secrets.iter().map(|s| s.as_bytes().to_vec()), &signed, &v1)?;
            Ok(Verified {
                delivery_id: None,
                timestamp: Some(t),
            })
        }
        Scheme::StandardWebhooks => {
            let id = need(header, "webhook-id")?;
            let t = need(header, "webhook-timestamp")?
                .trim()
                .parse::<i64>()
                .map_err(|_| Refusal::Malformed("webhook-timestamp"))?;
            let signatures = need(header, "webhook-signature")?
                .split_whitespace()
                .filter_map(|entry| entry.strip_prefix("v1,"))
                .map(|b64| {
                    STANDARD
                        .decode(b64)
                        .map_err(|_| Refusal::Malformed("webhook-signature"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if signatures.is_empty() {
                return Err(Refusal::Malformed("webhook-signature"));
            }
            fresh(t, now)?;
            let keys = secrets
                .iter()
                .filter_map(|s| STANDARD.decode(s.strip_prefix("whsec_").unwrap_or(s)).ok());
            let signed = [id.as_bytes(), b".", t.to_string().as_bytes(), b".", body].concat();
            matches(keys, &signed, &signatures)?;
            Ok(Verified {
                delivery_id: Some(id),
                timestamp: Some(t),
            })
        }
        Scheme::Github => {
            let value = need(header, "X-Hub-Signature-256")?;
            let signature = value
                .trim()
                .strip_prefix("sha256=")
                .and_then(from_hex)
                .ok_or(Refusal::Malformed("X-Hub-Signature-256"))?;
            matches(
                secrets.iter().map(|s| s.as_bytes().to_vec()),
                body,
                &[signature],
            )?;
            Ok(Verified {
                delivery_id: header("X-GitHub-Delivery").filter(|d| !d.trim().is_empty()),
                timestamp: None,
            })
        }
        Scheme::Slack => {
            let t = need(header, "X-Slack-Request-Timestamp")?
                .trim()
                .parse::<i64>()
                .map_err(|_| Refusal::Malformed("X-Slack-Request-Timestamp"))?;
            let signature = need(header, "X-Slack-Signature")?
                .trim()
                .strip_prefix("v0=")
                .and_then(from_hex)
                .ok_or(Refusal::Malformed("X-Slack-Signature"))?;
            fresh(t, now)?;
            let signed = [b"v0:", t.to_string().as_bytes(), b":", body].concat();
            matches(
                secrets.iter().map(|s| s.as_bytes().to_vec()),
                &signed,
                &[signature],
            )?;
            Ok(Verified {
                delivery_id: None,
                timestamp: Some(t),
            })
        }
        Scheme::Token => {
            let presented = need(header, "X-Muster-Token")?;
            // Compared as MACs of a fixed text under each, in constant time.
            let tag = |key: &[u8]| {
                let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
                mac.update(b"muster static token");
                mac
            };
            let presented = tag(presented.trim().as_bytes()).finalize().into_bytes();
            if secrets
                .iter()
                .any(|s| tag(s.as_bytes()).verify_slice(&presented).is_ok())
            {
                Ok(Verified {
                    delivery_id: header(TOKEN_DELIVERY).filter(|d| !d.trim().is_empty()),
                    timestamp: None,
                })
            } else {
                Err(Refusal::Wrong)
            }
        }
    }
}

/// The header a token sender may name its delivery in (its idempotency key).
pub const TOKEN_DELIVERY: &str = "X-Muster-Delivery";

/// The headers a sender using `scheme` sends with `body` at `now`, `id`
/// naming the delivery where the scheme has a place for it: what the
/// tests, the load measure and a source page's test delivery sign with.
pub fn sign(
    scheme: Scheme,
    secret: &str,
    body: &[u8],
    now: i64,
    id: &str,
) -> Vec<(&'static str, String)> {
    let mac = |key: &[u8], signed: &[u8]| {
        let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
        mac.update(signed);
        mac.finalize().into_bytes().to_vec()
    };
    let t = now.to_string();
    match scheme {
        Scheme::Stripe => {
            let signed = [t.as_bytes(), b".", body].concat();
            vec![(
                "Stripe-Signature",
                format!("t={t},v1={}", hex::encode(mac(secret.as_bytes(), &signed))),
            )]
        }
        Scheme::StandardWebhooks => {
            let key = STANDARD
                .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
                .unwrap_or_default();
            let signed = [id.as_bytes(), b".", t.as_bytes(), b".", body].concat();
            vec![
                ("webhook-id", id.to_owned()),
                ("webhook-timestamp", t),
                (
                    "webhook-signature",
                    format!("v1,{}", STANDARD.encode(mac(&key, &signed))),
                ),
            ]
        }
        Scheme::Github => vec![
            (
                "X-Hub-Signature-256",
                format!("sha256={}", hex::encode(mac(secret.as_bytes(), body))),
            ),
            ("X-GitHub-Delivery", id.to_owned()),
        ],
        Scheme::Slack => {
            let signed = [b"v0:", t.as_bytes(), b":", body].concat();
            vec![
                (
                    "X-Slack-Signature",
                    format!("v0={}", hex::encode(mac(secret.as_bytes(), &signed))),
                ),
                ("X-Slack-Request-Timestamp", t),
            ]
        }
        Scheme::Token => vec![
            ("X-Muster-Token", secret.to_owned()),
            (TOKEN_DELIVERY, id.to_owned()),
        ],
    }
}

fn need(header: &dyn Fn(&str) -> Option<String>, name: &'static str) -> Result<String, Refusal> {
    header(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or(Refusal::Missing(name))
}

fn fresh(t: i64, now: i64) -> Result<(), Refusal> {
    if t < now - TOLERANCE {
        Err(Refusal::Expired)
    } else if t > now + TOLERANCE {
        Err(Refusal::Future)
    } else {
        Ok(())
    }
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) || text.is_empty() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether any key signs `signed` to any of the signatures.
fn matches(
    keys: impl Iterator<Item = Vec<u8>>,
    signed: &[u8],
    signatures: &[Vec<u8>],
) -> Result<(), Refusal> {
    for key in keys {
        let mut mac = HmacSha256::new_from_slice(&key).expect("any key length");
        mac.update(signed);
        for signature in signatures {
            // verify_slice compares in constant time.
            if mac.clone().verify_slice(signature).is_ok() {
                return Ok(());
            }
        }
    }
    Err(Refusal::Wrong)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Vec<Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/events/webhooks.json"
        );
        let text = std::fs::read(path).expect("the signature vectors");
        let doc: Value = serde_json::from_slice(&text).expect("json");
        doc["vectors"].as_array().expect("vectors").clone()
    }

    fn headers(v: &Value) -> impl Fn(&str) -> Option<String> + '_ {
        move |name: &str| {
            v["headers"].as_object().and_then(|h| {
                h.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, v)| v.as_str().map(str::to_owned))
            })
        }
    }

    fn body(v: &Value) -> Vec<u8> {
        STANDARD
            .decode(v["body_base64"].as_str().expect("body"))
            .expect("base64")
    }

    #[test]
    fn the_published_vectors_verify_and_nothing_else_does() {
        let all = vectors();
        assert_eq!(all.len(), 5);
        for v in &all {
            let scheme = Scheme::parse(v["scheme"].as_str().expect("scheme")).expect("a scheme");
            let secret = v["secret"].as_str().expect("secret");
            let at = v["verify_at"].as_i64().unwrap_or(0);
            let (h, b) = (headers(v), body(v));
            let name = v["name"].as_str().expect("name");
            let ok = verify(scheme, &[secret], &h, &b, at);
            assert!(ok.is_ok(), "{name}: {ok:?}");
            // Another secret, a changed body, or (where signed) a late clock.
            assert_eq!(
                verify(scheme, &["whsec_bm90IHRoZSBzZWNyZXQ="], &h, &b, at),
                Err(Refusal::Wrong),
                "{name}"
            );
            let mut changed = b.clone();
            changed.push(b' ');
            assert_eq!(
                verify(scheme, &[secret], &h, &changed, at),
                Err(Refusal::Wrong),
                "{name}"
            );
            if scheme != Scheme::Github {
                assert_eq!(
                    verify(scheme, &[secret], &h, &b, at + TOLERANCE + 1),
                    Err(Refusal::Expired),
                    "{name}"
                );
                assert_eq!(
                    verify(scheme, &[secret], &h, &b, at - TOLERANCE - 1),
                    Err(Refusal::Future),
                    "{name}"
                );
                assert!(
                    verify(scheme, &[secret], &h, &b, at + TOLERANCE).is_ok(),
                    "{name}: at the edge"
                );
            }
            // During a rotation the old secret still verifies.
            assert!(
                verify(
                    scheme,
                    &["whsec_bmV3LXNlY3JldC1mb3ItbXVzdGVy", secret],
                    &h,
                    &b,
                    at
                )
                .is_ok(),
                "{name}"
            );
        }
        let standard = &all[0];
        assert_eq!(
            verify(
                Scheme::StandardWebhooks,
                &[standard["secret"].as_str().expect("s")],
                &headers(standard),
                &body(standard),
                1_614_265_330
            )
            .expect("valid")
            .delivery_id
            .as_deref(),
            Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
            "the id is the idempotency key"
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_told_apart() {
        let none = |_: &str| None;
        assert_eq!(
            verify(Scheme::Stripe, &["whsec_x"], &none, b"{}", 0),
            Err(Refusal::Missing("Stripe-Signature"))
        );
        let bad = |name: &str| (name == "Stripe-Signature").then(|| "t=abc,v1=zz".to_owned());
        assert_eq!(
            verify(Scheme::Stripe, &["whsec_x"], &bad, b"{}", 0),
            Err(Refusal::Malformed("Stripe-Signature"))
        );
        let no_v1 = |name: &str| (name == "Stripe-Signature").then(|| "t=1,v0=abcd".to_owned());
        assert_eq!(
            verify(Scheme::Stripe, &["whsec_x"], &no_v1, b"{}", 1),
            Err(Refusal::Malformed("Stripe-Signature"))
        );
        let github = |name: &str| (name == "X-Hub-Signature-256").then(|| "sha1=abcd".to_owned());
        assert_eq!(
            verify(Scheme::Github, &["s"], &github, b"{}", 0),
            Err(Refusal::Malformed("X-Hub-Signature-256"))
        );
        assert_eq!(Refusal::Missing("x").status(), 400);
        assert_eq!(Refusal::Wrong.status(), 401);
    }

    #[test]
    fn what_sign_makes_verifies_under_its_secret_only() {
        let body = br#"{"id":"evt_1","type":"charge.failed"}"#;
        for scheme in Scheme::ALL {
            let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
            let headers = sign(scheme, secret, body, 1_800_000_000, "msg_1");
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            let verified = verify(scheme, &[secret], &header, body, 1_800_000_100)
                .unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
            if scheme != Scheme::Stripe && scheme != Scheme::Slack {
                assert_eq!(verified.delivery_id.as_deref(), Some("msg_1"), "{scheme:?}");
            }
            let other = "whsec_plJ3nmyCDGBKInavdOK15jsl";
            assert_eq!(
                verify(scheme, &[other], &header, body, 1_800_000_100),
                Err(Refusal::Wrong),
                "{scheme:?}"
            );
        }
    }

    #[test]
    fn slack_and_token_senders_are_checked_too() {
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather";
        let t = 1_531_420_618_i64;
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(format!("v0:{t}:").as_bytes());
        mac.update(body);
        let signature = hex::encode(mac.finalize().into_bytes());
        let h = |name: &str| match name {
            "X-Slack-Request-Timestamp" => Some(t.to_string()),
            "X-Slack-Signature" => Some(format!("v0={signature}")),
            _ => None,
        };
        assert!(verify(Scheme::Slack, &[secret], &h, body, t + 10).is_ok());
        assert_eq!(
            verify(Scheme::Slack, &["other"], &h, body, t),
            Err(Refusal::Wrong)
        );
        assert_eq!(
            verify(Scheme::Slack, &[secret], &h, body, t + 301),
            Err(Refusal::Expired)
        );

        let token = |name: &str| (name == "X-Muster-Token").then(|| "s3cret-token".to_owned());
        assert!(verify(Scheme::Token, &["s3cret-token"], &token, b"{}", 0).is_ok());
        assert_eq!(
            verify(Scheme::Token, &["s3cret-tokeN"], &token, b"{}", 0),
            Err(Refusal::Wrong)
        );
        assert!(
            verify(Scheme::Token, &["new", "s3cret-token"], &token, b"{}", 0).is_ok(),
            "the old one during a rotation"
        );
        let shown = format!("{:?} {}", Refusal::Wrong, Refusal::Wrong);
        assert!(
            !shown.contains("s3cret"),
            "a refusal never shows the secret"
        );
    }
}
