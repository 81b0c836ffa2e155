//! Thin server functions for channels (admins only): list, look at one
//! with its newest messages, add one, send a clearly marked test message.
use super::{AttemptLine, CallView, Channel, OutboxLine, Routing, SettingsForm};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelsView {
    pub channels: Vec<Channel>,
    /// Messages given up as failed in the last day: the page's warning.
    pub failed_today: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelDetail {
    pub channel: Channel,
    pub lines: Vec<OutboxLine>,
    /// The delivery log: the newest attempts.
    pub attempts: Vec<AttemptLine>,
}

/// The signing secret just made for this channel in this session, taken
/// so it is shown once (when the page renders, not in a resource that may
/// run more than once).
pub fn take_revealed(channel: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        server::take_revealed(channel)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = channel;
        None
    }
}

#[server(prefix = "/api", endpoint = "admin/channels")]
pub async fn list_channels() -> Result<ChannelsView, AppError> {
    let (state, _) = crate::auth::guard::require::<ListChannels>().await?;
    let now = state.clock.now();
    let mut conn = state.db.read.acquire().await?;
    Ok(ChannelsView {
        channels: super::db::list(&mut conn).await?,
        failed_today: super::db::failed_since(&mut conn, now - chrono::Duration::days(1)).await?,
    })
}

#[server(prefix = "/api", endpoint = "admin/channel")]
pub async fn get_channel(name: String) -> Result<ChannelDetail, AppError> {
    let (state, _) = crate::auth::guard::require::<GetChannel>().await?;
    let mut conn = state.db.read.acquire().await?;
    let stored = super::db::find(&mut conn, name.trim())
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!("A channel named {}", crate::fields::shown(&name)))
        })?;
    let lines = super::db::lines(
        &mut conn,
        Some(stored.channel.id),
        None,
        super::OUTBOX_SHOWN,
    )
    .await?;
    let attempts = super::db::attempts(&mut conn, stored.channel.id, super::OUTBOX_SHOWN).await?;
    Ok(ChannelDetail {
        channel: stored.channel,
        lines,
        attempts,
    })
}

/// Adds a channel. A Standard Webhooks channel with no secret given gets
/// one made by Muster, shown once on the channel's page; an SMTP password
/// is sealed and never shown again.
#[server(prefix = "/api", endpoint = "admin/channels/add")]
pub async fn add_channel(channel: SettingsForm, secret: Option<String>) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<AddChannel>().await?;
    let auth = crate::auth::AuthState::current()?;
    let (name, made) = super::manage::add(
        &state.db,
        (&auth.secret_key, &state.outbound),
        &channel,
        secret,
        &caller.audit_name(),
        state.clock.now(),
    )
    .await?;
    if let (Some(secret), crate::auth::Caller::User { session_id, .. }) = (made, &caller) {
        auth.reveals
            .put(*session_id, server::KIND, format!("{name}\n{secret}"));
    }
    leptos_axum::redirect(&format!("/admin/channels/{name}"));
    Ok(())
}

/// Sends a clearly marked test message now; the channel's page shows its
/// answer (withheld, like everything, outside production).
#[server(prefix = "/api", endpoint = "admin/channels/test")]
pub async fn test_channel(name: String) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<TestChannel>().await?;
    let auth = crate::auth::AuthState::current()?;
    let place = super::Place {
        environment: state.environment,
        public_url: &state.public_url,
    };
    super::manage::test(
        &state.db,
        (&auth.secret_key, &state.outbound),
        place,
        &name,
        &caller.audit_name(),
        state.clock.now(),
    )
    .await?;
    leptos_axum::redirect(&format!("/admin/channels/{}", name.trim()));
    Ok(())
}

/// Turns a channel off (its messages wait) or on again.
#[server(prefix = "/api", endpoint = "admin/channels/enabled")]
pub async fn set_channel_enabled(name: String, enabled: Option<String>) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<SetChannelEnabled>().await?;
    let on = enabled.as_deref().is_some_and(|v| v == "true" || v == "on");
    super::manage::set_enabled(
        &state.db,
        &name,
        on,
        (&caller.audit_name(), state.clock.now()),
    )
    .await?;
    leptos_axum::redirect(&format!("/admin/channels/{}", name.trim()));
    Ok(())
}

/// The routing page (editors): every rule, and what a rule may name.
#[server(prefix = "/api", endpoint = "routing")]
pub async fn get_routing() -> Result<Routing, AppError> {
    let (state, _) = crate::auth::guard::require::<GetRouting>().await?;
    let mut conn = state.db.read.acquire().await?;
    Ok(super::route::routing(&mut conn).await?)
}

#[server(prefix = "/api", endpoint = "routing/add")]
pub async fn add_routing_rule(
    scope: String,
    target: String,
    minutes: String,
) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<AddRoutingRule>().await?;
    super::route::add_rule(
        &state.db,
        &scope,
        &target,
        &minutes,
        &caller.audit_name(),
        state.clock.now(),
    )
    .await?;
    leptos_axum::redirect("/routing");
    Ok(())
}

#[server(prefix = "/api", endpoint = "routing/remove")]
pub async fn remove_routing_rule(id: i64) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<RemoveRoutingRule>().await?;
    super::route::remove_rule(&state.db, id, &caller.audit_name(), state.clock.now()).await?;
    leptos_axum::redirect("/routing");
    Ok(())
}

/// The call an acknowledge link names. Public: the key in the link is the
/// proof, and only its hash is stored.
#[server(prefix = "/api", endpoint = "calls/look")]
pub async fn look_call(key: String) -> Result<CallView, AppError> {
    let (state, _) = crate::auth::guard::require::<LookCall>().await?;
    super::route::look(&state.db, &key, state.clock.now()).await
}

/// Acknowledges a call (once, before its link expires).
#[server(prefix = "/api", endpoint = "calls/acknowledge")]
pub async fn acknowledge_call(key: String) -> Result<CallView, AppError> {
    let (state, _) = crate::auth::guard::require::<AcknowledgeCall>().await?;
    super::route::acknowledge(&state.db, &key, state.clock.now()).await
}

#[cfg(feature = "ssr")]
mod server {
    pub const KIND: &str = "channel-secret";

    pub fn take_revealed(channel: &str) -> Option<String> {
        let kept = crate::auth::reveal::take_for_page(KIND)?;
        let (name, secret) = kept.split_once('\n')?;
        (name == channel).then(|| secret.to_owned())
    }
}
