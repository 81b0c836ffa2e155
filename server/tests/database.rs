//! Opening SQLite files: what is ours is migrated, what is not is refused
//! and left exactly as it was.
mod support;

use server::db::{self, OpenError, APPLICATION_ID};
use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
use std::path::Path;

fn fingerprint(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    let bytes = std::fs::read(path).expect("read");
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime");
    (bytes, modified)
}

#[tokio::test]
async fn a_new_file_is_created_in_wal_mode_with_foreign_keys_and_the_muster_mark() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("new.db");
    let opened = db::open(&path).await.expect("open");
    assert!(opened.created);
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&opened.db.write)
        .await
        .expect("mode");
    assert_eq!(mode, "wal");
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(&opened.db.read)
        .await
        .expect("fk");
    assert_eq!(fk, 1);
    let (busy,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
        .fetch_one(&opened.db.write)
        .await
        .expect("busy");
    assert!(busy >= 1000, "busy timeout {busy}");
    let (id,): (i64,) = sqlx::query_as("PRAGMA application_id")
        .fetch_one(&opened.db.read)
        .await
        .expect("id");
    assert_eq!(id, APPLICATION_ID);
    assert!(db::schema_is_current(&opened.db).await.expect("schema"));
}

#[tokio::test]
async fn the_read_pool_cannot_write() {
    let dir = tempfile::tempdir().expect("dir");
    let opened = db::open(&dir.path().join("m.db")).await.expect("open");
    let err =
        sqlx::query("INSERT INTO notes (body, created_at) VALUES ('x', '2026-01-01T00:00:00Z')")
            .execute(&opened.db.read)
            .await
            .expect_err("read-only");
    assert!(err.to_string().contains("readonly"), "{err}");
}

#[tokio::test]
async fn reopening_keeps_the_data_and_is_not_a_new_database() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("m.db");
    let first = db::open(&path).await.expect("open");
    server::demo::load(
        &first.db,
        &Default::default(),
        &app::sealing::SecretKey::generate(),
        app::clock::TimeSource::now(&*support::manual_clock()),
    )
    .await
    .expect("demo");
    first.db.close().await;
    let again = db::open(&path).await.expect("reopen");
    assert!(!again.created);
    let notes = app::notes::db::recent(&again.db.read, 10)
        .await
        .expect("notes");
    assert_eq!(notes.len(), 3);
    assert!(notes[0].created_at > notes[2].created_at, "newest first");
    let mut conn = again.db.read.acquire().await.expect("conn");
    let roster = app::roster::db::load(&mut conn).await.expect("roster");
    assert_eq!(roster.people.len(), 7);
    let gaps = roster.gaps();
    assert!(
        gaps.without_primary.is_empty() && gaps.without_backup.is_empty(),
        "a full roster"
    );
    assert_eq!(gaps.stretched.len(), 3, "{:?}", gaps.stretched);
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_and_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "call the bank at 9\n").expect("write");
    let before = fingerprint(&path);
    let err = db::open(&path).await.err().expect("refused");
    assert!(matches!(err, OpenError::NotSqlite { .. }), "{err}");
    assert!(
        err.to_string().contains("is not an SQLite database"),
        "{err}"
    );
    assert_eq!(fingerprint(&path), before);
}

#[tokio::test]
async fn another_programs_database_is_refused_and_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("other.db");
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("create");
    sqlx::query("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        .execute(&mut conn)
        .await
        .expect("table");
    conn.close().await.expect("close");
    let before = fingerprint(&path);
    let err = db::open(&path).await.err().expect("refused");
    assert!(err.to_string().contains("another program"), "{err}");
    assert_eq!(fingerprint(&path), before);
}

#[tokio::test]
async fn a_database_from_a_newer_muster_is_refused_and_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("m.db");
    let opened = db::open(&path).await.expect("open");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99991231000000, 'from the future', 1, x'00', 0)",
    )
    .execute(&opened.db.write)
    .await
    .expect("future migration");
    // Fold the WAL into the main file so the fingerprint covers everything.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&opened.db.write)
        .await
        .expect("checkpoint");
    opened.db.close().await;
    let before = fingerprint(&path);
    let err = db::open(&path).await.err().expect("refused");
    assert!(
        matches!(
            err,
            OpenError::TooNew {
                found: 99991231000000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("newer Muster"), "{err}");
    assert_eq!(fingerprint(&path), before);
}

#[tokio::test]
async fn an_empty_file_is_treated_as_a_new_database() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").expect("touch");
    let opened = db::open(&path).await.expect("open");
    assert!(opened.created);
}

/// A database written before the spine's migration: its timeline entries
/// get typed data from their words, and what an API token wrote gets the
/// token's creator as its author, so the creator cannot approve it.
#[tokio::test]
async fn upgrading_gives_old_entries_typed_data_and_token_work_its_author() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("file");
    let before_spine = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(
            db::MIGRATOR
                .iter()
                .filter(|m| m.version < 20261128000008)
                .cloned()
                .collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before_spine.run(&mut conn).await.expect("older schema");
    sqlx::raw_sql(&format!(
        "PRAGMA application_id = {APPLICATION_ID};
         INSERT INTO users (id, email, display_name, password_hash, role, created_at)
           VALUES (1, 'ada@example.com', 'Ada', 'x', 'admin', '2026-11-01T00:00:00Z');
         INSERT INTO api_tokens (name, token_hash, role, created_by, created_at)
           VALUES ('ci', x'00', 'editor', 'user:ada@example.com', '2026-11-01T00:00:00Z');
         INSERT INTO plans (id, kind, title, tags, label, search, latest, updated_at, updated_by)
           VALUES (1, 'template', 'T', '[]', 'investigating', 't', 1, '2026-11-01T00:00:00Z', 'token:ci');
         INSERT INTO plan_versions (plan_id, version, author, created_at, note, content)
           VALUES (1, 1, 'token:ci', '2026-11-01T00:00:00Z', 'first', '{{}}');
         INSERT INTO incidents (id, title, severity, declared_at, declared_by)
           VALUES (1, 'Old', 'sev2', '2026-11-01T00:00:00Z', 'Ada');
         INSERT INTO timeline (incident_id, at, author, kind, text) VALUES
           (1, '2026-11-01T00:01:00Z', 'Ada', 'role_assigned', 'Incident Commander: handed off from Ada to Sam Ortiz'),
           (1, '2026-11-01T00:02:00Z', 'Ada', 'status_change', 'Investigating → Identified');"
    ))
    .execute(&mut conn)
    .await
    .expect("old rows");
    conn.close().await.expect("close");

    let opened = db::open(&path).await.expect("upgrade");
    let data: Vec<(String,)> = sqlx::query_as("SELECT data FROM timeline ORDER BY id")
        .fetch_all(&opened.db.read)
        .await
        .expect("entries");
    assert_eq!(
        data[0].0,
        r#"{"type":"role","role":"Incident Commander","from":"Ada","to":"Sam Ortiz"}"#
    );
    assert_eq!(
        data[1].0,
        r#"{"type":"status","from":"investigating","to":"identified"}"#
    );
    let (author,): (Option<i64>,) = sqlx::query_as("SELECT author_id FROM plan_versions")
        .fetch_one(&opened.db.read)
        .await
        .expect("version");
    assert_eq!(author, Some(1), "the token's creator wrote it");
    let changed = sqlx::query("UPDATE timeline SET text = 'rewritten'")
        .execute(&opened.db.write)
        .await;
    assert!(changed.is_err(), "the timeline is append-only again");
}

/// `muster backup create`: a sealed copy while the server has the
/// database open, its audit chain checked, and its anchor in the header,
/// which `verify` holds the opened copy to.
#[tokio::test]
async fn a_backup_is_a_checked_copy_that_carries_its_anchor() {
    let app = support::spawn_app(app::environment::Environment::Production)
        .await
        .signed_in_as(app::auth::Role::Responder)
        .await;
    for n in 0..3 {
        let res = app
            .post_form("/api/notes/add", &format!("body=note+{n}"))
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
    }
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("copy.mbk");
    let key_dir = tempfile::tempdir().expect("dir");
    let key_file = key_dir.path().join("backup.key");
    let database = server::cli::DatabaseArg {
        database: Some(app.db_path.display().to_string()),
    };
    let said = server::cli::backup::create(database.clone(), out.clone(), Some(key_file.clone()))
        .await
        .map_err(|f| f.0)
        .expect("backed up");
    assert!(said.starts_with("Made a new backup key in "), "{said}");
    let (entries,): (i64,) = sqlx::query_as("SELECT count(*) FROM audit_log")
        .fetch_one(&app.state.db.read)
        .await
        .expect("count");
    assert!(
        said.contains(&format!("audit anchor {entries}:")),
        "the newest audit entry is the anchor: {said}"
    );
    let verified = server::cli::backup::verify(out.clone(), Some(key_file.clone()))
        .await
        .map_err(|f| f.0)
        .expect("verified");
    assert!(
        verified.contains(&format!(
            "its audit chain of {entries} entries holds to the anchor {entries}:"
        )),
        "{verified}"
    );
    let again = server::cli::backup::create(database, out, Some(key_file)).await;
    assert!(again.is_err_and(|f| f.0.ends_with("already exists; name a new file")));
}

/// Upgrades are safe: a database made with the previous schema, opened by
/// this Muster, leaves a checked copy beside it named with the old schema
/// version, and both hold the data.
#[tokio::test]
async fn an_upgrade_leaves_a_checked_copy_at_the_old_schema_beside_the_database() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("file");
    let newest = db::latest_known_version();
    let previous = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(
            db::MIGRATOR
                .iter()
                .filter(|m| m.version < newest)
                .cloned()
                .collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    previous.run(&mut conn).await.expect("the previous schema");
    let old = previous.iter().map(|m| m.version).max().expect("a version");
    sqlx::raw_sql(&format!(
        "PRAGMA application_id = {APPLICATION_ID};
         INSERT INTO users (id, email, display_name, password_hash, role, created_at)
           VALUES (1, 'ada@example.com', 'Ada', 'x', 'admin', '2026-11-01T00:00:00Z');
         INSERT INTO incidents (id, title, severity, declared_at, declared_by)
           VALUES (1, 'Kept', 'sev2', '2026-11-01T00:00:00Z', 'Ada');"
    ))
    .execute(&mut conn)
    .await
    .expect("rows");
    conn.close().await.expect("close");

    let opened = db::open(&path).await.expect("upgraded");
    let copy = dir.path().join(format!("old.db.before-schema-{old}"));
    assert!(copy.exists(), "a copy named with the old schema version");
    let (title,): (String,) = sqlx::query_as("SELECT title FROM incidents WHERE id = 1")
        .fetch_one(&opened.db.read)
        .await
        .expect("the data, upgraded");
    assert_eq!(title, "Kept");
    opened.db.close().await;
    let mut kept = SqliteConnectOptions::new()
        .filename(&copy)
        .read_only(true)
        .connect()
        .await
        .expect("the copy opens");
    let (version,): (i64,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&mut kept)
        .await
        .expect("version");
    assert_eq!(version, old, "the copy is at the old schema");
    let (title,): (String,) = sqlx::query_as("SELECT title FROM incidents WHERE id = 1")
        .fetch_one(&mut kept)
        .await
        .expect("the data in the copy");
    assert_eq!(title, "Kept");
    kept.close().await.expect("close");

    // Opened again at the newest schema: no new copy.
    let again = db::open(&path).await.expect("reopened");
    again.db.close().await;
    let copies = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("before-schema"))
        .count();
    assert_eq!(copies, 1);
}
