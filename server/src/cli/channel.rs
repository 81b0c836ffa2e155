//! `muster channel add|list|test`: channels from the command line,
//! through the same checks, sealing and audit entries as the page.
use crate::{
    cli::commands::{database, Failure},
    cli::{ChannelCommand, DatabaseArg},
    db,
};
use app::reach::{manage, SettingsForm};

fn shown(e: app::error::AppError) -> Failure {
    let code = match e {
        app::error::AppError::Invalid { .. } | app::error::AppError::Conflict(_) => 2,
        _ => 1,
    };
    Failure(e.to_string(), code)
}

async fn open(arg: DatabaseArg) -> Result<(db::Opened, app::sealing::SecretKey), Failure> {
    let path = database(arg)?;
    let configured = std::env::var("MUSTER_SECRET_KEY").ok();
    let key = crate::keys::load(configured.as_deref(), &path).map_err(|e| Failure(e, 2))?;
    Ok((db::open(&path).await?, key))
}

async fn toggle(database: DatabaseArg, name: &str, on: bool) -> Result<String, Failure> {
    let (opened, _) = open(database).await?;
    let done = manage::set_enabled(&opened.db, name, on, ("cli", chrono::Utc::now())).await;
    opened.db.close().await;
    done.map_err(shown)?;
    Ok(format!(
        "Channel {} is {}.",
        name.trim(),
        if on { "on" } else { "off" }
    ))
}

/// Where the command may connect, from `--allow-network`.
fn allowed(raw: Option<&str>) -> Result<app::outbound::Outbound, Failure> {
    crate::settings::parse_allowed_networks(raw).map_err(|e| Failure(e.to_string(), 2))
}

pub async fn run(command: ChannelCommand) -> Result<String, Failure> {
    let now = chrono::Utc::now();
    match command {
        ChannelCommand::Add {
            database,
            name,
            kind,
            address,
            preset,
            security,
            user,
            password_stdin,
            from,
            to,
            for_customers,
            per_minute,
            allow_network,
        } => {
            let form = SettingsForm {
                name,
                kind,
                preset: preset.unwrap_or_default(),
                address,
                security: security.unwrap_or_default(),
                username: user.unwrap_or_default(),
                sender: from.unwrap_or_default(),
                recipients: to.unwrap_or_default(),
                for_customers: for_customers.then(|| "on".to_owned()),
                per_minute: per_minute.map(|n| n.to_string()).unwrap_or_default(),
            };
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let outbound = allowed(allow_network.as_deref())?;
            let (opened, key) = open(database).await?;
            let added =
                manage::add(&opened.db, (&key, &outbound), &form, password, "cli", now).await;
            opened.db.close().await;
            let (name, made) = added.map_err(shown)?;
            Ok(match made {
                Some(secret) => format!(
                    "Channel {name} added. Its signing secret (Standard Webhooks), shown this once:\n{secret}"
                ),
                None => format!("Channel {name} added."),
            })
        }
        ChannelCommand::Enable { database, name } => toggle(database, &name, true).await,
        ChannelCommand::Disable { database, name } => toggle(database, &name, false).await,
        ChannelCommand::List { database } => {
            let (opened, _) = open(database).await?;
            let mut conn = opened.db.read.acquire().await?;
            let channels = app::reach::db::list(&mut conn).await?;
            drop(conn);
            opened.db.close().await;
            if channels.is_empty() {
                return Ok("No channels.".into());
            }
            Ok(channels
                .iter()
                .map(|c| {
                    format!(
                        "{}\t{}\t{}\t{}{}",
                        c.name,
                        c.kind.as_str(),
                        c.shown_address,
                        if c.enabled { "on" } else { "off" },
                        if c.for_customers {
                            "\tfor customers"
                        } else {
                            ""
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        ChannelCommand::Test {
            database,
            name,
            environment,
            public_url,
            allow_network,
        } => {
            let outbound = allowed(allow_network.as_deref())?;
            let environment = match environment {
                Some(e) => e
                    .parse()
                    .map_err(|e| Failure(format!("setting MUSTER_ENV (--env) is wrong: {e}"), 2))?,
                None => app::environment::Environment::Production,
            };
            let public_url = public_url.unwrap_or_else(|| "http://127.0.0.1:3000".into());
            let (opened, key) = open(database).await?;
            let place = app::reach::Place {
                environment,
                public_url: &public_url,
            };
            let tested =
                manage::test(&opened.db, (&key, &outbound), place, &name, "cli", now).await;
            opened.db.close().await;
            let (state, answer) = tested.map_err(shown)?;
            match state {
                app::reach::State::Sent => Ok(format!("Sent: {answer}")),
                app::reach::State::Withheld => Ok(format!("Withheld: {answer}")),
                // Held by a channel that is off, or refused for now: the
                // sender of a serving Muster tries again.
                app::reach::State::Pending => Ok(format!("Queued: {answer}")),
                _ => Err(Failure(format!("Not delivered: {answer}"), 1)),
            }
        }
    }
}
