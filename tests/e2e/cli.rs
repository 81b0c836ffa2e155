//! The `muster` binary as an operator meets it: settings, start-up
//! messages, logs, health and demo data.
use e2e::{http_request, muster_binary, Muster, MusterOptions};
use std::process::Command;

fn muster() -> Command {
    let mut cmd = Command::new(muster_binary());
    for var in [
        "MUSTER_DATABASE",
        "MUSTER_BIND",
        "MUSTER_ENV",
        "MUSTER_PUBLIC_URL",
        "MUSTER_LOG_FORMAT",
        "MUSTER_DEMO",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn a_bad_setting_in_the_environment_stops_start_up_naming_it() {
    let out = muster()
        .arg("serve")
        .env("MUSTER_BIND", "localhost")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("setting MUSTER_BIND (--bind) is wrong: 'localhost' is not an address:port"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("runbook.md");
    std::fs::write(&path, "# Payment outage\n").expect("write");
    let out = muster()
        .args(["serve", "--bind=127.0.0.1:0"])
        .arg(format!("--database={}", path.display()))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not an SQLite database; Muster left it untouched"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "# Payment outage\n"
    );
}

#[tokio::test]
async fn health_answers_over_http_with_the_version() {
    let muster = Muster::start(MusterOptions::default());
    let res = http_request("GET", &muster.url("/healthz"), &[], "").await;
    assert_eq!(res.status, 200);
    let body: serde_json::Value = serde_json::from_str(&res.body).expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_request_id() {
    let muster = Muster::start(MusterOptions::default());
    let res = http_request(
        "POST",
        &muster.url("/api/notes/add"),
        &[
            ("x-request-id", "req-test-0001"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        "body=checking+logs",
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let logs = muster.logs();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let of_request: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["path"] == "/api/notes/add")
        .collect();
    assert!(
        of_request.len() >= 2,
        "expected the note and the response lines: {logs}"
    );
    for line in &of_request {
        assert_eq!(line["span"]["request_id"], "req-test-0001", "{line}");
    }
    assert!(of_request
        .iter()
        .any(|l| l["fields"]["message"] == "note added"));
}

#[tokio::test]
async fn demo_data_is_loaded_into_a_new_database_only() {
    let dir = tempfile::tempdir().expect("dir");
    let options = MusterOptions {
        demo: true,
        database: Some(dir.path().join("muster.db")),
        ..Default::default()
    };
    let first = Muster::start(options.clone());
    let page = http_request("GET", &first.url("/notes"), &[], "").await;
    assert_eq!(
        page.body.matches("class=\"note\"").count(),
        3,
        "{}",
        page.body
    );
    let status = first.stop();
    assert!(status.success(), "stopped cleanly: {status:?}");

    let again = Muster::start(options);
    let page = http_request("GET", &again.url("/notes"), &[], "").await;
    assert_eq!(
        page.body.matches("class=\"note\"").count(),
        3,
        "demo data loaded twice"
    );
}
