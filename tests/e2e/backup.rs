//! Backups as an operator runs them, killed with SIGKILL midway: while
//! the copy is made, while it is sealed, and while a restore puts it in
//! place. Each time the database and the earlier backup are exactly as
//! they were (or, for a restore past its last step, the restored database
//! is whole), and the next run succeeds. The moment to kill is found by
//! watching for the command's own scratch files, not by a timer.
use e2e::{muster_binary, Muster, MusterOptions};
use sha2::{Digest, Sha256};
use std::{
    os::unix::process::ExitStatusExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

fn muster() -> Command {
    let mut cmd = Command::new(muster_binary());
    for var in ["MUSTER_DATABASE", "MUSTER_BACKUP_KEY"] {
        cmd.env_remove(var);
    }
    cmd
}

fn sha(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).expect("read")).to_vec()
}

fn run(args: &[&str]) -> std::process::Output {
    muster().args(args).output().expect("muster")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A database of about 30 MB: accounts, and notes of random text that
/// takes real work to compress and seal.
async fn big_database(dir: &Path) -> PathBuf {
    use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
    let path = dir.join("big.db");
    let m = Muster::start(MusterOptions {
        database: Some(path.clone()),
        ..Default::default()
    });
    m.add_user("admin");
    m.stop();
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .expect("open");
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 15000) \
         INSERT INTO notes (body, created_at) SELECT hex(randomblob(1000)), '2026-11-29T00:00:00Z' FROM n",
    )
    .execute(&mut conn)
    .await
    .expect("notes");
    conn.close().await.expect("close");
    path
}

/// Waits until a file whose name `matches` appears in `dir`, then kills
/// the child with SIGKILL. Returns whether it was killed: false when it
/// ended first.
fn kill_when(child: &mut Child, dir: &Path, matches: impl Fn(&str) -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        let seen = std::fs::read_dir(dir)
            .expect("dir")
            .filter_map(Result::ok)
            .any(|e| matches(&e.file_name().to_string_lossy()));
        if seen {
            child.kill().expect("kill");
            let status = child.wait().expect("wait");
            return status.signal() == Some(9);
        }
        assert!(Instant::now() < deadline, "no scratch file appeared");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `muster backup create` of `database` to `out`, sealed with `key`.
fn create_args<'a>(database: &'a Path, out: &'a Path, key: &'a Path) -> [&'a str; 8] {
    [
        "backup",
        "create",
        "--database",
        s(database),
        "--out",
        s(out),
        "--key-file",
        s(key),
    ]
}

fn spawn(args: &[&str]) -> Child {
    muster()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

#[tokio::test]
async fn a_backup_or_restore_killed_midway_leaves_the_database_and_earlier_backups_intact() {
    let dir = tempfile::tempdir().expect("dir");
    let keys = tempfile::tempdir().expect("a folder apart for the key");
    let key = keys.path().join("backup.key");
    let database = big_database(dir.path()).await;
    let first = dir.path().join("first.mbk");
    let made = run(&create_args(&database, &first, &key));
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (database_sha, first_sha) = (sha(&database), sha(&first));

    // Killed while copying (its copy beside the database exists), then
    // while sealing (its .partial exists).
    let out = dir.path().join("second.mbk");
    for (phase, scratch) in [("copying", ".backup-"), ("sealing", "second.mbk.partial")] {
        let mut child = spawn(&create_args(&database, &out, &key));
        assert!(
            kill_when(&mut child, dir.path(), |name| name.contains(scratch)),
            "killed while {phase}"
        );
        assert!(
            !out.exists(),
            "no backup is left after a kill while {phase}"
        );
        assert_eq!(
            sha(&database),
            database_sha,
            "the database is as it was ({phase})"
        );
        assert_eq!(
            sha(&first),
            first_sha,
            "the earlier backup is as it was ({phase})"
        );
    }
    let again = run(&create_args(&database, &out, &key));
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let verified = run(&["backup", "verify", s(&out), "--key-file", s(&key)]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".partial"))
        .collect();
    assert!(
        left.is_empty(),
        "what killed runs left is cleared: {left:?}"
    );

    // A restore killed while it opens the backup beside the target leaves
    // the target as it was; killed as it sets the old one aside, the
    // target is the old database or the restored one, whole either way.
    let target = dir.path().join("live.db");
    std::fs::copy(&database, &target).expect("copy");
    let target_sha = sha(&target);
    let mut child = spawn(&[
        "backup",
        "restore",
        s(&first),
        "--database",
        s(&target),
        "--replace",
        "--key-file",
        s(&key),
    ]);
    assert!(
        kill_when(&mut child, dir.path(), |n| n
            .starts_with("live.db.restoring-")),
        "killed while opening the backup"
    );
    assert_eq!(sha(&target), target_sha, "the target is as it was");
    let mut child = spawn(&[
        "backup",
        "restore",
        s(&first),
        "--database",
        s(&target),
        "--replace",
        "--key-file",
        s(&key),
    ]);
    // It may finish before the kill lands: the target must be whole either way.
    let killed = kill_when(&mut child, dir.path(), |n| n == "live.db.replaced");
    println!("restore killed as it set the old database aside: {killed}");
    let check = {
        use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions};
        let mut conn = SqliteConnectOptions::new()
            .filename(&target)
            .read_only(true)
            .connect()
            .await
            .expect("the target opens");
        let (integrity,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .expect("check");
        let (notes,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notes")
            .fetch_one(&mut conn)
            .await
            .expect("count");
        (integrity, notes)
    };
    assert_eq!(check, ("ok".to_owned(), 15_000));
    let done = run(&[
        "backup",
        "restore",
        s(&first),
        "--database",
        s(&target),
        "--replace",
        "--key-file",
        s(&key),
    ]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(said.starts_with("Restored "), "{said}");
}

#[tokio::test]
async fn a_serving_muster_writes_a_verified_backup_on_its_schedule() {
    let backups = tempfile::tempdir().expect("dir");
    let keys = tempfile::tempdir().expect("a folder apart for the key");
    let key = keys.path().join("scheduled.key");
    let muster = Muster::start(MusterOptions {
        demo: true,
        args: vec![
            format!("--backup-dir={}", backups.path().display()),
            "--backup-every=6h".into(),
            "--backup-keep=2".into(),
            format!("--backup-key-file={}", key.display()),
        ],
        ..Default::default()
    });
    let log = muster.wait_for_log(|l| l.contains("backup written and verified"));
    assert!(log.contains("made a new backup key"), "{log}");
    let written: Vec<PathBuf> = std::fs::read_dir(backups.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let verified = run(&["backup", "verify", s(&written[0]), "--key-file", s(&key)]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("is a good backup"));

    // The restore drill on the demo data, run by the operator while this
    // Muster serves: a second Muster starts on the restored copy.
    let drilled = run(&[
        "backup",
        "drill",
        "--database",
        s(&muster.database),
        "--backup-dir",
        s(backups.path()),
        "--key-file",
        s(&key),
    ]);
    let (said, steps) = (
        String::from_utf8_lossy(&drilled.stdout),
        String::from_utf8_lossy(&drilled.stderr),
    );
    assert!(drilled.status.success(), "{said}{steps}");
    assert!(
        said.starts_with("The restore drill on ")
            && said.contains(" passed in ")
            && said.contains("a second Muster served /healthz and the sign-in page"),
        "{said}"
    );
    assert!(
        steps.contains("answered /healthz and the sign-in page; stopped it"),
        "{steps}"
    );
    // The serving Muster shows it: recorded in its audit log by the command.
    let reason = sqlite_value(
        &muster.database,
        "SELECT reason FROM audit_log WHERE action = 'backup.drill' AND actor = 'cli' AND outcome = 'allowed'",
    )
    .await;
    assert!(
        reason.contains("took ") && reason.contains(" accounts"),
        "{reason}"
    );

    // A file that is no backup fails its drill, with a non-zero exit.
    let stranger = backups.path().join("notes.txt");
    std::fs::write(&stranger, "not a backup").expect("write");
    let failed = run(&[
        "backup",
        "drill",
        "--database",
        s(&muster.database),
        "--file",
        s(&stranger),
        "--key-file",
        s(&key),
    ]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("The restore drill on "),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    muster.stop();
}

/// One text value from a database, read on a connection of its own.
async fn sqlite_value(database: &Path, sql: &str) -> String {
    use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions};
    let mut conn = SqliteConnectOptions::new()
        .filename(database)
        .connect()
        .await
        .expect("open");
    let (value,): (String,) = sqlx::query_as(sql).fetch_one(&mut conn).await.expect(sql);
    value
}
