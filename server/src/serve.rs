//! `muster serve`: open the database, bind, say where to go, serve until
//! told to stop.
use crate::{db, demo, settings::Settings, startup};
use app::{
    auth::{password::Hasher, sessions::SessionPolicy, AuthState},
    state::AppState,
};
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("database {0}")]
    Database(#[from] db::OpenError),
    #[error("loading demo data failed: {0}")]
    Demo(String),
    #[error("{0}")]
    Key(String),
    #[error("reading the database failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// The schedule from the settings, with its key found (and made beside
/// the database on first use) and held apart from the backup folder.
fn backup_schedule(
    b: &crate::settings::BackupSettings,
    database: &std::path::Path,
) -> Result<crate::backup::schedule::Schedule, ServeError> {
    use crate::backup::{check_apart, default_key_file, load_key, KeySource, KEY_VARIABLE};
    let (key, from, made) = load_key(KeySource {
        variable: std::env::var(KEY_VARIABLE).ok(),
        file: b.key_file.as_deref(),
        default_file: Some(default_key_file(database)),
        create_missing: true,
    })
    .map_err(ServeError::Key)?;
    check_apart(from.as_deref(), &b.dir.join("muster.mbk")).map_err(ServeError::Key)?;
    if made {
        tracing::warn!(
            key_file = %from.as_deref().unwrap_or(std::path::Path::new("")).display(),
            key_id = %key.id(),
            "made a new backup key: keep a copy somewhere safe and apart from the backups"
        );
    }
    tracing::info!(folder = %b.dir.display(), every_minutes = b.every.num_minutes(), keep = b.keep, key_id = %key.id(), "scheduled backups on");
    Ok(crate::backup::schedule::Schedule {
        dir: b.dir.clone(),
        every: b.every,
        keep: b.keep,
        key,
    })
}

pub async fn run(settings: Settings) -> Result<(), ServeError> {
    if !crate::http::assets::site_is_complete() {
        tracing::warn!(
            "this build has no embedded site: pages work, but without JavaScript; \
             build with `cargo leptos build --release --precompress`"
        );
    }
    let opened = db::open(&settings.database).await?;
    let db = opened.db;
    let folder = settings
        .database
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    match app::drills::schedule_api::server::fill_dates(&db.write, chrono::Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(schedules = n, "drill schedule dates worked out"),
        Err(err) => tracing::warn!(error = %err, "could not work out drill schedule dates"),
    }
    let cleared = crate::files::clear_left_uploads(folder);
    if cleared > 0 {
        tracing::info!(cleared, "uploads left by a stopped Muster were removed");
    }
    match db::sqlite_version(&db).await {
        Ok(v) => {
            tracing::info!(sqlite_version = %v, database = %settings.database.display(), "database open")
        }
        Err(err) => tracing::warn!(error = %err, "could not read the SQLite version"),
    }
    let secret_key = crate::keys::load(settings.secret_key.as_deref(), &settings.database)
        .map_err(ServeError::Key)?;
    let schedule = match &settings.backups {
        Some(b) => Some(backup_schedule(b, &settings.database)?),
        None => None,
    };
    let hasher = Hasher::default();
    let demo_file = demo::accounts_file(&settings.database);
    if opened.created && settings.demo {
        let accounts = demo::load(&db, &hasher, &secret_key, chrono::Utc::now())
            .await
            .map_err(ServeError::Demo)?;
        demo::save_accounts(&demo_file, &accounts).map_err(|e| ServeError::Demo(e.to_string()))?;
        tracing::info!("demo data loaded into the new database");
    }
    let listener = TcpListener::bind(settings.bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: settings.bind.to_string(),
            source,
        })?;
    let local = listener.local_addr().map_err(ServeError::Serve)?;
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let mut state = AppState::new(db.clone(), settings.environment, public_url.clone());
    state.outbound = settings.outbound.clone();
    let auth = AuthState {
        sessions: SessionPolicy {
            idle: settings.session_idle,
            absolute: settings.session_max,
            secure: public_url.starts_with("https://"),
        },
        hasher,
        trusted_proxies: std::sync::Arc::new(settings.trusted_proxies.clone()),
        require_mfa: std::sync::Arc::new(app::auth::mfa::db::required(&db.read).await?.into()),
        ..AuthState::new(secret_key)
    };
    let has_accounts = app::auth::users::count(&db.read).await? > 0;
    print_welcome(&public_url, &settings, has_accounts, &demo_file);
    tracing::info!(address = %local, environment = %settings.environment, "listening");
    let live = state.live.clone();
    crate::jobs::start(&state, &auth);
    // The admin page's restore drill uses the schedule's folder and key.
    let drill_place = schedule.as_ref().map(|s| {
        crate::backup::drill::Place::new(
            s.dir.clone(),
            crate::backup::format::Key(s.key.0),
            startup::router,
        )
    });
    if let Some(schedule) = schedule {
        tokio::spawn(crate::backup::schedule::run_every(
            state.db.clone(),
            settings.database.clone(),
            schedule,
        ));
    }
    let mut router = startup::router(state, auth);
    if let Some(place) = drill_place {
        router = router.layer(axum::Extension(place));
    }
    let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // Live incident streams never end by themselves.
            live.close();
        })
        .await
        .map_err(ServeError::Serve)?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// What the person who started Muster reads first. Tests wait for the
/// first line to learn the address.
fn print_welcome(
    public_url: &str,
    settings: &Settings,
    has_accounts: bool,
    demo_file: &std::path::Path,
) {
    println!("Muster is running at {public_url}");
    println!("  database: {}", settings.database.display());
    println!("  environment: {}", settings.environment);
    if !has_accounts {
        println!("  No accounts yet: open {public_url}/setup to create the first administrator,");
        println!(
            "  or run `muster user add --admin --email you@example.com --name \"Your Name\"`."
        );
    } else if let Ok(accounts) = std::fs::read_to_string(demo_file) {
        println!(
            "  Demo accounts (role, email, password), from {}:",
            demo_file.display()
        );
        for line in accounts.lines() {
            println!("    {line}");
        }
    } else {
        println!("  Sign in at {public_url}/sign-in with your account.");
    }
    println!("  Stop with Ctrl-C.");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
