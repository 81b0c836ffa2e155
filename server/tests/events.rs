//! Importing audit events from the sample files, on a real SQLite file:
//! every record once, duplicates counted, bad records refused with where,
//! bad files refused whole, secrets never stored, search finds them.
mod support;

use app::environment::Environment;
use server::{cli::DatabaseArg, commands::import_events};
use std::path::{Path, PathBuf};
use support::{spawn_app, TestApp};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/events")
}

async fn import(app: &TestApp, file: &Path, format: Option<&str>) -> Result<String, String> {
    let database = DatabaseArg {
        database: Some(app.db_path.display().to_string()),
    };
    import_events(database, file.to_owned(), format.map(str::to_owned))
        .await
        .map_err(|f| f.0)
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
    let mut conn = app.state.db.read.acquire().await.expect("conn");
    let found = app::events::db::search(&mut conn, "card_declined", 10)
        .await
        .expect("search");
    assert!(
        found.iter().any(|(_, s)| s.starts_with("charge.failed")),
        "{found:?}"
    );
}

#[tokio::test]
async fn secrets_in_the_sample_files_never_reach_the_database() {
    let app = spawn_app(Environment::Production).await;
    let mut seeded: Vec<String> = Vec::new();
    let shape = regex_lite_akia();
    for dir in [
        "stripe",
        "zapier",
        "pipedream",
        "github",
        "cloudtrail",
        "story-payment-outage",
    ] {
        for entry in std::fs::read_dir(fixtures().join(dir)).expect("dir") {
            let path = entry.expect("entry").path();
            // Generic logs come with their reader, later.
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if name.ends_with(".gz") || name.starts_with("app-events") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("text");
            seeded.extend(shape(&text));
            seeded.extend(emails(&text));
            import(&app, &path, None)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    assert!(
        seeded.len() > 10,
        "the samples hold secrets to look for: {seeded:?}"
    );
    app.state.db.close().await;
    let mut stored = std::fs::read(&app.db_path).expect("db");
    stored.extend(std::fs::read(format!("{}-wal", app.db_path.display())).unwrap_or_default());
    for secret in seeded {
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is in the database"
        );
    }
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
    assert_eq!(
        app.count("SELECT count(*) FROM event_imports").await,
        0,
        "nothing stored"
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
