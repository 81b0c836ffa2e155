//! Thin server functions for two-step sign-in.
use super::MfaStatus;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod support {
    pub use crate::{
        audit::{self, NewEntry, Outcome},
        auth::{guard, mfa::db, Caller, User},
        error::AppError,
        state::AppState,
    };

    pub fn signed_in_user(caller: &Caller) -> Result<(User, i64), AppError> {
        match caller {
            Caller::User { user, session_id } => Ok((user.clone(), *session_id)),
            _ => Err(AppError::Forbidden),
        }
    }

    pub async fn record(
        state: &AppState,
        actor: String,
        action: &'static str,
        user: &User,
        outcome: Outcome,
        reason: &str,
    ) -> Result<(), AppError> {
        let target = format!("user:{}", user.email);
        let entry =
            NewEntry::new(actor, action, target, outcome, state.clock.now()).because(reason);
        match outcome {
            Outcome::Allowed => audit::record_alone(&state.db, entry).await,
            _ => crate::auth::record_refused(state, entry).await,
        }
    }

    /// Now, by the state's clock, in seconds since 1970 (as TOTP counts).
    pub fn unix_now(state: &AppState) -> u64 {
        u64::try_from(state.clock.now().timestamp()).unwrap_or(0)
    }
}

#[server(prefix = "/api", endpoint = "account/mfa")]
pub async fn my_mfa() -> Result<MfaStatus, AppError> {
    use support::*;
    let (state, caller) = guard::require::<MyMfa>().await?;
    let auth = crate::auth::AuthState::current()?;
    let (user, _) = signed_in_user(&caller)?;
    Ok(MfaStatus {
        enabled: db::is_enabled(&state.db.read, user.id).await?,
        required: auth.require_mfa.load(std::sync::atomic::Ordering::Relaxed),
    })
}

/// What was just revealed to this session (the new key, or the recovery
/// codes), taken so it shows once. Called while rendering, outside any
/// suspense, so it runs exactly once per page.
pub fn take_revealed() -> (Option<super::MfaSetup>, Option<Vec<String>>) {
    #[cfg(feature = "ssr")]
    {
        let (Some(auth), super::super::Caller::User { user, session_id }) = (
            use_context::<crate::auth::AuthState>(),
            super::super::current_caller(),
        ) else {
            return (None, None);
        };
        let setup = auth
            .reveals
            .take(session_id, "totp")
            .map(|secret_base32| super::MfaSetup {
                qr_svg: super::totp::qr_svg(&super::totp::otpauth_url(&secret_base32, &user.email)),
                secret_base32,
            });
        let codes = auth
            .reveals
            .take(session_id, "recovery")
            .map(|codes| codes.split(' ').map(str::to_owned).collect::<Vec<_>>());
        if setup.is_some() || codes.is_some() {
            // The page holds a secret: no cache may keep it.
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.insert_header(
                    http::header::CACHE_CONTROL,
                    http::HeaderValue::from_static("no-store"),
                );
            }
        }
        (setup, codes)
    }
    #[cfg(not(feature = "ssr"))]
    {
        (None, None)
    }
}

#[server(prefix = "/api", endpoint = "account/mfa/start")]
pub async fn start_mfa() -> Result<(), AppError> {
    use support::*;
    let (state, caller) = guard::require::<StartMfa>().await?;
    let auth = crate::auth::AuthState::current()?;
    let (user, session_id) = signed_in_user(&caller)?;
    if db::is_enabled(&state.db.read, user.id).await? {
        return Err(AppError::Conflict(
            "Two-step sign-in is already on. Turn it off first to change phones.".into(),
        ));
    }
    let secret = super::totp::new_secret();
    let sealed = auth
        .secret_key
        .seal(&secret)
        .ok_or_else(|| AppError::internal("sealing a TOTP secret failed"))?;
    db::set_pending(&state.db.write, user.id, &sealed).await?;
    auth.reveals
        .put(session_id, "totp", super::totp::base32(&secret));
    record(
        &state,
        caller.audit_name(),
        "mfa.enrol_start",
        &user,
        Outcome::Allowed,
        "",
    )
    .await
}

#[server(prefix = "/api", endpoint = "account/mfa/confirm")]
pub async fn confirm_mfa(code: String) -> Result<(), AppError> {
    use super::recovery;
    use support::*;
    let (state, caller) = guard::require::<ConfirmMfa>().await?;
    let auth = crate::auth::AuthState::current()?;
    let (user, session_id) = signed_in_user(&caller)?;
    let db::Secret {
        sealed, enabled, ..
    } = db::secret(&state.db.read, user.id)
        .await?
        .ok_or_else(|| AppError::Conflict("Start the setup first.".into()))?;
    if enabled {
        return Err(AppError::Conflict("Two-step sign-in is already on.".into()));
    }
    let secret = auth
        .secret_key
        .open(&sealed)
        .ok_or_else(|| AppError::internal("a TOTP secret did not open with the key"))?;
    let step = super::totp::matching_step(&secret, &code, unix_now(&state)).ok_or_else(|| {
        AppError::invalid(
            "Code",
            "does not match; check that your device's clock is right and try the next code",
        )
    })?;
    let codes = recovery::new_codes();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery::hash(c)).collect();
    let mut tx = state.db.write.begin().await?;
    db::use_step(&mut *tx, user.id, step).await?;
    db::enable(&mut *tx, user.id, state.clock.now()).await?;
    db::replace_recovery_codes(&mut tx, user.id, &hashes).await?;
    audit::record_in(
        &mut tx,
        NewEntry::new(
            caller.audit_name(),
            "mfa.enable",
            format!("user:{}", user.email),
            Outcome::Allowed,
            state.clock.now(),
        ),
    )
    .await?;
    tx.commit().await?;
    auth.reveals.put(session_id, "recovery", codes.join(" "));
    Ok(())
}

#[server(prefix = "/api", endpoint = "account/mfa/disable")]
pub async fn disable_mfa(password: String) -> Result<(), AppError> {
    use crate::auth::{users, Email, Role};
    use support::*;
    let (state, caller) = guard::require::<DisableMfa>().await?;
    let auth = crate::auth::AuthState::current()?;
    let (user, _) = signed_in_user(&caller)?;
    if auth.require_mfa.load(std::sync::atomic::Ordering::Relaxed) && user.role >= Role::Editor {
        return Err(AppError::Conflict(
            "Your role must use two-step sign-in; it cannot be turned off.".into(),
        ));
    }
    let email = Email::parse(&user.email)?;
    // Throttled as signing in is: a stolen session must not get unlimited
    // guesses at the password that would take the second step away.
    let (_, address) = crate::auth::request_meta();
    let throttle_key = format!("mfa-off:{}", user.email);
    let now = state.clock.now();
    if let Err(wait) = auth.throttle.check(&address, &throttle_key, now) {
        let (actor, reason) = (caller.audit_name(), "too many attempts");
        record(&state, actor, "mfa.disable", &user, Outcome::Denied, reason).await?;
        return Err(AppError::TooManyAttempts {
            retry_after_secs: crate::auth::throttle::seconds(wait),
        });
    }
    let stored = users::credentials(&state.db.read, &email)
        .await?
        .map(|c| c.password_hash);
    if !auth.hasher.verify(password, stored).await? {
        let over = auth.throttle.failed(&address, &throttle_key, now);
        record(
            &state,
            caller.audit_name(),
            "mfa.disable",
            &user,
            Outcome::Failed,
            "wrong password",
        )
        .await?;
        return Err(match over {
            Some(wait) => AppError::TooManyAttempts {
                retry_after_secs: crate::auth::throttle::seconds(wait),
            },
            None => AppError::invalid("Password", "is not right"),
        });
    }
    auth.throttle.succeeded(&address, &throttle_key);
    let mut tx = state.db.write.begin().await?;
    db::disable(&mut tx, user.id).await?;
    audit::record_in(
        &mut tx,
        NewEntry::new(
            caller.audit_name(),
            "mfa.disable",
            format!("user:{}", user.email),
            Outcome::Allowed,
            state.clock.now(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The second step of signing in: a code from the app or a recovery code.
#[server(prefix = "/api", endpoint = "auth/mfa")]
pub async fn verify_mfa(code: String, next: Option<String>) -> Result<(), AppError> {
    use super::{recovery, PendingMfa};
    use support::*;
    let (state, _) = guard::require::<VerifyMfa>().await?;
    let auth = crate::auth::AuthState::current()?;
    let pending = use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<PendingMfa>().cloned())
        .ok_or(AppError::SignInRequired)?;
    let user = pending.user;
    let (_, address) = crate::auth::request_meta();
    let throttle_key = format!("mfa:{}", user.email);
    let now = state.clock.now();
    if let Err(wait) = auth.throttle.check(&address, &throttle_key, now) {
        record(
            &state,
            "anonymous".into(),
            "session.mfa",
            &user,
            Outcome::Denied,
            "too many attempts",
        )
        .await?;
        return Err(AppError::TooManyAttempts {
            retry_after_secs: crate::auth::throttle::seconds(wait),
        });
    }
    let mut tx = state.db.write.begin().await?;
    // A recovery code is checked against its hash alone: it works even when
    // the key that seals the authenticator's secret is lost or changed.
    let how = if super::totp::looks_like_app_code(&code) {
        let sealed = db::secret(&mut *tx, user.id)
            .await?
            .ok_or(AppError::SignInRequired)?
            .sealed;
        let Some(secret) = auth.secret_key.open(&sealed) else {
            tracing::error!("a TOTP secret did not open with this server's key");
            return Err(AppError::invalid(
                "Code",
                "cannot be checked: this server's key does not open your authenticator's secret. \
                 Use a recovery code, or ask an admin to reset your two-step sign-in",
            ));
        };
        match super::totp::matching_step(&secret, &code, unix_now(&state)) {
            Some(step) if db::use_step(&mut *tx, user.id, step).await? => {
                Some("authenticator code")
            }
            _ => None,
        }
    } else if db::use_recovery_code(&mut *tx, user.id, &recovery::hash(&code), state.clock.now())
        .await?
    {
        Some("recovery code")
    } else {
        None
    };
    let Some(how) = how else {
        drop(tx);
        auth.throttle.failed(&address, &throttle_key, now);
        record(
            &state,
            "anonymous".into(),
            "session.mfa",
            &user,
            Outcome::Failed,
            "wrong or reused code",
        )
        .await?;
        return Err(AppError::invalid(
            "Code",
            "is not right, or was already used",
        ));
    };
    auth.throttle.succeeded(&address, &throttle_key);
    crate::auth::sessions::delete(&mut *tx, pending.session_id).await?;
    crate::auth::start_session(&auth, &mut tx, &user, false, how).await?;
    tx.commit().await?;
    leptos_axum::redirect(&crate::auth::safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/require-mfa")]
pub async fn set_require_mfa(required: bool) -> Result<(), AppError> {
    use support::*;
    let (state, caller) = guard::require::<SetRequireMfa>().await?;
    let auth = crate::auth::AuthState::current()?;
    let mut tx = state.db.write.begin().await?;
    db::set_required(&mut *tx, required).await?;
    let entry = NewEntry::new(
        caller.audit_name(),
        "settings.require_mfa",
        "editors and admins",
        Outcome::Allowed,
        state.clock.now(),
    )
    .because(if required { "required" } else { "optional" });
    audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    auth.require_mfa
        .store(required, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}
