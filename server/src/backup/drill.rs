//! The restore drill: a backup is proven only by restoring it. The newest
//! backup is restored into a private temporary folder beside the live
//! database (which verifies it whole: checksum, integrity, schema, the
//! audit chain), a second Muster is started on it on a free loopback
//! port, `/healthz` and the sign-in page are fetched from it over real
//! TCP, and it is stopped. The result, with the time it took and what the
//! backup holds, goes into `backup_runs` and the audit log
//! (`backup.drill`).
//!
//! The second Muster runs in this process, on its own database, router
//! and port, labelled sandbox, and with a throwaway sealing key: it is
//! asked for two pages and nothing else, so it needs no secret of ours.
use super::{format::Key, Report};
use crate::cli::commands::Failure;
use app::{
    auth::AuthState,
    backups::{Kind, NewRun},
    environment::Environment,
    sealing::SecretKey,
    state::{AppState, Db},
};
use chrono::{DateTime, Utc};
use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most of an answer the drill reads from the second Muster.
const MAX_ANSWER: u64 = 4 << 20;
/// How long the second Muster may take to answer both checks.
const CHECKS_WITHIN: Duration = Duration::from_secs(60);

/// What a drill that passed found.
pub struct Found {
    pub report: Report,
    /// Where the second Muster answered (a loopback port, now closed).
    pub address: SocketAddr,
}

impl Found {
    /// One line for the record: what was proven and what the backup holds.
    pub fn summary(&self) -> String {
        let r = &self.report;
        format!(
            "restored and verified (integrity, schema {}, audit chain of {} entries); a second Muster \
             served /healthz and the sign-in page; holds {} accounts, {} runbooks, {} incidents, \
             {} timeline entries, {} audit events",
            r.header.schema,
            r.header.audit_entries,
            r.accounts,
            r.runbooks,
            r.incidents,
            r.timeline_entries,
            r.events
        )
    }
}

/// The newest backup the schedule wrote in `dir`.
pub fn newest(dir: &Path) -> Option<PathBuf> {
    super::schedule::backups_in(dir).pop()
}

/// A folder beside the database, `DATABASE.drill-PID`, removed when
/// dropped (and by the next drill if this process is killed). Beside the
/// database, not in the system's temporary folder: a plain copy of the
/// data never leaves the database's folder, and a large one does not land
/// in a memory-backed /tmp.
struct Folder(PathBuf);

impl Folder {
    fn beside(database: &Path) -> Result<Self, Failure> {
        super::clear_stale(database, "drill", "");
        let path = super::beside(database, &format!("drill-{}", std::process::id()));
        // A folder left by this same process (an earlier drill that
        // panicked) is ours to clear.
        let _ = std::fs::remove_dir_all(&path);
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path).map_err(|e| {
            Failure(
                format!("cannot make the drill's folder {}: {e}", path.display()),
                1,
            )
        })?;
        Ok(Self(path))
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds the router a second Muster serves the restored database with.
/// Whoever starts a drill gives it (the command, the serving Muster), so
/// this module never names the router that serves its own route.
pub type Serve = fn(AppState, AuthState) -> axum::Router;

/// Restores `backup` beside `database`, serves it, checks it, and cleans
/// up whatever happens. `say` hears each step (the command line prints
/// them).
pub async fn drill(
    backup: &Path,
    key: &Key,
    database: &Path,
    serve: Serve,
    mut say: impl FnMut(String),
) -> Result<Found, Failure> {
    let dir = Folder::beside(database)?;
    let target = dir.0.join("drill.db");
    say(format!(
        "restoring {} into a temporary database",
        backup.display()
    ));
    let report = super::restore(backup, &target, false, key).await?;
    say("restored and verified; starting a second Muster on it".into());
    let opened = crate::db::open(&target).await?;
    let served = serve_and_check(opened.db.clone(), serve).await;
    opened.db.close().await;
    let address = served?;
    say(format!(
        "{address} answered /healthz and the sign-in page; stopped it"
    ));
    Ok(Found { report, address })
}

/// Serves `db` on a free loopback port, asks it for `/healthz` and the
/// sign-in page, and stops it.
async fn serve_and_check(db: Db, serve: Serve) -> Result<SocketAddr, Failure> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let address = listener.local_addr()?;
    let state = AppState::new(db, Environment::Sandbox, format!("http://{address}"));
    let router = serve(state, AuthState::new(SecretKey::generate()))
        .into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let checked = tokio::time::timeout(CHECKS_WITHIN, check(address)).await;
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    match checked {
        Ok(result) => result.map(|()| address),
        Err(_) => Err(Failure(
            format!(
                "the second Muster did not answer within {} s",
                CHECKS_WITHIN.as_secs()
            ),
            1,
        )),
    }
}

async fn check(address: SocketAddr) -> Result<(), Failure> {
    let (status, body) = get(address, "/healthz").await?;
    if status != 200 || !body.contains(r#""status":"ok""#) {
        return Err(Failure(
            format!(
                "the second Muster's /healthz answered {status}: {}",
                shown(&body)
            ),
            1,
        ));
    }
    let (status, body) = get(address, "/sign-in").await?;
    if status != 200 || !body.contains(r#"id="sign-in-form""#) {
        return Err(Failure(
            format!("the second Muster's sign-in page answered {status} without its form"),
            1,
        ));
    }
    Ok(())
}

/// At most 200 characters of an answer, for a message.
fn shown(body: &str) -> String {
    body.chars().take(200).collect()
}

/// One HTTP/1.0 GET over a fresh connection: the answer comes whole and
/// unchunked, ended by the server closing the connection.
async fn get(address: SocketAddr, path: &str) -> Result<(u16, String), Failure> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.0\r\nHost: {address}\r\nAccept: text/html\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    let mut answer = Vec::new();
    stream.take(MAX_ANSWER).read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            Failure(
                format!("the second Muster's answer to {path} has no status"),
                1,
            )
        })?;
    Ok((status, body.to_owned()))
}

/// Runs a drill on `backup` and records how it went, whichever way.
/// Returns whether it passed, the recorded message, and how long it took.
/// `by` is who started it, and when.
pub async fn run_and_record(
    db: &Db,
    database: &Path,
    backup: &Path,
    key: &Key,
    by: (&str, DateTime<Utc>),
    serve: Serve,
    say: impl FnMut(String),
) -> (bool, String, chrono::Duration) {
    let began = std::time::Instant::now();
    let (ok, message) = match drill(backup, key, database, serve, say).await {
        Ok(found) => (true, found.summary()),
        Err(f) => (false, f.0),
    };
    let took = chrono::Duration::from_std(began.elapsed()).unwrap_or_default();
    let file = backup.display().to_string();
    let recorded = app::backups::db::record(
        db,
        NewRun {
            kind: Kind::Drill,
            file: &file,
            bytes: std::fs::metadata(backup).map_or(0, |m| m.len()),
            ok,
            message: &message,
            pruned: 0,
            every: chrono::Duration::zero(),
            started_at: by.1,
            took,
            actor: by.0,
        },
    )
    .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record a restore drill");
    }
    (ok, message, took)
}

/// Where a serving Muster's drills find backups: its scheduled backups'
/// folder and key. Given to the router as an extension when scheduled
/// backups are on; one drill at a time.
#[derive(Clone)]
pub struct Place {
    pub dir: PathBuf,
    pub key: Arc<Key>,
    serve: Serve,
    busy: Arc<tokio::sync::Mutex<()>>,
}

impl Place {
    pub fn new(dir: PathBuf, key: Key, serve: Serve) -> Self {
        Self {
            dir,
            key: Arc::new(key),
            serve,
            busy: Default::default(),
        }
    }
}

pub fn routes() -> Vec<crate::state::Route> {
    vec![("/admin/backups/drill", axum::routing::post(drill_now))]
}

fn back(error: Option<&str>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let to = match error {
        Some(why) => format!("/admin/backups?error={}", app::fields::query_value(why)),
        None => "/admin/backups".to_owned(),
    };
    axum::response::Redirect::to(&to).into_response()
}

/// The admin page's button: a drill on the newest scheduled backup, run
/// while the admin waits, then back to the page that shows its result.
async fn drill_now(
    axum::extract::State(state): axum::extract::State<crate::state::ServerState>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let Some(caller) = crate::http::access::recheck(&req, "/admin/backups/drill") else {
        return crate::http::access::forbidden();
    };
    let Some(place) = req.extensions().get::<Place>().cloned() else {
        return back(Some(
            "Scheduled backups are off (start Muster with --backup-dir), so there is no backup here to drill. \
             On the command line: muster backup drill --file BACKUP.",
        ));
    };
    let Ok(_one_at_a_time) = place.busy.try_lock() else {
        return back(Some("A restore drill is already running."));
    };
    let Some(newest) = newest(&place.dir) else {
        return back(Some("The backup folder holds no backup yet: the first one is written at start, then on the schedule."));
    };
    let database = state
        .app
        .db
        .write
        .connect_options()
        .get_filename()
        .to_path_buf();
    let (ok, message, _) = run_and_record(
        &state.app.db,
        &database,
        &newest,
        &place.key,
        (&caller.audit_name(), state.app.clock.now()),
        place.serve,
        |step| tracing::info!(step = %step, "restore drill"),
    )
    .await;
    if ok {
        tracing::info!(backup = %newest.display(), "restore drill passed");
    } else {
        tracing::error!(backup = %newest.display(), problem = %message, "restore drill failed");
    }
    back(None)
}
