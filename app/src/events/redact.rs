//! Secrets are taken out of imported events before anything is stored,
//! indexed or logged. Every rule is listed in [`RULES`] (the events page
//! shows them) and applied to every field and to the whole payload.
use regex::Regex;
use serde_json::Value;
use std::{borrow::Cow, sync::LazyLock};

/// What stands where a secret was.
pub const REDACTED: &str = "[redacted]";

/// The rules, as people read them.
pub const RULES: &[&str] = &[
    "The value of any key or header whose name, read without regard to case, _ or -, contains password, passwd, pwd, passphrase, secret, token, apikey, authorization, authkey, cookie, session, credential, privatekey or accesskey, or ends in auth (not one that only names or types a secret: secretId, token_type, roleSessionName)",
    "The same names inside text: form bodies and query strings (token=…), header lines (Authorization: …)",
    "Credentials in addresses (https://user:password@host)",
    "Bearer and Basic authorization values",
    "Stripe keys (sk_, rk_, whsec_), AWS access key ids (AKIA, ASIA) and secret keys, GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), Slack tokens (xox…), JSON web tokens",
    "Card numbers (13 to 19 digits, with or without spaces or dashes, that pass the Luhn check): all but the last four digits",
    "Email addresses: the part before @ (the domain is kept)",
];

/// Secret names as they appear inside text (`token=…`, `Authorization: …`).
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "authorization",
    "cookie",
    "session",
    "credential",
    "private_key",
    "privatekey",
    "private-key",
    "access_key",
    "accesskey",
    "access-key",
];

/// The same, for key and header names read without case, `_` or `-`
/// (`privateKey`, `PRIVATE-KEY` and `private_key` are one name).
const SECRET_NAME_PARTS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "authkey",
    "cookie",
    "session",
    "credential",
    "privatekey",
    "accesskey",
];

static SECRET_NAMES: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(SECRET_NAME_PARTS)
        .expect("the secret names")
});

/// Key names longer than this (without `_` and `-`) are read in a copy on
/// the heap; shorter ones, nearly all, in a buffer on the stack.
const SHORT_NAME: usize = 64;

/// Names that say what a secret is called, not what it holds (AWS's
/// `secretId` names a secret; `token_type`, `roleSessionName`): kept,
/// since which secret was read is the evidence.
const NAMING_ENDS: &[&str] = &[
    "name",
    "arn",
    "type",
    "secretid",
    "secret_id",
    "_at",
    "expires",
];

/// Whether a key or header with this name holds a secret.
pub fn is_secret_key(name: &str) -> bool {
    // Asked of every key of every payload: the normal form of a short name
    // is built on the stack, not allocated.
    let folded = name
        .bytes()
        .filter(|b| *b != b'_' && *b != b'-')
        .map(|b| b.to_ascii_lowercase());
    let mut short = [0_u8; SHORT_NAME];
    let long: Vec<u8>;
    let normal: &[u8] = if name.len() <= SHORT_NAME {
        let mut n = 0;
        for b in folded {
            short[n] = b;
            n += 1;
        }
        &short[..n]
    } else {
        long = folded.collect();
        &long
    };
    let named = normal.ends_with(b"auth") || SECRET_NAMES.is_match(normal);
    named
        && !NAMING_ENDS.iter().any(|end| {
            name.len() >= end.len()
                && name.as_bytes()[name.len() - end.len()..].eq_ignore_ascii_case(end.as_bytes())
        })
}

fn rule(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("redaction rule {pattern}: {e}"))
}

static URL_CREDENTIALS: LazyLock<Regex> =
    LazyLock::new(|| rule(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@:]+:[^\s/?#@]+@"));
/// `name=value` and `name: value` where the name is a secret's (a colon
/// needs a space after it, as in a header line, so ARNs stay whole).
static NAMED_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    rule(&format!(
        r#"(?i)([A-Za-z0-9_.\-]*(?:{})[A-Za-z0-9_.\-]*)(=|:[ \t]+)([^&\s"',;]+)"#,
        SECRET_KEY_PARTS.join("|")
    ))
});
static AUTH_VALUE: LazyLock<Regex> =
    LazyLock::new(|| rule(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*"));
static KEY_SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    rule(concat!(
        r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}",
        r"|\bwhsec_[A-Za-z0-9+/=]{8,}",
        r"|\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
        r"|\bgh[pousr]_[A-Za-z0-9]{20,}",
        r"|\bgithub_pat_[A-Za-z0-9_]{20,}",
        r"|\bxox[abposr]-[A-Za-z0-9-]{8,}",
        r"|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}",
    ))
});
/// Runs that could be an AWS secret key (40 characters of base64).
static LONG_RUNS: LazyLock<Regex> = LazyLock::new(|| rule(r"[A-Za-z0-9/+=]{40,}"));
static CARDS: LazyLock<Regex> = LazyLock::new(|| rule(r"\b\d(?:[ -]?\d){12,18}\b"));
static EMAILS: LazyLock<Regex> = LazyLock::new(|| {
    rule(r"\b[A-Za-z0-9._%+\-]+@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})\b")
});

/// What `text` asks of the bytes before it runs a rule: each rule runs
/// only where its marks are present. One pass of an automaton and one
/// pass over the bytes answer every question (most text holds no secret,
/// and an import asks them of every string).
struct Marks {
    at: bool,
    scheme_separator: bool,
    auth_word: bool,
    named: bool,
    key_mark: bool,
    /// A run of 40 or more base64 characters (an AWS secret key's shape).
    long_run: bool,
    /// 13 or more digits with at most single spaces or dashes between.
    card_run: bool,
}

/// Needles: "://", the two authorization words, the parts of secret names,
/// then the beginnings of known key shapes (all without regard to case, a
/// superset of what the rules match).
const URL_NEEDLE: usize = 0;
const AUTH_NEEDLES: std::ops::Range<usize> = 1..3;
const NAME_NEEDLES: std::ops::Range<usize> = 3..3 + SECRET_KEY_PARTS.len();
const KEY_NEEDLES: [&str; 13] = [
    "sk_",
    "rk_",
    "whsec_",
    "akia",
    "asia",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "eyj",
];
static NEEDLES: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    let needles: Vec<&str> = ["://", "bearer", "basic"]
        .into_iter()
        .chain(SECRET_KEY_PARTS.iter().copied())
        .chain(KEY_NEEDLES)
        .collect();
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        // A few dozen short needles: a full DFA is small and the fastest
        // to run over every string of an import.
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(needles)
        .expect("the redaction needles")
});

impl Marks {
    fn of(input: &str) -> Self {
        let mut m = Marks {
            at: false,
            scheme_separator: false,
            auth_word: false,
            named: false,
            key_mark: false,
            long_run: false,
            card_run: false,
        };
        let mut name_part = false;
        for found in NEEDLES.find_overlapping_iter(input) {
            let id = found.pattern().as_usize();
            if id == URL_NEEDLE {
                m.scheme_separator = true;
            } else if AUTH_NEEDLES.contains(&id) {
                m.auth_word = true;
            } else if NAME_NEEDLES.contains(&id) {
                name_part = true;
            } else {
                m.key_mark = true;
            }
        }
        let bytes = input.as_bytes();
        m.at = bytes.contains(&b'@');
        let colon_or_equals = name_part && bytes.iter().any(|&b| b == b'=' || b == b':');
        // Most strings are too short for either run: no walk for them.
        let may_card = bytes.iter().filter(|b| b.is_ascii_digit()).count() >= 13;
        if bytes.len() >= 40 || may_card {
            let (mut run, mut digits, mut after_digit, mut separated) = (0, 0, false, false);
            for &b in bytes {
                if b.is_ascii_alphanumeric() || b == b'/' || b == b'+' || b == b'=' {
                    run += 1;
                    m.long_run |= run >= 40;
                } else {
                    run = 0;
                }
                if b.is_ascii_digit() {
                    digits += 1;
                    after_digit = true;
                    separated = false;
                    m.card_run |= digits >= 13;
                } else if (b == b' ' || b == b'-') && after_digit && !separated {
                    after_digit = false;
                    separated = true;
                } else {
                    digits = 0;
                    after_digit = false;
                    separated = false;
                }
            }
        }
        m.named = name_part && colon_or_equals;
        m
    }
}

/// Text with every secret shape replaced.
pub fn text(input: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(input);
    let mut apply = |may: bool, re: &Regex, with: &dyn Fn(&str) -> Option<String>| {
        if may {
            if let Some(changed) = replace_found(&out, re, with) {
                out = Cow::Owned(changed);
            }
        }
    };
    let marks = Marks::of(input);
    apply(marks.at && marks.scheme_separator, &URL_CREDENTIALS, &|m| {
        // The scheme's characters hold no ':', so the first "://" ends it.
        let scheme = m.find("://")? + 3;
        Some(format!("{}{REDACTED}@", &m[..scheme]))
    });
    apply(marks.auth_word, &AUTH_VALUE, &|m| {
        let word = if m.as_bytes()[..6.min(m.len())].eq_ignore_ascii_case(b"bearer") {
            6
        } else {
            5
        };
        Some(format!("{} {REDACTED}", &m[..word]))
    });
    apply(marks.named, &NAMED_VALUE, &|m| {
        // A name holds no '=' or ':', so the first one starts the
        // separator; after a ':' come spaces or tabs, then the value.
        let separator = m.find(['=', ':'])?;
        let value = m[separator + 1..].trim_start_matches([' ', '\t']);
        let value_at = m.len() - value.len();
        // A scheme word (Bearer, Basic): its token was taken out above.
        let scheme = value.eq_ignore_ascii_case("bearer") || value.eq_ignore_ascii_case("basic");
        (!value.starts_with(REDACTED) && !scheme).then(|| format!("{}{REDACTED}", &m[..value_at]))
    });
    apply(marks.key_mark, &KEY_SHAPES, &|_| Some(REDACTED.to_owned()));
    apply(marks.long_run, &LONG_RUNS, &|run| {
        let mixed = run.len() == 40
            && run.bytes().any(|b| b.is_ascii_uppercase())
            && run.bytes().any(|b| b.is_ascii_lowercase())
            && run.bytes().any(|b| b.is_ascii_digit());
        mixed.then(|| REDACTED.to_owned())
    });
    apply(marks.card_run, &CARDS, &|run| {
        let digits: Vec<u32> = run.chars().filter_map(|ch| ch.to_digit(10)).collect();
        ((13..=19).contains(&digits.len()) && luhn(&digits)).then(|| {
            let last: String = digits[digits.len() - 4..]
                .iter()
                .map(|d| d.to_string())
                .collect();
            format!("[card ending {last}]")
        })
    });
    apply(marks.at, &EMAILS, &|m| {
        // The part before the domain holds no '@'.
        let at = m.find('@')?;
        Some(format!("•••@{}", &m[at + 1..]))
    });
    out
}

/// `input` with each match of `re` that `with` rewrites replaced, or
/// `None` when none was. Only whole matches are searched for: resolving
/// capture groups is a second search per match, which was most of what
/// redaction cost an import. Each rule cuts its own match apart instead.
fn replace_found(input: &str, re: &Regex, with: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    for found in re.find_iter(input) {
        if let Some(replacement) = with(found.as_str()) {
            let out = out.get_or_insert_with(|| String::with_capacity(input.len()));
            out.push_str(&input[copied..found.start()]);
            out.push_str(&replacement);
            copied = found.end();
        }
    }
    let mut out = out?;
    out.push_str(&input[copied..]);
    Some(out)
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A JSON value with secrets taken out: the values of secret-named keys
/// whole, and every string (and key) by [`text`].
pub fn json(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Cow::Owned(clean) = text(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json),
        Value::Object(map) => {
            // Keys are rebuilt only when one holds a secret (rare): a map
            // rebuilt for every object was a tenth of an import's reading.
            if map.keys().any(|key| matches!(text(key), Cow::Owned(_))) {
                let entries = std::mem::take(map);
                map.extend(
                    entries
                        .into_iter()
                        .map(|(key, v)| (text(&key).into_owned(), v)),
                );
            }
            for (key, v) in map.iter_mut() {
                if is_secret_key(key) && !v.is_null() {
                    *v = Value::String(REDACTED.into());
                } else {
                    json(v);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json as j;

    #[test]
    fn every_secret_shape_is_taken_out() {
        let cases = [
            (
                "token=REDACTEDEXAMPLE&team_id=T0TIDEWTR",
                "token=[redacted]&team_id=T0TIDEWTR",
            ),
            (
                "/hook?api_key=abc123&x=1 and X-Session-Id: s3cr3t",
                "/hook?api_key=[redacted]&x=1 and X-Session-Id: [redacted]",
            ),
            (
                "arn:aws:secretsmanager:us-east-1:482913570246:secret:prod/api-key",
                "arn:aws:secretsmanager:us-east-1:482913570246:secret:prod/api-key",
            ),
            (
                "charge with sk_live_51Hx9aBcDeFgHiJkLmNoP",
                "charge with [redacted]",
            ),
            (
                "rk_test_abcdefgh1234 and whsec_AbC123dEf456",
                "[redacted] and [redacted]",
            ),
            ("key AKIAIOSFODNN7EXAMPLE used", "key [redacted] used"),
            (
                "secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end",
                "secret [redacted] end",
            ),
            (
                "token ghp_1234567890abcdefghijABCDEFGHIJ12 ok",
                "token [redacted] ok",
            ),
            ("gho_abcdefghijklmnopqrstuv", "[redacted]"),
            ("slack xoxb-1234-5678-abcdefgh", "slack [redacted]"),
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
                "jwt [redacted]",
            ),
            (
                "Authorization: Bearer abc.def-ghi_123",
                "Authorization: Bearer [redacted]",
            ),
            ("Basic dXNlcjpwYXNz", "Basic [redacted]"),
            (
                "postgres://admin:hunter2@db.internal:5432/app",
                "postgres://[redacted]@db.internal:5432/app",
            ),
            (
                "card 4242 4242 4242 4242 declined",
                "card [card ending 4242] declined",
            ),
            ("card 4000-0566-5566-5556", "card [card ending 5556]"),
            (
                "mail ops.lead+pager@example.co.uk now",
                "mail •••@example.co.uk now",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(text(input), expected, "{input}");
        }
    }

    #[test]
    fn ordinary_text_is_left_as_it_is() {
        for keep in [
            "order 1234567890123 shipped", // 13 digits, not Luhn-valid
            "commit 9fceb02d0ae598e95dc970b74767f19372d61af8", // a git SHA, hex only
            "request req_8f2kL0aZ, evt_1Nq2 payment_intent.payment_failed",
            "مرحبا 👋🏽 e\u{301} \u{200f}",
            "at 2026-11-18T14:20:00Z",
        ] {
            assert_eq!(text(keep), keep);
        }
    }

    #[test]
    fn secret_named_keys_lose_their_values_anywhere_in_a_payload() {
        assert!(!is_secret_key("secretId") && !is_secret_key("token_type"));
        assert!(is_secret_key("X-Session-Id") && is_secret_key("client_secret"));
        for name in [
            "pwd",
            "db_pwd",
            "passphrase",
            "privateKey",
            "PRIVATE-KEY",
            "auth",
            "basic_auth",
            "X-Auth",
            "access_key",
            "awsAccessKey",
            "Api-Key",
            "auth_key",
        ] {
            assert!(is_secret_key(name), "{name}");
        }
        for name in ["author", "authority", "keyword", "access_level", "accessed"] {
            assert!(!is_secret_key(name), "{name}");
        }
        let long = format!("{}_password", "x".repeat(SHORT_NAME));
        assert!(is_secret_key(&long), "a long name is read whole");
        let mut v = j!({
            "headers": {"Authorization": "Token abc", "X-API-Key": "k-123", "Accept": "json"},
            "body": {"password": "hunter2", "nested": [{"client_secret": "pi_1_secret_x"}, {"card": "4242424242424242"}]},
            "session_id": 42,
            "note": null,
            "contact": "ada@example.com"
        });
        json(&mut v);
        assert_eq!(v["headers"]["Authorization"], REDACTED);
        assert_eq!(v["headers"]["X-API-Key"], REDACTED);
        assert_eq!(v["headers"]["Accept"], "json");
        assert_eq!(v["body"]["password"], REDACTED);
        assert_eq!(v["body"]["nested"][0]["client_secret"], REDACTED);
        assert_eq!(v["body"]["nested"][1]["card"], "[card ending 4242]");
        assert_eq!(v["session_id"], REDACTED, "numbers too");
        assert_eq!(v["note"], j!(null), "an empty value stays empty");
        assert_eq!(v["contact"], "•••@example.com");
        let all = v.to_string();
        for secret in [
            "hunter2",
            "abc",
            "k-123",
            "pi_1_secret_x",
            "4242424242424242",
            "ada@",
        ] {
            assert!(!all.contains(secret), "{secret} in {all}");
        }
    }
}
