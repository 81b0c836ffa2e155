//! Adding a channel and sending its test message: one path for the page
//! and the command line, each with its audit entry.
use super::{db, sender::Sender, Kind, Message, Place, Preset, Settings, SettingsForm, State};
use crate::{
    audit::{self, NewEntry, Outcome},
    error::AppError,
    sealing::SecretKey,
    state::Db,
};
use chrono::{DateTime, Utc};

/// The secret to seal, and whether Muster made it (to show it once).
fn secret_for(s: &Settings, given: Option<String>) -> Result<(Option<String>, bool), AppError> {
    use crate::signing::{secret, Scheme};
    let given = given.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty());
    if given
        .as_ref()
        .is_some_and(|g| g.len() > 200 || g.chars().any(char::is_control))
    {
        return Err(AppError::invalid(
            "Secret",
            "at most 200 characters, on one line",
        ));
    }
    match (s.kind, s.preset, given) {
        (Kind::Webhook, Preset::Standard, None) => {
            Ok((Some(secret::generate(Scheme::StandardWebhooks)), true))
        }
        (Kind::Webhook, Preset::Standard, Some(g)) => {
            secret::check_entered(Scheme::StandardWebhooks, &g)
                .map_err(|e| AppError::invalid("Secret", e))?;
            Ok((Some(g), false))
        }
        (Kind::Webhook, _, Some(_)) => Err(AppError::invalid(
            "Secret",
            "Slack and Teams webhooks sign nothing: their URL is the secret",
        )),
        (Kind::Email, _, Some(_)) if s.username.is_empty() => {
            Err(AppError::invalid("Secret", "a password needs a user name"))
        }
        (_, _, given) => Ok((given, false)),
    }
}

/// Adds a channel (audited as `channel.add`, never with its secret).
/// Returns its name and the signing secret Muster made for it, if any.
pub async fn add(
    db: &Db,
    (sealing, outbound): (&SecretKey, &crate::outbound::Outbound),
    form: &SettingsForm,
    secret: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(String, Option<String>), AppError> {
    let settings = form.check()?;
    // An address inside the network is refused now, with why; a name is
    // checked on what it resolves to each time Muster connects.
    let host = match settings.kind {
        super::Kind::Email => super::host_port(&settings.address).map(|(h, _)| h),
        super::Kind::Webhook => url::Url::parse(&settings.address)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned)),
    };
    let field = match settings.kind {
        super::Kind::Email => "Server",
        super::Kind::Webhook => "URL",
    };
    outbound
        .check_host(&host.unwrap_or_default())
        .map_err(|why| AppError::invalid(field, why))?;
    let (secret, made) = secret_for(&settings, secret)?;
    let mut tx = db.write.begin().await?;
    db::add(&mut tx, &settings, secret.as_deref(), sealing, now).await?;
    let shown = match settings.kind {
        Kind::Webhook => super::shown_url(&settings.address),
        Kind::Email => settings.address.clone(),
    };
    let entry = NewEntry::new(
        actor,
        "channel.add",
        format!("channel:{}", settings.name),
        Outcome::Allowed,
        now,
    )
    .because(format!(
        "{} {shown}{}",
        settings.kind.as_str(),
        if settings.for_customers {
            ", for customers"
        } else {
            ""
        }
    ));
    audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    Ok((settings.name, if made { secret } else { None }))
}

/// Queues a clearly marked test message (audited as `channel.test`) and
/// delivers it at once. Returns how it went and the receiver's answer (or
/// whom it would have reached, when withheld).
pub async fn test(
    db: &Db,
    (sealing, outbound): (&SecretKey, &crate::outbound::Outbound),
    place: Place<'_>,
    name: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(State, String), AppError> {
    let mut tx = db.write.begin().await?;
    let stored = db::find(&mut tx, name.trim()).await?.ok_or_else(|| {
        AppError::NotFound(format!("A channel named {}", crate::fields::shown(name)))
    })?;
    let c = &stored.channel;
    let message = Message {
        purpose: "test",
        incident_id: None,
        to: String::new(),
        subject: format!("[TEST] Muster test message for channel {}", c.name),
        body: format!(
            "This is a test message from Muster ({}), sent by {actor}. Nobody needs to act.",
            place.public_url
        ),
        link: Some(format!(
            "{}/admin/channels/{}",
            place.public_url.trim_end_matches('/'),
            c.name
        )),
        call_id: None,
    };
    let (id, withheld) = db::enqueue(&mut tx, c, &message, (place.environment, false), now).await?;
    let entry = NewEntry::new(
        actor,
        "channel.test",
        format!("channel:{}", c.name),
        Outcome::Allowed,
        now,
    )
    .because(if withheld {
        "withheld: not production"
    } else {
        "test message sent"
    });
    audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    Sender::new(sealing.clone(), outbound.clone())
        .deliver_now(db, id, now)
        .await
}

/// Turns a channel on or off (audited). An off channel holds its messages:
/// they wait in the outbox, and go when it is turned on again.
pub async fn set_enabled(
    db: &Db,
    name: &str,
    enabled: bool,
    (actor, now): (&str, DateTime<Utc>),
) -> Result<(), AppError> {
    let mut tx = db.write.begin().await?;
    let stored = db::find(&mut tx, name.trim()).await?.ok_or_else(|| {
        AppError::NotFound(format!("A channel named {}", crate::fields::shown(name)))
    })?;
    db::set_enabled(&mut tx, stored.channel.id, enabled).await?;
    let entry = NewEntry::new(
        actor,
        if enabled { "channel.on" } else { "channel.off" },
        format!("channel:{}", stored.channel.name),
        Outcome::Allowed,
        now,
    );
    audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    Ok(())
}
