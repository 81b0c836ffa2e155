//! `muster source add|list|rotate`: webhook sources from the command line,
//! through the same checks and audit entries as the page. A new secret is
//! printed once, on its own line, so a script can take it.
use crate::{
    cli::commands::{database, Failure},
    cli::{DatabaseArg, SourceCommand},
    db,
};
use app::hooks::{db::Settings, manage};

fn usage(message: impl Into<String>) -> Failure {
    Failure(message.into(), 2)
}

/// The secret from the first line of standard input, when asked to.
fn read_secret(from_stdin: bool) -> Result<Option<String>, Failure> {
    if !from_stdin {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(Some(line.trim().to_owned()).filter(|s| !s.is_empty()))
}

async fn open(arg: DatabaseArg) -> Result<(db::Opened, app::sealing::SecretKey), Failure> {
    let path = database(arg)?;
    let configured = std::env::var("MUSTER_SECRET_KEY").ok();
    let key = crate::keys::load(configured.as_deref(), &path).map_err(usage)?;
    Ok((db::open(&path).await?, key))
}

fn shown(e: app::error::AppError) -> Failure {
    let code = match e {
        app::error::AppError::Invalid { .. } | app::error::AppError::Conflict(_) => 2,
        _ => 1,
    };
    Failure(e.to_string(), code)
}

pub async fn run(command: SourceCommand) -> Result<String, Failure> {
    let now = chrono::Utc::now();
    match command {
        SourceCommand::Add {
            database,
            name,
            scheme,
            secret_stdin,
            environment,
            networks,
            retention,
        } => {
            let settings = Settings::check(
                environment.as_deref().unwrap_or_default(),
                networks.as_deref().unwrap_or_default(),
                &retention.map(|d| d.to_string()).unwrap_or_default(),
                true,
            )
            .map_err(shown)?;
            let entered = read_secret(secret_stdin)?;
            let (opened, key) = open(database).await?;
            let made = manage::add(
                &opened.db.write,
                &key,
                &name,
                &scheme,
                &settings,
                entered,
                "cli",
                now,
            )
            .await;
            opened.db.close().await;
            let secret = made.map_err(shown)?;
            Ok(format!(
                "Source {name} ({scheme}) receives at /hooks/{name}. Its secret, shown this once:\n{secret}"
            ))
        }
        SourceCommand::List { database } => {
            let (opened, _) = open(database).await?;
            let mut conn = opened.db.read.acquire().await?;
            let sources = app::hooks::db::list(&mut conn).await;
            drop(conn);
            opened.db.close().await;
            let sources = sources?;
            if sources.is_empty() {
                return Ok(
                    "No sources yet (add one with: muster source add NAME --scheme S).".into(),
                );
            }
            let lines: Vec<String> = sources
                .iter()
                .map(|s| {
                    let overlap = s.secrets.iter().filter(|(_, r)| r.is_some()).count();
                    format!(
                        "{:<24} {:<18} {:<4} {:>8} accepted {:>6} duplicates {:>6} refused{}{}",
                        s.name,
                        s.scheme,
                        if s.enabled { "on" } else { "off" },
                        s.accepted,
                        s.duplicates,
                        s.rejected,
                        if s.networks.is_empty() {
                            String::new()
                        } else {
                            format!("  from {}", s.networks)
                        },
                        if overlap > 0 {
                            format!("  ({overlap} old secret(s) still verifying)")
                        } else {
                            String::new()
                        }
                    )
                })
                .collect();
            Ok(lines.join("\n"))
        }
        SourceCommand::Rotate {
            database,
            name,
            overlap_hours,
            secret_stdin,
        } => {
            let entered = read_secret(secret_stdin)?;
            let (opened, key) = open(database).await?;
            let overlap = overlap_hours.unwrap_or(app::hooks::secret::DEFAULT_OVERLAP_HOURS);
            let rotated =
                manage::rotate(&opened.db.write, &key, &name, overlap, entered, "cli", now).await;
            opened.db.close().await;
            let secret = rotated.map_err(shown)?;
            Ok(format!(
                "Source {name} has a new secret; the old one verifies for {overlap} more hour(s). The new secret, shown this once:\n{secret}"
            ))
        }
    }
}
