//! Backups on real SQLite files: a backup taken while eight writers add
//! timeline entries restores to a database that passes its integrity
//! check and holds every entry committed before it began (and, for each
//! writer, no gap: it is one consistent moment); a flipped byte, a file
//! cut short, a wrong key and a file that is no backup are each refused
//! with a clear message; restore never replaces a database without
//! --replace, and keeps the one it replaces.
mod support;

use app::clock::TimeSource;
use server::backup::{self, format::Key};
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};
use support::{form, spawn_app};

fn key() -> Key {
    Key([7; 32])
}

fn failure(r: Result<backup::Report, server::cli::commands::Failure>) -> (String, u8) {
    let f = r.expect_err("refused");
    (f.0, f.1)
}

#[tokio::test]
async fn a_backup_taken_while_eight_writers_add_entries_restores_every_committed_one() {
    let app = spawn_app(app::environment::Environment::Production).await;
    let responder = app.session_for(app::auth::Role::Responder).await;
    app.post_as(
        &responder,
        "/api/incidents/declare",
        &form(&[
            ("title", "Writers"),
            ("severity", "sev3"),
            ("impact", ""),
            ("runbook", ""),
        ]),
    )
    .await
    .ok();
    let incident = app.count("SELECT max(id) FROM incidents").await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (write, stop) = (app.state.db.write.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let mut tx = write.begin().await.expect("begin");
                app::timeline::db::append(
                    &mut tx,
                    app::timeline::Subject::Incident(incident),
                    app::timeline::NewEntry::new(
                        app::timeline::Kind::Note,
                        format!("w{w}-{n}"),
                        "writer",
                        chrono::Utc::now(),
                    ),
                )
                .await
                .expect("append");
                tx.commit().await.expect("commit");
                n += 1;
                tokio::task::yield_now().await;
            }
            n
        }));
    }
    // Let every writer commit some before the backup begins.
    while app
        .count("SELECT COUNT(DISTINCT substr(text, 1, 2)) FROM timeline WHERE text LIKE 'w%-%'")
        .await
        < 8
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before = app
        .count("SELECT COUNT(*) FROM timeline WHERE text LIKE 'w%-%'")
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("during.mbk");
    let made = backup::create(&app.db_path, &out, &key(), |_, _| {})
        .await
        .map_err(|f| f.0)
        .expect("backed up while writing");
    stop.store(true, Ordering::Relaxed);
    let mut written = Vec::new();
    for w in writers {
        written.push(w.await.expect("writer"));
    }
    assert!(made.header.audit_anchor.is_some());

    let target = dir.path().join("restored.db");
    let report = backup::restore(&out, &target, false, &key())
        .await
        .map_err(|f| f.0)
        .expect("restored");
    let restored = server::db::open(&target).await.expect("opens");
    let (integrity,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&restored.db.read)
        .await
        .expect("check");
    assert_eq!(integrity, "ok");
    let texts: Vec<(String,)> = sqlx::query_as("SELECT text FROM timeline WHERE text LIKE 'w%-%'")
        .fetch_all(&restored.db.read)
        .await
        .expect("entries");
    assert!(
        texts.len() as i64 >= before,
        "every entry committed before the backup began: {} of {before}",
        texts.len()
    );
    assert_eq!(
        report.timeline_entries as usize,
        texts.len() + 1,
        "and the declaration"
    );
    for (w, total) in written.iter().enumerate() {
        let mut got: Vec<u32> = texts
            .iter()
            .filter_map(|(t,)| t.strip_prefix(&format!("w{w}-"))?.parse().ok())
            .collect();
        got.sort_unstable();
        let expected: Vec<u32> = (0..got.len() as u32).collect();
        assert_eq!(
            got, expected,
            "writer {w}: one moment, no gap (it wrote {total})"
        );
    }
    println!(
        "backup while writing: {before} entries committed before it began, {} in the backup, {} written in all",
        texts.len(),
        written.iter().sum::<u32>()
    );
}

#[tokio::test]
async fn a_flipped_byte_a_cut_file_a_wrong_key_and_a_stranger_are_each_refused() {
    let app = spawn_app(app::environment::Environment::Production)
        .await
        .with_demo()
        .await;
    // Notes of random text, so the backup spans several sealed parts.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) \
         INSERT INTO notes (body, created_at) SELECT hex(randomblob(1000)), '2026-11-29T00:00:00Z' FROM n",
    )
    .execute(&app.state.db.write)
    .await
    .expect("notes");
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("demo.mbk");
    backup::create(&app.db_path, &out, &key(), |_, _| {})
        .await
        .map_err(|f| f.0)
        .expect("backed up");
    let good = backup::verify(&out, &key())
        .await
        .map_err(|f| f.0)
        .expect("good");
    for (counted, sql) in [
        (good.accounts, "SELECT COUNT(*) FROM users"),
        (good.incidents, "SELECT COUNT(*) FROM incidents"),
        (good.timeline_entries, "SELECT COUNT(*) FROM timeline"),
        (good.events, "SELECT COUNT(*) FROM events"),
    ] {
        assert_eq!(counted, app.count(sql).await, "{sql}");
    }
    assert!(good.runbooks > 0 && good.events > 0);

    let bytes = std::fs::read(&out).expect("read");
    let header = bytes
        .iter()
        .skip(14)
        .position(|b| *b == b'\n')
        .expect("header")
        + 15;
    let part = backup::format::PART + 16;
    let check = |name: &str, content: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        path
    };
    let mut flipped = bytes.clone();
    flipped[header + part / 2] ^= 0x20;
    let (said, code) = failure(backup::verify(&check("flipped.mbk", flipped), &key()).await);
    assert!(
        said.ends_with("it is damaged or was altered: part 1 fails its authentication check"),
        "{said}"
    );
    assert_eq!(code, 1);

    assert!(
        bytes.len() > header + part,
        "the demo backup has more than one part"
    );
    let (said, _) =
        failure(backup::verify(&check("cut.mbk", bytes[..header + part].to_vec()), &key()).await);
    assert!(
        said.ends_with("it is cut short: it ends after part 1, before its last part"),
        "{said}"
    );
    let (said, _) = failure(
        backup::verify(
            &check("cut-inside.mbk", bytes[..bytes.len() - 10].to_vec()),
            &key(),
        )
        .await,
    );
    assert!(said.contains("fails its authentication check"), "{said}");

    let (said, _) = failure(backup::verify(&out, &Key([8; 32])).await);
    assert!(
        said.contains("it was sealed with another backup key (key id "),
        "{said}"
    );
    let (said, _) = failure(backup::verify(&app.db_path, &key()).await);
    assert!(
        said.ends_with("it is not a Muster backup (it does not start with the backup mark)"),
        "{said}"
    );
    let mut edited = bytes.clone();
    let at = bytes
        .windows(8)
        .position(|w| w == b"\"schema\"")
        .expect("schema in the header");
    edited[at + 9] = b'9';
    let (said, _) = failure(backup::verify(&check("edited.mbk", edited), &key()).await);
    assert!(
        said.contains("part 1 fails its authentication check"),
        "the header is sealed in: {said}"
    );
}

#[tokio::test]
async fn restore_never_replaces_a_database_without_being_told_and_keeps_the_one_it_replaces() {
    let app = spawn_app(app::environment::Environment::Production)
        .await
        .with_demo()
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("demo.mbk");
    backup::create(&app.db_path, &out, &key(), |_, _| {})
        .await
        .map_err(|f| f.0)
        .expect("backed up");
    let target = dir.path().join("other.db");
    let other = server::db::open(&target).await.expect("a new database");
    other.db.close().await;
    let before = std::fs::read(&target).expect("bytes");
    let (said, code) = failure(backup::restore(&out, &target, false, &key()).await);
    assert_eq!(code, 2);
    assert!(
        said.contains("exists; restoring over it needs --replace"),
        "{said}"
    );
    assert_eq!(std::fs::read(&target).expect("bytes"), before, "untouched");

    let (said, _) = failure(backup::restore(&out, &target, true, &Key([9; 32])).await);
    assert!(said.contains("another backup key"), "{said}");
    assert_eq!(
        std::fs::read(&target).expect("bytes"),
        before,
        "still untouched"
    );

    backup::restore(&out, &target, true, &key())
        .await
        .map_err(|f| f.0)
        .expect("replaced");
    assert_eq!(
        std::fs::read(dir.path().join("other.db.replaced")).expect("kept"),
        before,
        "the replaced database is kept beside"
    );
    let restored = server::db::open(&target).await.expect("opens");
    let (incidents,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM incidents")
        .fetch_one(&restored.db.read)
        .await
        .expect("count");
    assert_eq!(incidents, app.count("SELECT COUNT(*) FROM incidents").await);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("restoring") || n.contains("partial") || n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn the_key_is_kept_apart_from_the_backups() {
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("backup.key");
    std::fs::write(&key_file, "not base64 !").expect("write");
    let beside = backup::check_apart(Some(&key_file), &dir.path().join("b.mbk")).unwrap_err();
    assert!(
        beside.contains("keep the key apart from the backups"),
        "{beside}"
    );
    let elsewhere = tempfile::tempdir().expect("dir");
    assert!(backup::check_apart(Some(&key_file), &elsewhere.path().join("b.mbk")).is_ok());
    let bad = backup::load_key(backup::KeySource {
        variable: None,
        file: Some(&key_file),
        default_file: None,
        create_missing: false,
    })
    .err()
    .expect("refused");
    assert!(bad.ends_with("backup.key is not base64"), "{bad}");
    let made = dir.path().join("made.key");
    let (first, _, new) = backup::load_key(backup::KeySource {
        variable: None,
        file: None,
        default_file: Some(made.clone()),
        create_missing: true,
    })
    .expect("made");
    assert!(new);
    let (again, _, new) = backup::load_key(backup::KeySource {
        variable: None,
        file: None,
        default_file: Some(made),
        create_missing: true,
    })
    .expect("read back");
    assert!(!new);
    assert_eq!(first.id(), again.id());
}

#[tokio::test]
async fn scheduled_backups_are_verified_recorded_and_pruned_to_the_keep_count() {
    use server::backup::schedule::{backups_in, run_once, Schedule};
    let clock = support::manual_clock();
    let app = spawn_app(app::environment::Environment::Production)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let schedule = Schedule {
        dir: dir.path().to_path_buf(),
        every: chrono::Duration::hours(6),
        keep: 3,
        key: key(),
    };
    // A backup made by hand, named as the README suggests: never pruned.
    let manual = dir.path().join("muster-2026-11-29.mbk");
    std::fs::write(&manual, b"made by hand").expect("manual backup");
    let start = clock.now();
    let mut pruned = Vec::new();
    for n in 0..5 {
        let run = run_once(
            &app.state.db,
            &app.db_path,
            &schedule,
            start + chrono::Duration::hours(6 * n),
        )
        .await;
        assert!(run.ok, "{}", run.message);
        pruned.push(run.pruned.len());
    }
    assert_eq!(pruned, [0, 0, 0, 1, 1], "pruned only past the keep count");
    assert_eq!(
        std::fs::read(&manual).expect("the manual backup is kept"),
        b"made by hand"
    );
    let left: Vec<String> = backups_in(dir.path())
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        [
            "muster-20261128T150000Z.mbk",
            "muster-20261128T210000Z.mbk",
            "muster-20261129T030000Z.mbk"
        ],
        "exactly the newest three"
    );
    for file in backups_in(dir.path()) {
        backup::verify(&file, &key())
            .await
            .map_err(|f| f.0)
            .expect("each verifies");
    }

    // Sessions end after 12 idle hours: a new one after each jump.
    clock.set(start + chrono::Duration::hours(25));
    let admin = app.session_for(app::auth::Role::Admin).await;
    let home = app.get_as(&admin, "/").await.ok().body;
    assert!(
        home.contains("Last good backup: muster-20261129T030000Z.mbk, ")
            && !home.contains("backup-warning"),
        "{home}"
    );
    let viewer = app.session_for(app::auth::Role::Viewer).await;
    assert!(
        !app.get_as(&viewer, "/")
            .await
            .ok()
            .body
            .contains("home-backups"),
        "admins only"
    );
    // Missed: nothing for two intervals.
    clock.set(start + chrono::Duration::hours(37));
    let admin = app.session_for(app::auth::Role::Admin).await;
    let home = app.get_as(&admin, "/").await.ok().body;
    assert!(
        home.contains(
            "No backup has succeeded since 2026-11-29 03:00 UTC: one is due every 6h 00m."
        ),
        "{home}"
    );

    // A run that cannot write records why, and prunes nothing.
    let broken = Schedule {
        dir: dir.path().join("gone"),
        ..schedule
    };
    let run = run_once(&app.state.db, &app.db_path, &broken, clock.now()).await;
    let home = app.get_as(&admin, "/").await.ok().body;
    assert!(
        home.contains("The last scheduled backup failed ("),
        "{home}"
    );
    assert!(
        !run.ok && run.message.contains("cannot write"),
        "{}",
        run.message
    );
    assert_eq!(backups_in(dir.path()).len(), 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM backup_runs WHERE kind = 'scheduled' AND ok")
            .await,
        5
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM backup_runs WHERE NOT ok AND message LIKE '%cannot write%'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'backup.scheduled'")
            .await,
        6
    );
}
