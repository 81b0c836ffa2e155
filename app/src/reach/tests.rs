use super::*;
use crate::environment::Environment;

fn form(kind: &str, address: &str) -> SettingsForm {
    SettingsForm {
        name: "ops-mail".into(),
        kind: kind.into(),
        address: address.into(),
        sender: "muster@example.com".into(),
        ..Default::default()
    }
}

#[test]
fn email_channels_require_encryption_except_to_this_machine() {
    let ok = form("email", "smtp.example.com:587")
        .checked()
        .expect("starttls by default");
    assert_eq!(
        (ok.security, ok.per_minute),
        (Security::Starttls, DEFAULT_PER_MINUTE)
    );
    let plain = SettingsForm {
        security: "plain".into(),
        ..form("email", "smtp.example.com:25")
    };
    assert!(plain
        .checked()
        .unwrap_err()
        .starts_with("Security: plain (unencrypted) SMTP only"));
    for local in ["127.0.0.1:2525", "localhost:25", "[::1]:25"] {
        let plain = SettingsForm {
            security: "plain".into(),
            ..form("email", local)
        };
        assert_eq!(
            plain.checked().map(|s| s.security),
            Ok(Security::Plain),
            "{local}"
        );
    }
    assert!(form("email", "smtp.example.com")
        .checked()
        .unwrap_err()
        .starts_with("Server:"));
    let no_from = SettingsForm {
        sender: "not an address".into(),
        ..form("email", "smtp.example.com:587")
    };
    assert!(no_from.checked().unwrap_err().starts_with("From: "));
    let list = SettingsForm {
        recipients: "a@example.com, b@example.com\nc@example.com".into(),
        for_customers: Some("on".into()),
        ..form("email", "smtp.example.com:465")
    };
    let list = list.checked().expect("a list");
    assert_eq!(list.recipients.len(), 3);
    assert!(list.for_customers);
    let too_many = SettingsForm {
        recipients: (0..=MAX_RECIPIENTS)
            .map(|i| format!("p{i}@example.com"))
            .collect::<Vec<_>>()
            .join(","),
        ..form("email", "smtp.example.com:465")
    };
    assert_eq!(
        too_many.checked().unwrap_err(),
        format!("Recipients: at most {MAX_RECIPIENTS}")
    );
}

#[test]
fn webhooks_need_https_except_to_this_machine_and_hide_their_secret_path() {
    assert!(
        form("webhook", "https://hooks.slack.com/services/T0/B0/XXXX")
            .checked()
            .is_ok()
    );
    assert!(form("webhook", "http://127.0.0.1:9999/in")
        .checked()
        .is_ok());
    assert_eq!(
        form("webhook", "http://status.example.com/in")
            .checked()
            .unwrap_err(),
        "URL: must use https (http only to a server on this machine)"
    );
    assert_eq!(
        form("webhook", "https://user:pw@example.com/")
            .checked()
            .unwrap_err(),
        "URL: must not hold a user name or password"
    );
    assert!(form("webhook", "ftp://example.com").checked().is_err());
    assert_eq!(
        shown_url("https://hooks.slack.com/services/T0/B0/XXXX"),
        "https://hooks.slack.com/…"
    );
    let bad_preset = SettingsForm {
        preset: "discord".into(),
        ..form("webhook", "https://example.com/")
    };
    assert!(bad_preset.checked().unwrap_err().starts_with("Preset:"));
    let fast = SettingsForm {
        per_minute: "601".into(),
        ..form("webhook", "https://example.com/")
    };
    assert!(fast.checked().unwrap_err().starts_with("Per minute:"));
    let bad_name = SettingsForm {
        name: "two words".into(),
        ..form("webhook", "https://example.com/")
    };
    assert!(bad_name.checked().unwrap_err().starts_with("Name:"));
}

#[test]
fn nothing_leaves_a_drill_the_sandbox_or_staging() {
    assert_eq!(withheld_because(Environment::Production, false), None);
    assert_eq!(
        withheld_because(Environment::Production, true),
        Some("a drill")
    );
    assert_eq!(
        withheld_because(Environment::Sandbox, false),
        Some("the sandbox")
    );
    assert_eq!(
        withheld_because(Environment::Staging, false),
        Some("staging")
    );
}

#[test]
fn retries_back_off_from_thirty_seconds_to_an_hour() {
    let secs: Vec<i64> = (1..=9).map(|n| backoff(n).num_seconds()).collect();
    assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    assert_eq!(bounded("abcdef", 4), "abc…");
    assert_eq!(bounded("abc", 4), "abc");
}
