//! Making a source and rotating its secret: the page and the command line
//! both come here, so both check, store and record the same way. The
//! secret is returned to be shown once; it is never in the audit log.
use super::{db, secret};
use crate::signing::{
    secret::{check_entered, generate},
    Scheme,
};
use crate::{
    audit::{self, NewEntry},
    error::AppError,
    sealing::SecretKey,
};
use chrono::{DateTime, Duration, Utc};
use sqlx::SqlitePool;

/// The secret a source gets: the one entered, checked, or a new one.
fn chosen(scheme: Scheme, entered: Option<String>) -> Result<String, AppError> {
    match entered
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    {
        Some(secret) => {
            check_entered(scheme, &secret).map_err(|e| AppError::invalid("Secret", e))?;
            Ok(secret)
        }
        None => Ok(generate(scheme)),
    }
}

/// Makes a source and its first secret; the secret, to be shown once.
#[allow(clippy::too_many_arguments)]
pub async fn add(
    write: &SqlitePool,
    sealing: &SecretKey,
    name: &str,
    scheme: &str,
    settings: &db::Settings,
    entered: Option<String>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let name = super::check_name(name).map_err(|e| AppError::invalid("Name", e))?;
    let scheme = Scheme::parse(scheme).ok_or_else(|| {
        AppError::invalid(
            "Scheme",
            "one of stripe, standard-webhooks, github, slack, token",
        )
    })?;
    let secret = chosen(scheme, entered)?;
    let mut tx = write.begin().await?;
    let id = db::add(&mut tx, &name, scheme, settings, by, now).await?;
    secret::install(&mut tx, sealing, id, &secret, now, now).await?;
    let entry = NewEntry::new(
        by,
        "hooks.source.add",
        format!("source:{name}"),
        audit::Outcome::Allowed,
        now,
    )
    .because(format!(
        "scheme {}, {}",
        scheme.as_str(),
        described(settings)
    ));
    audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Gives a source a new secret; the old ones keep verifying for
/// `overlap_hours` (0: they stop now). The new secret, to be shown once.
#[allow(clippy::too_many_arguments)]
pub async fn rotate(
    write: &SqlitePool,
    sealing: &SecretKey,
    name: &str,
    overlap_hours: i64,
    entered: Option<String>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    if !(0..=secret::MAX_OVERLAP_HOURS).contains(&overlap_hours) {
        return Err(AppError::invalid(
            "Overlap",
            format!("0 to {} hours", secret::MAX_OVERLAP_HOURS),
        ));
    }
    let mut tx = write.begin().await?;
    let source = db::find(&mut tx, name, now).await?.ok_or_else(|| {
        AppError::NotFound(format!("A source named {}", crate::fields::shown(name)))
    })?;
    let secret = chosen(source.scheme, entered)?;
    let retire = now + Duration::hours(overlap_hours);
    secret::install(&mut tx, sealing, source.id, &secret, now, retire).await?;
    let entry = NewEntry::new(
        by,
        "hooks.source.rotate",
        format!("source:{}", source.name),
        audit::Outcome::Allowed,
        now,
    )
    .because(format!(
        "the old secret verifies until {}",
        retire.format("%Y-%m-%d %H:%M UTC")
    ));
    audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Changes a source's settings.
pub async fn configure(
    write: &SqlitePool,
    name: &str,
    settings: &db::Settings,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = write.begin().await?;
    let source = db::find(&mut tx, name, now).await?.ok_or_else(|| {
        AppError::NotFound(format!("A source named {}", crate::fields::shown(name)))
    })?;
    db::set(&mut tx, source.id, settings).await?;
    let entry = NewEntry::new(
        by,
        "hooks.source.set",
        format!("source:{}", source.name),
        audit::Outcome::Allowed,
        now,
    )
    .because(described(settings));
    audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

fn described(s: &db::Settings) -> String {
    format!(
        "{}, environment '{}', networks '{}', events kept {} days",
        if s.enabled { "on" } else { "off" },
        s.environment,
        if s.networks.is_empty() {
            "any"
        } else {
            &s.networks
        },
        s.retention_days
    )
}
