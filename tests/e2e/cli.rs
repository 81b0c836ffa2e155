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
        &muster.url("/api/auth/sign-in"),
        &[
            ("x-request-id", "req-test-0001"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", &muster.url),
        ],
        "email=nobody%40example.com&password=not+the+password",
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let logs = muster
        .wait_for_log(|l| l.contains("finished processing request") && l.contains("req-test-0001"));
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let of_request: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["path"] == "/api/auth/sign-in")
        .collect();
    assert!(
        of_request.len() >= 2,
        "expected the sign-in and the response lines: {logs}"
    );
    for line in &of_request {
        assert_eq!(line["span"]["request_id"], "req-test-0001", "{line}");
    }
    assert!(of_request
        .iter()
        .any(|l| l["fields"]["message"] == "sign-in failed"));
    assert!(
        !logs.contains("not the password") && !logs.contains("not+the+password"),
        "a password was logged"
    );
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
    let health = http_request("GET", &first.url("/healthz"), &[], "").await;
    assert_eq!(health.status, 200);
    let printed = first.printed();
    for role in ["admin", "editor", "responder", "viewer"] {
        assert!(
            printed.contains(&format!("{role}@demo.muster")),
            "{printed}"
        );
    }
    let page = http_request("GET", &first.url("/sign-in"), &[], "").await;
    assert!(
        !page.body.contains("@demo.muster"),
        "passwords are never in a page"
    );
    let status = first.stop();
    assert!(status.success(), "stopped cleanly: {status:?}");
    let accounts = dir.path().join("muster.db.demo-accounts");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&accounts)
            .expect("accounts file")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "only the owner may read the demo passwords"
        );
    }
    let saved = std::fs::read_to_string(&accounts).expect("accounts");

    let again = Muster::start(options);
    assert!(
        again
            .printed()
            .contains(saved.lines().next().expect("a line")),
        "printed again on a later start"
    );
    let count = |table: &'static str| {
        let db = again.database.clone();
        async move {
            use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions};
            let mut conn = SqliteConnectOptions::new()
                .filename(db)
                .read_only(true)
                .connect()
                .await
                .expect("db");
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&mut conn)
                .await
                .expect("count");
            n
        }
    };
    assert_eq!(count("users").await, 4, "demo data loaded once");
    assert_eq!(count("notes").await, 3, "demo data loaded once");
}

#[test]
fn an_admin_is_created_on_the_command_line_and_recorded() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("--database={}", dir.path().join("m.db").display());
    let add = |email: &str, password: &str| {
        use std::io::Write;
        let mut child = muster()
            .args([
                "user",
                "add",
                "--admin",
                "--email",
                email,
                "--name",
                "First Admin",
                "--password-stdin",
                &db,
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(password.as_bytes())
            .expect("write");
        child.wait_with_output().expect("wait")
    };
    let short = add("admin@example.com", "short\n");
    assert_eq!(short.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("Password: must be at least 12 characters")
    );
    let ok = add("admin@example.com", "a long admin passphrase\n");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout).trim(),
        "Created admin admin@example.com (First Admin)."
    );
    let twice = add("ADMIN@example.com", "a long admin passphrase\n");
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already has an account"));

    let verify = muster()
        .args(["audit", "verify", &db])
        .output()
        .expect("verify");
    assert!(verify.status.success());
    let said = String::from_utf8_lossy(&verify.stdout);
    let mut lines = said.lines();
    assert_eq!(
        lines.next(),
        Some("Audit log intact: 1 entries, every hash matches.")
    );
    assert!(
        lines.next().is_some_and(|l| l.starts_with("Anchor: 1:")),
        "{said}"
    );
}

/// A database a server made, with three accounts (and their audit entries).
fn database_with_three_accounts() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("m.db");
    let muster_at = Muster::start(MusterOptions {
        database: Some(path.clone()),
        ..Default::default()
    });
    for role in ["viewer", "editor", "responder"] {
        muster_at.add_user(role);
    }
    muster_at.stop();
    (dir, path)
}

/// The newest end of the chain: an anchor kept apart finds newest entries
/// removed (which leaves the rest of the chain whole) and a rebuilt chain.
#[tokio::test]
async fn audit_verify_prints_an_anchor_and_holds_the_log_to_one() {
    let (_dir, path) = database_with_three_accounts();
    let db = format!("--database={}", path.display());
    let verify = |expect: Option<&str>| {
        let mut command = muster();
        command.args(["audit", "verify", &db]);
        if let Some(anchor) = expect {
            command.args(["--expect", anchor]);
        }
        let out = command.output().expect("verify");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        )
    };
    let (code, said, _) = verify(None);
    assert_eq!(code, Some(0));
    let anchor = said
        .lines()
        .find_map(|l| l.strip_prefix("Anchor: "))
        .expect("an anchor")
        .to_owned();
    let (id, hash) = anchor.split_once(':').expect("ID:HASH");
    assert_eq!(hash.len(), 64);
    let (code, said, _) = verify(Some(&anchor));
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains(&format!("Entry {id} matches the anchor.")),
        "{said}"
    );

    let (code, _, error) = verify(Some(&format!("{id}:{}", "0".repeat(64))));
    assert_eq!(code, Some(1));
    assert!(error.contains("has another hash"), "{error}");
    let (code, _, error) = verify(Some("seven:abc"));
    assert_eq!(code, Some(2));
    assert!(error.contains("write it as ID:HASH"), "{error}");

    // Remove the newest entry past the trigger: the chain that is left is
    // whole, so only the anchor can tell.
    {
        use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await
            .expect("db");
        for sql in [
            "DROP TRIGGER audit_log_no_delete",
            "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
        ] {
            sqlx::query(sql).execute(&mut conn).await.expect("tamper");
        }
        conn.close().await.expect("close");
    }
    assert_eq!(verify(None).0, Some(0), "the rest of the chain holds");
    let (code, _, error) = verify(Some(&anchor));
    assert_eq!(code, Some(1));
    assert_eq!(
        error,
        format!("muster: Audit log does not reach the anchor: entry {id} is gone (newer entries were removed).")
    );
}

#[tokio::test]
async fn audit_verify_names_the_first_tampered_entry() {
    let (_dir, path) = database_with_three_accounts();
    let db = format!("--database={}", path.display());
    let intact = muster()
        .args(["audit", "verify", &db])
        .output()
        .expect("verify");
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );

    // Tamper as someone with the file would: past the triggers.
    {
        use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await
            .expect("db");
        for sql in [
            "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET target = 'user:someone-else@example.com' WHERE id = 2",
        ] {
            sqlx::query(sql).execute(&mut conn).await.expect("tamper");
        }
        conn.close().await.expect("close");
    }
    let broken = muster()
        .args(["audit", "verify", &db])
        .output()
        .expect("verify");
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&broken.stderr).trim(),
        "muster: Audit log broken at entry 2: its content does not match its hash (it was changed)."
    );
}

#[tokio::test]
async fn plans_export_and_import_on_the_command_line_round_trip_with_progress() {
    let dir = tempfile::tempdir().expect("dir");
    let source = dir.path().join("source.db");
    let muster_server = Muster::start(MusterOptions {
        demo: true,
        database: Some(source.clone()),
        ..MusterOptions::default()
    });
    muster_server.stop();
    let file = dir.path().join("plans.json");
    let out = muster()
        .args(["plans", "export"])
        .arg(format!("--database={}", source.display()))
        .arg(format!("--out={}", file.display()))
        .output()
        .expect("export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = std::fs::read_to_string(&file).expect("file");

    let target = dir.path().join("target.db");
    let out = muster()
        .args(["plans", "import"])
        .arg(format!("--database={}", target.display()))
        .arg(&file)
        .output()
        .expect("import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(
        progress.contains("[1/7] ") && progress.contains("[7/7] "),
        "{progress}"
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("7 created, 0 updated (new version), 0 unchanged"),
        "{said}"
    );
    let again = muster()
        .args(["plans", "export"])
        .arg(format!("--database={}", target.display()))
        .output()
        .expect("export again");
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim_end(),
        exported.trim_end()
    );

    // A file with a problem is reported by field, and nothing is stored.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        exported
            .replacen("\"role\": \"Scribe\"", "\"role\": \"Scrib\"", 1)
            .replace("Payment provider outage", "Card outage"),
    )
    .expect("write");
    let out = muster()
        .args(["plans", "import"])
        .arg(format!("--database={}", target.display()))
        .arg(&bad)
        .output()
        .expect("bad import");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing was imported")
            && err.contains(".role: no incident role is called \"Scrib\""),
        "{err}"
    );
    let after = muster()
        .args(["plans", "export"])
        .arg(format!("--database={}", target.display()))
        .output()
        .expect("export after");
    assert!(!String::from_utf8_lossy(&after.stdout).contains("Card outage"));

    let out = muster()
        .args(["plans", "import", "--author=nobody@example.com"])
        .arg(format!("--database={}", target.display()))
        .arg(&file)
        .output()
        .expect("import as nobody");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--author: no account has the email nobody@example.com"),
        "{err}"
    );
}

/// The permission bits of a file.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every file Muster writes is readable by its owner alone, whatever the
/// file mode mask it was started with; an upload left by a killed Muster
/// (unredacted payloads) is removed at the next start.
#[tokio::test]
async fn files_muster_writes_are_private_and_left_uploads_are_cleared() {
    let dir = tempfile::tempdir().expect("dir");
    let left = dir.path().join(".muster-upload-0b7e1d2a");
    std::fs::write(&left, b"{\"password\": \"unredacted\"}").expect("left upload");
    let database = dir.path().join("muster.db");
    let serving = Muster::start(MusterOptions {
        database: Some(database.clone()),
        demo: true,
        ..MusterOptions::default()
    });
    assert!(!left.exists(), "the left upload was removed at start");
    for suffix in ["", "-wal", "-shm", ".key", ".demo-accounts"] {
        let path = std::path::PathBuf::from(format!("{}{suffix}", database.display()));
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        } else {
            assert!(
                suffix == "-wal" || suffix == "-shm",
                "{} is missing",
                path.display()
            );
        }
    }
    drop(serving);

    // Started with a mask that lets everyone read and write: still private.
    let other = dir.path().join("other.db");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 000; printf 'a long admin passphrase\\n' | exec \"$0\" \"$@\"")
        .arg(muster_binary())
        .args(["user", "add", "--admin", "--email", "a@example.com"])
        .args(["--name", "Admin", "--password-stdin"])
        .arg(format!("--database={}", other.display()))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&other), 0o600);
}
