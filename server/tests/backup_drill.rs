//! Restore drills on the demo data, from the admin page: the newest
//! scheduled backup is restored into a temporary database, verified,
//! served by a second Muster on a loopback port and asked for /healthz
//! and the sign-in page; the result (time taken and what the backup
//! holds) is in the audit log, on the admin page and on the home page. A
//! damaged backup fails its drill, and the failure is shown, not hidden.
//! Only admins may run one, and only where scheduled backups are on.
mod support;

use app::clock::TimeSource;
use server::backup::{
    drill::Place,
    format::Key,
    schedule::{run_once, Schedule},
};
use support::{form, spawn_app, ORIGIN};

fn key() -> Key {
    Key([9; 32])
}

/// The admin page's button, pressed by whoever holds `cookie`.
async fn drill(app: &support::TestApp, cookie: String) -> support::Answer {
    let page = format!("{ORIGIN}/admin/backups");
    app.post_plain_form_as(&cookie, "/admin/backups/drill", &form(&[]), &page)
        .await
}

#[tokio::test]
async fn a_restore_drill_passes_on_the_demo_data_and_a_damaged_backup_fails_one() {
    let clock = support::manual_clock();
    let mut app = spawn_app(app::environment::Environment::Production)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await;
    let admin = app.session_for(app::auth::Role::Admin).await;

    // Nothing recorded, and no schedule to drill from.
    let empty = app.get_as(&admin, "/admin/backups").await.ok().body;
    assert!(empty.contains(r#"id="backups-none""#), "{empty}");
    let off = drill(&app, admin.clone()).await;
    let to = off.headers["location"].to_str().expect("location");
    assert!(
        to.starts_with("/admin/backups?error=Scheduled%20backups%20are%20off"),
        "{to}"
    );

    // A scheduled backup, then the serving Muster's folder and key.
    let dir = tempfile::tempdir().expect("dir");
    let schedule = Schedule {
        dir: dir.path().to_path_buf(),
        every: chrono::Duration::hours(6),
        keep: 3,
        key: key(),
    };
    let made = run_once(&app.state.db, &app.db_path, &schedule, clock.now()).await;
    assert!(made.ok, "{}", made.message);
    // What the backup holds (the responder below comes after it).
    let accounts = app.count("SELECT COUNT(*) FROM users").await;
    let incidents = app.count("SELECT COUNT(*) FROM incidents").await;
    app.router = app.router.layer(axum::Extension(Place::new(
        dir.path().to_path_buf(),
        key(),
        server::startup::router,
    )));

    let responder = app.session_for(app::auth::Role::Responder).await;
    assert_eq!(drill(&app, responder).await.status, 403, "admins only");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM backup_runs WHERE kind = 'drill'")
            .await,
        0
    );

    // A drill killed earlier left its folder; the next one clears it.
    let stale = app.db_path.with_file_name("muster.db.drill-4000000000");
    std::fs::create_dir(&stale).expect("stale folder");
    std::fs::write(stale.join("drill.db"), "left by a killed drill").expect("write");

    let passed = drill(&app, admin.clone()).await;
    assert_eq!(passed.status, 303, "{}", passed.body);
    assert_eq!(passed.headers["location"], "/admin/backups");
    let (ok, message): (bool, String) = sqlx::query_as(
        "SELECT ok, message FROM backup_runs WHERE kind = 'drill' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.state.db.read)
    .await
    .expect("one drill");
    assert!(ok, "{message}");
    let (ok, message, actor): (bool, String, String) = sqlx::query_as(
        "SELECT r.ok, r.message, a.actor FROM backup_runs r, audit_log a \
         WHERE r.kind = 'drill' AND a.action = 'backup.drill' AND a.outcome = 'allowed'",
    )
    .fetch_one(&app.state.db.read)
    .await
    .expect("one drill, audited");
    assert!(ok, "{message}");
    let left: Vec<String> = std::fs::read_dir(app.db_path.parent().expect("folder"))
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".drill-"))
        .collect();
    assert!(left.is_empty(), "no drill folder left behind: {left:?}");
    assert!(actor.starts_with("user:"), "the admin who asked: {actor}");
    assert!(
        message.contains("a second Muster served /healthz and the sign-in page")
            && message.contains(&format!("holds {accounts} accounts"))
            && message.contains(&format!("{incidents} incidents")),
        "{message}"
    );
    let shown = app.get_as(&admin, "/admin/backups").await.ok().body;
    let file = made
        .file
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        shown.contains(&format!("Last restore drill: passed on {file}, "))
            && shown.contains(r#"data-kind="drill""#)
            && shown.contains(r#"data-kind="scheduled""#)
            && shown.contains(r#"class="backup-strip""#)
            && !shown.contains("drill-warning")
            && !shown.contains("backup-warning"),
        "{shown}"
    );
    let home = app.get_as(&admin, "/").await.ok().body;
    assert!(home.contains("Last restore drill: passed on"), "{home}");

    // A damaged backup: the drill fails, says why, and the pages warn.
    let mut bytes = std::fs::read(&made.file).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&made.file, bytes).expect("write");
    assert_eq!(drill(&app, admin.clone()).await.status, 303);
    let (ok, message): (bool, String) = sqlx::query_as(
        "SELECT ok, message FROM backup_runs WHERE kind = 'drill' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.state.db.read)
    .await
    .expect("the second drill");
    assert!(!ok);
    assert!(
        message.contains("fails its authentication check"),
        "{message}"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'backup.drill' AND outcome = 'failed'"
        )
        .await,
        1
    );
    let shown = app.get_as(&admin, "/admin/backups").await.ok().body;
    assert!(
        shown.contains(r#"id="drill-warning""#) && shown.contains("The last restore drill failed"),
        "{shown}"
    );
}

#[tokio::test]
async fn the_run_history_keeps_a_bounded_number_of_each_kind() {
    use app::backups::{db::record, Kind, NewRun, RUNS_KEPT};
    let clock = support::manual_clock();
    let app = spawn_app(app::environment::Environment::Production)
        .await
        .on_clock(clock.clone());
    let start = clock.now();
    for n in 0..=RUNS_KEPT {
        let kind = Kind::Scheduled;
        record(
            &app.state.db,
            NewRun {
                kind,
                file: &format!("/backups/muster-{n}.mbk"),
                bytes: 1,
                ok: true,
                message: "written and verified",
                pruned: 0,
                every: chrono::Duration::hours(6),
                started_at: start + chrono::Duration::hours(6 * n),
                took: chrono::Duration::seconds(1),
                actor: "muster",
            },
        )
        .await
        .expect("recorded");
    }
    record(
        &app.state.db,
        NewRun {
            kind: Kind::Drill,
            file: "/backups/muster-0.mbk",
            bytes: 1,
            ok: true,
            message: "fine",
            pruned: 0,
            every: chrono::Duration::zero(),
            started_at: start,
            took: chrono::Duration::seconds(2),
            actor: "cli",
        },
    )
    .await
    .expect("recorded");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM backup_runs WHERE kind = 'scheduled'")
            .await,
        RUNS_KEPT,
        "one past the bound: the oldest went"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM backup_runs WHERE file = '/backups/muster-0.mbk' AND kind = 'scheduled'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM backup_runs WHERE kind = 'drill'")
            .await,
        1,
        "the drill is not crowded out by the schedule"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'backup.%'")
            .await,
        RUNS_KEPT + 2,
        "the audit log keeps every run"
    );
}
