//! Every refusal of a webhook delivery, through the real router on a real
//! SQLite file: each answers as specified (every refusal before the
//! delivery is verified alike, an unknown source included, so sources
//! cannot be found by trying names), stores nothing, is in its
//! source's delivery log, and no secret, signature or payload reaches an
//! answer or a log line. Alone in its file: the log capture is per
//! thread, and another test's thread would skew what it sees.
mod support;

use app::hooks::ingest::NOT_VERIFIED;
use app::{
    clock::TimeSource,
    environment::Environment,
    signing::{sign, Scheme},
};
use std::net::IpAddr;
use support::{deliver, hook_source, manual_clock, spawn_app, Logs};

fn charge_failed(n: usize) -> Vec<u8> {
    format!(
        r#"{{"id":"evt_hook_{n}","object":"event","type":"charge.failed","created":1795011600,"livemode":true,"data":{{"object":{{"id":"ch_{n}","object":"charge","amount":4200,"failure_code":"card_declined"}}}}}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn every_refusal_answers_as_specified_and_stores_nothing() {
    let (logs, _logging) = Logs::capture();
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    let secret = hook_source(&app, "pay", "stripe", "", None).await;
    let other = hook_source(&app, "other", "stripe", "", None).await;
    let narrow_secret = hook_source(&app, "narrow", "stripe", "192.0.2.0/24", None).await;
    let body = charge_failed(1);
    let now = clock.now().timestamp();
    let good = sign(Scheme::Stripe, &secret, &body, now, "");
    let mut answers = Vec::new();
    let mut check = |answer: support::Answer, status: u16, text: &str| {
        assert_eq!(
            (answer.status.as_u16(), answer.body.as_str()),
            (status, text)
        );
        answers.push(answer);
    };

    check(
        deliver(&app, "pay", &[], &body, None).await,
        401,
        NOT_VERIFIED,
    );
    let malformed = vec![("Stripe-Signature", "t=abc,v1=zz".to_owned())];
    check(
        deliver(&app, "pay", &malformed, &body, None).await,
        401,
        NOT_VERIFIED,
    );
    let wrong = sign(Scheme::Stripe, &other, &body, now, "");
    check(
        deliver(&app, "pay", &wrong, &body, None).await,
        401,
        NOT_VERIFIED,
    );
    let late = sign(Scheme::Stripe, &secret, &body, now - 301, "");
    check(
        deliver(&app, "pay", &late, &body, None).await,
        401,
        NOT_VERIFIED,
    );
    let early = sign(Scheme::Stripe, &secret, &body, now + 301, "");
    check(
        deliver(&app, "pay", &early, &body, None).await,
        401,
        NOT_VERIFIED,
    );
    let outside: IpAddr = "203.0.113.5".parse().expect("ip");
    let narrow = sign(Scheme::Stripe, &narrow_secret, &body, now, "");
    check(
        deliver(&app, "narrow", &narrow, &body, Some(outside)).await,
        401,
        NOT_VERIFIED,
    );
    let big = vec![b' '; (1 << 20) + 1];
    let big_signed = sign(Scheme::Stripe, &secret, &big, now, "");
    let too_large = deliver(&app, "pay", &big_signed, &big, None).await;
    let too_large_text = too_large.body.clone();
    check(too_large, 413, &too_large_text);
    check(
        deliver(&app, "nobody", &good, &body, None).await,
        401,
        NOT_VERIFIED,
    );
    // At the edge of the tolerance it still passes.
    let edge = sign(Scheme::Stripe, &secret, &body, now - 300, "");
    assert_eq!(
        app.count("SELECT count(*) FROM events").await,
        0,
        "nothing stored by a refusal"
    );

    check(
        deliver(&app, "pay", &edge, &body, None).await,
        200,
        "accepted",
    );
    // The same delivery again (a replay within the tolerance): answered,
    // not stored twice.
    check(
        deliver(&app, "pay", &good, &body, None).await,
        200,
        "already stored",
    );
    let inside: IpAddr = "192.0.2.77".parse().expect("ip");
    check(
        deliver(&app, "narrow", &narrow, &charge_failed(1), Some(inside)).await,
        200,
        "already stored",
    );
    let second = charge_failed(2);
    let narrow2 = sign(Scheme::Stripe, &narrow_secret, &second, now, "");
    check(
        deliver(&app, "narrow", &narrow2, &second, Some(inside)).await,
        200,
        "accepted",
    );
    assert_eq!(app.count("SELECT count(*) FROM events").await, 2);

    // A source turned off answers as if it were not there, as does one
    // that never was.
    let mut tx = app.state.db.write.begin().await.expect("tx");
    sqlx::query("UPDATE hook_sources SET enabled = 0 WHERE name = 'pay'")
        .execute(&mut *tx)
        .await
        .expect("off");
    tx.commit().await.expect("commit");
    check(
        deliver(&app, "pay", &good, &body, None).await,
        401,
        NOT_VERIFIED,
    );

    // The delivery log tells the sender's admin what happened; refusals
    // are logged asynchronously, so wait for the writer.
    let mut tries = 0;
    while app
        .count("SELECT count(*) FROM hook_deliveries WHERE outcome = 'rejected'")
        .await
        < 7
        && tries < 100
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        tries += 1;
    }
    let reasons: Vec<(String, i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT d.outcome, d.status, d.reason, d.client FROM hook_deliveries d JOIN hook_sources s ON s.id = d.source_id \
         WHERE s.name IN ('pay', 'narrow') ORDER BY d.id",
    )
    .fetch_all(&app.state.db.read)
    .await
    .expect("log");
    let seen: Vec<String> = reasons
        .iter()
        .map(|(o, s, r, c)| {
            format!(
                "{o} {s} {} {}",
                r.clone().unwrap_or_default(),
                c.clone().unwrap_or_default()
            )
        })
        .collect();
    for expected in [
        "rejected 400 the Stripe-Signature header is missing",
        "rejected 400 the Stripe-Signature header is malformed",
        "rejected 401 the signature does not match",
        "rejected 401 the timestamp is too old",
        "rejected 401 the timestamp is in the future",
        "rejected 403 the client's address is outside the allowed networks 203.0.113.5",
        "accepted 200",
        "duplicate 200",
        "rejected 404 the source is turned off",
    ] {
        assert!(
            seen.iter().any(|l| l.trim_end().starts_with(expected)),
            "{expected} in {seen:#?}"
        );
    }
    let (accepted, duplicates, rejected): (i64, i64, i64) = sqlx::query_as(
        "SELECT accepted, duplicates, rejected FROM hook_sources WHERE name = 'pay'",
    )
    .fetch_one(&app.state.db.read)
    .await
    .expect("counts");
    assert_eq!((accepted, duplicates, rejected), (1, 1, 6));

    // No secret and no signature anywhere a person or a log could see.
    let logged = logs.text();
    let bodies: String = answers
        .iter()
        .map(|a| a.body.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let signatures: Vec<String> = [&good, &wrong, &late, &early, &narrow]
        .iter()
        .map(|h| h[0].1.split("v1=").nth(1).expect("v1").to_owned())
        .collect();
    for needle in [secret.as_str(), other.as_str(), narrow_secret.as_str()]
        .into_iter()
        .chain(signatures.iter().map(String::as_str))
    {
        assert!(
            !logged.contains(needle),
            "a secret or signature reached the logs"
        );
        assert!(
            !bodies.contains(needle),
            "a secret or signature reached an answer"
        );
    }
    assert!(
        !logged.contains("card_declined"),
        "a payload reached the logs: {}",
        logged
            .lines()
            .filter(|l| l.contains("card_declined"))
            .map(|l| l.chars().take(400).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The capture saw the requests (SQL statements are logged on SQLite's
    // own threads, and carry no values).
    for seen in ["webhook delivery refused", "/hooks/pay"] {
        assert!(logged.contains(seen), "{seen} in the captured logs");
    }
    app.assert_search_index_intact().await;
}
