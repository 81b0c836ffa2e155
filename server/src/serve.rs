//! `muster serve`: open the database, bind, say where to go, serve until
//! told to stop.
use crate::{db, demo, settings::Settings, startup};
use app::state::AppState;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("database {0}")]
    Database(#[from] db::OpenError),
    #[error("loading demo data failed: {0}")]
    Demo(sqlx::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

pub async fn run(settings: Settings) -> Result<(), ServeError> {
    if !crate::assets::site_is_complete() {
        tracing::warn!(
            "this build has no embedded site: pages work, but without JavaScript; \
             build with `cargo leptos build --release --precompress`"
        );
    }
    let opened = db::open(&settings.database).await?;
    let db = opened.db;
    match db::sqlite_version(&db).await {
        Ok(v) => {
            tracing::info!(sqlite_version = %v, database = %settings.database.display(), "database open")
        }
        Err(err) => tracing::warn!(error = %err, "could not read the SQLite version"),
    }
    if opened.created && settings.demo {
        demo::load(&db).await.map_err(ServeError::Demo)?;
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
    let state = AppState {
        db: db.clone(),
        environment: settings.environment,
        public_url: public_url.clone(),
    };
    print_welcome(&public_url, &settings);
    tracing::info!(address = %local, environment = %settings.environment, "listening");
    axum::serve(listener, startup::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServeError::Serve)?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// What the person who started Muster reads first. Tests wait for the
/// first line to learn the address.
fn print_welcome(public_url: &str, settings: &Settings) {
    println!("Muster is running at {public_url}");
    println!("  database: {}", settings.database.display());
    println!("  environment: {}", settings.environment);
    println!("  Open the address in a browser. No sign-in is needed yet: accounts and roles are not built.");
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
