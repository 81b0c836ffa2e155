//! Thin server functions for webhook sources: editors read sources and
//! their delivery logs; admins make sources, change them and rotate
//! their secrets. A new secret is shown once, on the source's page.
use super::{NewSecret, SourceDetail, SourceView};
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "hooks/sources")]
pub async fn list_sources() -> Result<Vec<SourceView>, AppError> {
    let (state, _) = crate::auth::guard::require::<ListSources>().await?;
    let mut conn = state.db.read.acquire().await?;
    Ok(super::db::list(&mut conn).await?)
}

#[server(prefix = "/api", endpoint = "hooks/source")]
pub async fn get_source(name: String) -> Result<SourceDetail, AppError> {
    let (state, _) = crate::auth::guard::require::<GetSource>().await?;
    let mut conn = state.db.read.acquire().await?;
    let (source, deliveries) = super::db::detail(&mut conn, &name, state.clock.now())
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!("A source named {}", crate::fields::shown(&name)))
        })?;
    let address = server::address(&state, &source.name);
    Ok(SourceDetail {
        source,
        deliveries,
        address,
    })
}

/// Makes a source; its page then shows the secret, once.
#[server(prefix = "/api", endpoint = "hooks/add")]
pub async fn add_source(
    name: String,
    scheme: String,
    environment: String,
    networks: String,
    retention: String,
    secret: Option<String>,
) -> Result<NewSecret, AppError> {
    let (state, caller) = crate::auth::guard::require::<AddSource>().await?;
    let auth = crate::auth::AuthState::current()?;
    let settings = super::db::Settings::check(&environment, &networks, &retention, true)?;
    let secret = super::manage::add(
        &state.db.write,
        &auth.secret_key,
        &name,
        &scheme,
        &settings,
        secret,
        &caller.audit_name(),
        state.clock.now(),
    )
    .await?;
    Ok(server::reveal(&state, &auth, &caller, name.trim(), secret))
}

/// Gives a source a new secret, the old one verifying for the overlap.
#[server(prefix = "/api", endpoint = "hooks/rotate")]
pub async fn rotate_secret(
    name: String,
    overlap_hours: String,
    secret: Option<String>,
) -> Result<NewSecret, AppError> {
    let (state, caller) = crate::auth::guard::require::<RotateSecret>().await?;
    let auth = crate::auth::AuthState::current()?;
    let overlap = match overlap_hours.trim() {
        "" => super::secret::DEFAULT_OVERLAP_HOURS,
        hours => hours
            .parse()
            .map_err(|_| AppError::invalid("Overlap", "a whole number of hours"))?,
    };
    let secret = super::manage::rotate(
        &state.db.write,
        &auth.secret_key,
        &name,
        overlap,
        secret,
        &caller.audit_name(),
        state.clock.now(),
    )
    .await?;
    Ok(server::reveal(&state, &auth, &caller, name.trim(), secret))
}

#[server(prefix = "/api", endpoint = "hooks/settings")]
pub async fn set_source(
    name: String,
    environment: String,
    networks: String,
    retention: String,
    enabled: Option<String>,
) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<SetSource>().await?;
    let settings =
        super::db::Settings::check(&environment, &networks, &retention, enabled.is_some())?;
    super::manage::configure(
        &state.db.write,
        &name,
        &settings,
        &caller.audit_name(),
        state.clock.now(),
    )
    .await?;
    leptos_axum::redirect(&format!("/sources/{}", name.trim()));
    Ok(())
}

/// The secret just made for a source in this session, taken so it is
/// shown only once (and only on that source's page).
pub fn take_revealed(source: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        server::take(source)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = source;
        None
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::NewSecret;
    use crate::{
        auth::{AuthState, Caller},
        state::AppState,
    };

    const KIND: &str = "hook-secret";

    pub fn address(state: &AppState, name: &str) -> String {
        format!("{}/hooks/{name}", state.public_url.trim_end_matches('/'))
    }

    /// Keeps the secret for the person's next view of the source's page
    /// and sends them there (API callers read it from the answer).
    pub fn reveal(
        state: &AppState,
        auth: &AuthState,
        caller: &Caller,
        name: &str,
        secret: String,
    ) -> NewSecret {
        if let Caller::User { session_id, .. } = caller {
            auth.reveals
                .put(*session_id, KIND, format!("{name}\n{secret}"));
        }
        leptos_axum::redirect(&format!("/sources/{name}"));
        NewSecret {
            source: name.to_owned(),
            secret,
            address: address(state, name),
        }
    }

    pub fn take(source: &str) -> Option<String> {
        let kept = crate::auth::reveal::take_for_page(KIND)?;
        let (name, secret) = kept.split_once('\n')?;
        (name == source).then(|| secret.to_owned())
    }
}
