//! Importing audit events from the sample files, on a real SQLite file:
//! every record once, duplicates counted, bad records refused with where,
//! bad files refused whole, secrets never stored, search finds them.
mod support;

use app::environment::Environment;
use server::cli::{
    import::{import_events, EventImport},
    DatabaseArg,
};
use std::path::{Path, PathBuf};
use support::{search, spawn_app, Logs, TestApp};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/events")
}

async fn import(app: &TestApp, file: &Path, format: Option<&str>) -> Result<String, String> {
    let database = DatabaseArg {
        database: Some(app.db_path.display().to_string()),
    };
    let what = EventImport {
        file: file.to_owned(),
        format: format.map(str::to_owned),
        map: None,
        max_records: None,
    };
    import_events(database, what).await.map_err(|f| f.0)
}

#[tokio::test]
async fn every_sample_file_imports_once_and_again_adds_nothing() {
    let app = spawn_app(Environment::Production).await;
    let files = [
        ("stripe/events.json", 13),
        ("stripe/events-list.json", 6),
        ("stripe/events.ndjson", 5),
        ("zapier/zap-runs.json", 12),
        ("zapier/task-history.csv", 14),
        ("github/audit-log.csv", 14),
        ("pipedream/http-events.ndjson", 10),
        ("github/audit-log.json", 14),
        ("cloudtrail/cloudtrail.json", 14),
        (
            "cloudtrail/482913570246_CloudTrail_us-east-1_20261118T1420Z_P3kq9LmWx2ZtR7vA.json.gz",
            10,
        ),
    ];
    for (file, expected) in files {
        let said = import(&app, &fixtures().join(file), None)
            .await
            .expect(file);
        assert!(
            said.contains(&format!(
                ": {expected} accepted, 0 already there, 0 refused."
            )),
            "{file}: {said}"
        );
    }
    let total: i64 = files.iter().map(|(_, n)| n).sum();
    assert_eq!(app.count("SELECT count(*) FROM events").await, total);
    for (file, expected) in files {
        let said = import(&app, &fixtures().join(file), None)
            .await
            .expect(file);
        assert!(
            said.contains(&format!(
                ": 0 accepted, {expected} already there, 0 refused."
            )),
            "{file}: {said}"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM events").await,
        total,
        "re-import adds nothing"
    );

    // Search finds the failed renewal by its decline code.
    let found = search(&app, "card_declined").await.expect("search");
    assert!(
        found.iter().any(|(_, s)| s.starts_with("charge.failed")),
        "{found:?}"
    );
}

#[tokio::test]
async fn secrets_in_the_sample_files_never_reach_the_database_the_logs_or_a_page() {
    // Every log line of the test, down to each SQL statement, kept to search.
    let (logs, _logging) = Logs::capture();
    let app = spawn_app(Environment::Production).await;
    let mut seeded: Vec<String> = Vec::new();
    let shape = regex_lite_akia();
    for dir in [
        "stripe",
        "zapier",
        "pipedream",
        "github",
        "cloudtrail",
        "generic",
        "story-payment-outage",
    ] {
        for entry in std::fs::read_dir(fixtures().join(dir)).expect("dir") {
            let path = entry.expect("entry").path();
            if let Ok(text) = std::fs::read_to_string(&path) {
                seeded.extend(shape(&text));
                seeded.extend(emails(&text));
                seeded.extend(stripe_keys(&text));
                seeded.extend(secret_values(&text));
            }
            import(&app, &path, None)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    // Key names the samples do not use, each with a value no other rule
    // takes out: redacted by name alone (case, _ and - aside).
    let named = [
        ("pwd", "Tr0ub4dor-pwd-value"),
        ("passphrase", "correct horse battery staple"),
        ("privateKey", "MIIEvQIBADANBgkqhkiG9w0B-pk"),
        ("auth", "u5er:pa55-basic-pair"),
        ("access_key", "ak-value-7f3e9c1d2b"),
        ("DB-PASSWORD", "db-pass-value-0a8b"),
    ];
    let extra = tempfile::tempdir().expect("dir");
    let lines: Vec<String> = named
        .iter()
        .enumerate()
        .map(|(n, (key, value))| {
            serde_json::json!({
                "timestamp": format!("2026-11-18T10:0{n}:00Z"),
                "actor": "deploy-bot",
                "action": "config.read",
                "target": "settings",
                "outcome": "success",
                "payload": { *key: value }
            })
            .to_string()
        })
        .collect();
    let path = extra.path().join("more-secret-names.ndjson");
    std::fs::write(&path, lines.join("\n")).expect("write");
    import(&app, &path, None).await.expect("import");
    seeded.extend(named.iter().map(|(_, v)| (*v).to_owned()));
    seeded.sort();
    seeded.dedup();
    assert!(
        seeded.len() > 10,
        "the samples hold secrets to look for: {seeded:?}"
    );

    // Every page that shows events: the lists, each event, the imports.
    let viewer = app.session_for(app::auth::Role::Admin).await;
    let mut pages = vec![app.get_as(&viewer, "/imports").await.ok().body];
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM events ORDER BY id")
        .fetch_all(&app.state.db.read)
        .await
        .expect("ids");
    for (id,) in &ids {
        pages.push(
            app.get_as(&viewer, &format!("/events/{id}"))
                .await
                .ok()
                .body,
        );
    }
    let imports: Vec<(i64,)> = sqlx::query_as("SELECT id FROM event_imports")
        .fetch_all(&app.state.db.read)
        .await
        .expect("imports");
    for (id,) in imports {
        pages.push(
            app.get_as(&viewer, &format!("/imports/{id}"))
                .await
                .ok()
                .body,
        );
    }
    for source in app::events::SOURCES {
        pages.push(
            app.get_as(&viewer, &format!("/events?source={source}"))
                .await
                .ok()
                .body,
        );
    }
    assert!(
        pages.iter().any(|p| p.contains("[redacted]")),
        "pages show where secrets were"
    );

    app.state.db.close().await;
    let mut stored = std::fs::read(&app.db_path).expect("db");
    stored.extend(std::fs::read(format!("{}-wal", app.db_path.display())).unwrap_or_default());
    let logged = logs.0.lock().expect("logs").clone();
    assert!(logged.len() > 1000, "the logs were captured");
    for secret in &seeded {
        let found = |haystack: &[u8]| {
            haystack
                .windows(secret.len())
                .any(|w| w == secret.as_bytes())
        };
        assert!(!found(&stored), "{secret} is in the database");
        assert!(!found(&logged), "{secret} is in the logs");
        for page in &pages {
            assert!(!found(page.as_bytes()), "{secret} is on a page");
        }
    }
}

/// The values of secret-named keys (authorization, signature tokens,
/// passwords...) anywhere in a JSON or NDJSON text.
fn secret_values(text: &str) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match v {
                        serde_json::Value::String(s)
                            if app::events::redact::is_secret_key(k) && s.len() >= 12 =>
                        {
                            out.push(s.clone())
                        }
                        other => walk(other, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let docs: Vec<serde_json::Value> = match serde_json::from_str(text) {
        Ok(doc) => vec![doc],
        Err(_) => text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    };
    docs.iter().for_each(|d| walk(d, &mut out));
    out
}

/// Stripe secret and restricted keys and webhook secrets in a text.
fn stripe_keys(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            (w.starts_with("sk_live_")
                || w.starts_with("sk_test_")
                || w.starts_with("rk_live_")
                || w.starts_with("whsec_"))
                && w.len() > 14
        })
        .map(str::to_owned)
        .collect()
}

/// AWS access key ids in a text.
fn regex_lite_akia() -> impl Fn(&str) -> Vec<String> {
    |text: &str| {
        text.match_indices("AKIA")
            .filter_map(|(at, _)| text.get(at..at + 20))
            .filter(|id| {
                id.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            })
            .map(str::to_owned)
            .collect()
    }
}

/// Whole email addresses in a text (the local part must go).
fn emails(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "@._-".contains(c)))
        .filter(|w| w.contains('@') && w.ends_with("example.com") && !w.starts_with('@'))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_bad_file_is_refused_whole_and_bad_records_with_where() {
    let app = spawn_app(Environment::Production).await;
    let dir = tempfile::tempdir().expect("dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    for (name, text, why) in [
        ("empty.json", "", "is empty"),
        ("cut.json", "[{\"id\": \"evt_1\"", "truncated"),
        ("junk.json", "[] trailing", "not JSON"),
        (
            "digest.json",
            "{\"digestStartTime\": \"x\", \"logFiles\": []}",
            "digest file",
        ),
    ] {
        let err = import(&app, &write(name, text), None).await.unwrap_err();
        assert!(err.contains(why), "{name}: {err}");
    }
    // A file that is not what it is said to be.
    for (file, format, why) in [
        (
            "stripe/events.json",
            "cloudtrail",
            "not a CloudTrail log file",
        ),
        (
            "zapier/task-history.csv",
            "stripe",
            "stripe files are JSON, not CSV",
        ),
        (
            "github/audit-log.json",
            "zapier-tasks",
            "Zapier task history is a CSV file",
        ),
    ] {
        let err = import(&app, &fixtures().join(file), Some(format))
            .await
            .unwrap_err();
        assert!(err.contains(why), "{file} as {format}: {err}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM events").await,
        0,
        "nothing stored"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM event_imports WHERE state = 'refused' AND failure <> ''")
            .await,
        7,
        "each refusal is on record with its reason"
    );

    let lines = [
        r#"{"id":"evt_a","object":"event","type":"charge.failed","created":1795011600,"data":{"object":{"id":"ch_1"}}}"#,
        "not json",
        "",
        r#"{"id":"evt_b","object":"event","type":"charge.failed","created":"soon","data":{"object":{"id":"ch_2"}}}"#,
        r#"{"id":"evt_c","object":"event","type":"charge.succeeded","created":1795011601,"data":{"object":{"id":"ch_3"}}}"#,
    ];
    let said = import(
        &app,
        &write("mixed.ndjson", &lines.join("\r\n")),
        Some("stripe"),
    )
    .await
    .expect("imported");
    assert!(
        said.contains("2 accepted, 0 already there, 2 refused."),
        "{said}"
    );
    assert!(said.contains("line 2: is not JSON"), "{said}");
    assert!(
        said.contains("line 4: \"created\" must be Unix seconds"),
        "{said}"
    );

    // A bad first line is one bad record, like a bad line further down:
    // refused by its number, the good lines kept.
    let first_bad = [
        r#"{"id":"evt_nan","object":"event","type":"charge.failed","created":NaN,"data":{"object":{"id":"ch_9"}}}"#,
        r#"{"id":"evt_d","object":"event","type":"charge.failed","created":1795011602,"data":{"object":{"id":"ch_4"}}}"#,
        r#"{"id":"evt_e","object":"event","type":"charge.failed","created":1795011603,"data":{"object":{"id":"ch_5"}}}"#,
    ];
    let said = import(
        &app,
        &write("first-bad.ndjson", &first_bad.join("\n")),
        None,
    )
    .await
    .expect("imported");
    assert!(
        said.contains("2 accepted, 0 already there, 1 refused."),
        "{said}"
    );
    assert!(said.contains("line 1: is not JSON"), "{said}");

    // A file that holds no records (one JSON number, an empty list) is
    // refused whole, saying what it holds: never "imported" as nothing.
    for format in [None, Some("stripe")] {
        let err = import(&app, &write("answer.json", "42\n"), format)
            .await
            .expect_err("refused");
        assert!(
            err.contains("the file holds a JSON number, not records"),
            "{format:?}: {err}"
        );
    }
    let err = import(&app, &write("nothing.json", "[]"), None)
        .await
        .expect_err("refused");
    assert!(err.contains("the format could not be told"), "{err}");

    // CSV: a header alone is an empty import; a row with the wrong number
    // of cells is refused by its row, the others kept.
    let header = "Task ID,Zap ID,Zap Name,Status,Date\r\n";
    let said = import(&app, &write("empty.csv", header), Some("zapier-tasks"))
        .await
        .expect("empty");
    assert!(
        said.contains("0 accepted, 0 already there, 0 refused."),
        "{said}"
    );
    let rows = format!(
        "{header}1,2,\"Orders, hourly\",success,2026-11-18T08:00:09Z\r\n3,4\r\n5,6,x,error,2026-11-18T08:00:10\r\n"
    );
    let said = import(&app, &write("tasks.csv", &rows), None)
        .await
        .expect("imported");
    assert!(
        said.contains("1 accepted, 0 already there, 2 refused."),
        "{said}"
    );
    assert!(
        said.contains("row 3: has 2 cells; the header has 5"),
        "{said}"
    );
    assert!(
        said.contains("row 4: \"Date\" '2026-11-18T08:00:10' has no offset"),
        "{said}"
    );
}

async fn import_mapped(app: &TestApp, file: &Path, map: &str) -> Result<String, String> {
    let database = DatabaseArg {
        database: Some(app.db_path.display().to_string()),
    };
    let what = EventImport {
        file: file.to_owned(),
        format: Some("generic".into()),
        map: Some(map.into()),
        max_records: None,
    };
    import_events(database, what).await.map_err(|f| f.0)
}

#[tokio::test]
async fn generic_logs_are_read_through_a_column_mapping_and_deduped_by_their_values() {
    let app = spawn_app(Environment::Production).await;
    let dir = tempfile::tempdir().expect("dir");
    let ndjson = dir.path().join("app.ndjson");
    std::fs::write(
        &ndjson,
        concat!(
            "{\"ts\":\"2026-11-18T14:20:00+01:00\",\"user\":{\"email\":\"ops@example.com\"},\"event\":\"key.rotated\",\"result\":\"ok\"}\n",
            "{\"ts\":1795011600123,\"user\":{\"email\":\"ci@example.com\"},\"event\":\"deploy\",\"result\":\"failed\"}\n",
            "{\"ts\":\"\",\"user\":{\"email\":\"x@example.com\"},\"event\":\"deploy\"}\n",
        ),
    )
    .expect("write");
    let map = "timestamp=ts,actor=user.email,action=event,outcome=result";
    let said = import_mapped(&app, &ndjson, map).await.expect("imported");
    assert!(
        said.contains("(generic): 2 accepted, 0 already there, 1 refused."),
        "{said}"
    );
    assert!(
        said.contains("line 3: has no \"ts\" (its timestamp)"),
        "{said}"
    );
    let (when, actor): (String, String) =
        sqlx::query_as("SELECT occurred_at, actor FROM events WHERE action = 'key.rotated'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("stored");
    assert!(
        when.starts_with("2026-11-18T13:20:00"),
        "stored as UTC: {when}"
    );
    assert_eq!(actor, "•••@example.com", "email local parts are masked");

    // The same records with keys in another order and CRLF endings are
    // the same records.
    let again = dir.path().join("again.ndjson");
    std::fs::write(
        &again,
        concat!(
            "{\"result\":\"ok\",\"event\":\"key.rotated\",\"user\":{\"email\":\"ops@example.com\"},\"ts\":\"2026-11-18T14:20:00+01:00\"}\r\n",
            "{\"user\":{\"email\":\"ci@example.com\"},\"ts\":1795011600123,\"result\":\"failed\",\"event\":\"deploy\"}\r\n",
        ),
    )
    .expect("write");
    let said = import_mapped(&app, &again, map).await.expect("imported");
    assert!(
        said.contains("0 accepted, 2 already there, 0 refused."),
        "{said}"
    );

    // CSV: columns by name, in any order; a header holding dots is a name.
    let csv = dir.path().join("app.csv");
    std::fs::write(
        &csv,
        "\u{feff}When,Who,What,user.id\r\n2026-11-18T14:21:00Z,dana,\"login, failed\",7\r\n2026-11-18T14:22:00Z,dana,logout\r\n",
    )
    .expect("write");
    let said = import_mapped(
        &app,
        &csv,
        "timestamp=When,actor=Who,action=What,target=user.id",
    )
    .await
    .expect("imported");
    assert!(
        said.contains("1 accepted, 0 already there, 1 refused."),
        "{said}"
    );
    assert!(
        said.contains("row 3: has 3 cells; the header has 4"),
        "{said}"
    );
    let target: (String,) =
        sqlx::query_as("SELECT target FROM events WHERE action = 'login, failed'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("stored");
    assert_eq!(target.0, "7");
    let err = import_mapped(&app, &csv, "when=When").await.unwrap_err();
    assert!(
        err.starts_with("--map: 'when' is not one of timestamp"),
        "{err}"
    );
}

/// A generic NDJSON log of `n` events (~300 bytes each).
fn big_log(path: &Path, n: usize) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 0..n {
        writeln!(
            out,
            "{{\"timestamp\":{},\"actor\":\"svc-{}\",\"action\":\"payment.retry\",\"target\":\"inv_{i:08}\",\"outcome\":\"failed\",\"request_id\":\"req_{i:012}\",\"detail\":\"card declined at the issuer; will try again in an hour (attempt {})\"}}",
            1_795_011_600 + i as i64,
            i % 17,
            i % 5
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

#[tokio::test]
async fn an_import_killed_midway_leaves_nothing_seen_and_the_next_run_imports_cleanly() {
    let app = spawn_app(Environment::Production).await;
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("big.ndjson");
    big_log(&log, 120_000);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_muster"))
        .args(["import", "--database"])
        .arg(&app.db_path)
        .arg(&log)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start muster import");
    // Wait until it has stored some batches, then kill it outright.
    let mut stored = 0;
    for _ in 0..6000 {
        stored = app
            .count("SELECT coalesce(sum(accepted), 0) FROM event_imports WHERE state = 'running'")
            .await;
        if stored > 0 || child.try_wait().expect("wait").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().expect("kill");
    child.wait().expect("reap");
    assert!(
        stored > 0 && stored < 120_000,
        "killed midway: {stored} stored"
    );
    assert!(
        app.count("SELECT count(*) FROM events").await > 0,
        "rows were written"
    );
    let seen = format!(
        "SELECT count(*) FROM events e WHERE {}",
        app::events::db::VISIBLE
    );
    assert_eq!(app.count(&seen).await, 0, "none of them is seen");
    assert!(search(&app, "payment.retry")
        .await
        .expect("search")
        .is_empty());

    let said = import(&app, &log, None).await.expect("the next run");
    assert!(
        said.contains("(generic): 120000 accepted, 0 already there, 0 refused."),
        "{said}"
    );
    assert_eq!(app.count(&seen).await, 120_000);
    assert_eq!(app.count("SELECT count(*) FROM events").await, 120_000);
    assert_eq!(
        app.count("SELECT count(*) FROM event_imports WHERE state = 'abandoned'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'events.import.cleared' AND reason LIKE '% events of an import stopped midway%'")
            .await,
        1,
        "the clearing is on record"
    );
    app.assert_search_index_intact().await;
}

/// A gzip file is held to the limits plain text is (records, a record's
/// size), not to a limit on how large it inflates: an export that inflates
/// past 64 MiB imports as the same file uncompressed would, and a file
/// past the limit on records is refused, naming the flag that raises it.
#[tokio::test]
async fn a_large_gzip_export_imports_and_the_record_limit_is_named() {
    use std::io::Write;
    let app = spawn_app(Environment::Production).await;
    let dir = tempfile::tempdir().expect("dir");
    let words = "retry queue depth rising ".repeat(560);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for n in 0..5_000 {
        writeln!(
            gz,
            r#"{{"timestamp":"2026-11-18T09:{:02}:{:02}Z","actor":"worker-{n}","action":"queue.sample","target":"queue/{n}","outcome":"success","message":"{words}"}}"#,
            n / 60 % 60,
            n % 60
        )
        .expect("write");
    }
    let bytes = gz.finish().expect("gzip");
    let path = dir.path().join("samples.ndjson.gz");
    std::fs::write(&path, &bytes).expect("file");
    let database = || DatabaseArg {
        database: Some(app.db_path.display().to_string()),
    };
    let limited = EventImport {
        file: path.clone(),
        format: None,
        map: None,
        max_records: Some(1_000),
    };
    let err = import_events(database(), limited)
        .await
        .expect_err("over the limit")
        .0;
    assert!(
        err.contains("more than 1000 records") && err.contains("--max-records"),
        "{err}"
    );
    assert_eq!(app.count("SELECT count(*) FROM events").await, 0);
    let said = import(&app, &path, None).await.expect("imported");
    assert!(
        said.contains("5000 accepted, 0 already there, 0 refused."),
        "{said}"
    );
}
