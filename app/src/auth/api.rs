//! Thin server functions for signing in and out and the first-run setup.
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "auth/setup")]
pub async fn setup_first_admin(
    email: String,
    display_name: String,
    password: String,
    password_repeat: String,
) -> Result<(), AppError> {
    use super::{check_new_password, parse_display_name, users, Email, Role};
    use crate::audit::{self, NewEntry, Outcome};
    let (state, _) = super::guard::require::<SetupFirstAdmin>().await?;
    let auth = crate::auth::AuthState::current()?;
    let email = Email::parse(&email)?;
    let name = parse_display_name(&display_name)?;
    check_new_password(&password, &password_repeat)?;
    // Hash before taking the writer: hashing is slow on purpose.
    let hash = auth.hasher.hash(password).await?;
    let mut tx = state.db.write.begin().await?;
    if users::count(&mut *tx).await? > 0 {
        drop(tx);
        let entry = NewEntry::new(
            "anonymous",
            "setup.first_admin",
            email.as_str(),
            Outcome::Denied,
        )
        .because("an account already exists");
        audit::record_alone(&state.db, entry).await?;
        return Err(AppError::Conflict(
            "Muster is already set up: sign in instead.".into(),
        ));
    }
    let user = users::create(&mut *tx, &email, &name, &hash, Role::Admin)
        .await?
        .ok_or_else(|| AppError::Conflict("That email already has an account.".into()))?;
    let target = format!("user:{}", user.email);
    audit::record_in(
        &mut tx,
        NewEntry::new("setup", "user.create", &target, Outcome::Allowed).because("first admin"),
    )
    .await?;
    start_session(&auth, &mut tx, &user, false, "first admin").await?;
    tx.commit().await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api", endpoint = "auth/sign-in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::{users, Caller, Email};
    use crate::audit::{self, NewEntry, Outcome};
    let (state, caller) = super::guard::require::<SignIn>().await?;
    let auth = crate::auth::AuthState::current()?;
    let email = Email::parse(&email)?;
    let (_, address) = request_meta();
    let now = std::time::Instant::now();
    if let Err(wait) = auth.throttle.check(&address, email.as_str(), now) {
        let entry = NewEntry::new(
            "anonymous",
            "session.sign_in",
            format!("user:{}", email.as_str()),
            Outcome::Denied,
        )
        .because("too many attempts");
        audit::record_alone(&state.db, entry).await?;
        return Err(AppError::TooManyAttempts {
            retry_after_secs: wait.as_secs_f64().ceil() as u64,
        });
    }
    let credentials = users::credentials(&state.db.read, &email).await?;
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    let password_ok = auth.hasher.verify(password, stored).await?;
    let user = match credentials {
        Some(c) if password_ok && !c.disabled => c.user,
        other => {
            let why = match other {
                Some(c) if c.disabled => "account disabled",
                Some(_) => "wrong password",
                None => "no such account",
            };
            let entry = NewEntry::new(
                "anonymous",
                "session.sign_in",
                format!("user:{}", email.as_str()),
                Outcome::Failed,
            )
            .because(why);
            auth.throttle.failed(&address, email.as_str(), now);
            audit::record_alone(&state.db, entry).await?;
            tracing::warn!(reason = why, "sign-in failed");
            return Err(AppError::SignInFailed);
        }
    };
    auth.throttle.succeeded(email.as_str());
    let mut tx = state.db.write.begin().await?;
    // A fresh session on every sign-in: a token planted before cannot ride along.
    if let Caller::User { session_id, .. } = caller {
        super::sessions::delete(&mut *tx, session_id).await?;
    }
    // With two-step sign-in on, the password opens only the second step.
    let second_step = super::mfa::db::is_enabled(&mut *tx, user.id).await?;
    start_session(&auth, &mut tx, &user, second_step, "password").await?;
    tx.commit().await?;
    let next = safe_next(next.as_deref());
    if second_step {
        leptos_axum::redirect(&format!(
            "/sign-in/mfa?next={}",
            next.replace('%', "%25").replace('&', "%26")
        ));
    } else {
        leptos_axum::redirect(&next);
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "auth/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::Caller;
    use crate::audit::{self, NewEntry, Outcome};
    let (state, caller) = super::guard::require::<SignOut>().await?;
    let auth = crate::auth::AuthState::current()?;
    if let Caller::User {
        session_id,
        ref user,
    } = caller
    {
        let mut tx = state.db.write.begin().await?;
        super::sessions::delete(&mut *tx, session_id).await?;
        let entry = NewEntry::new(
            caller.audit_name(),
            "session.sign_out",
            format!("user:{}", user.email),
            Outcome::Allowed,
        );
        audit::record_in(&mut tx, entry).await?;
        tx.commit().await?;
    }
    set_cookie(&auth.sessions.clearing_cookie());
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Where to go after signing in: only a path on this site, never elsewhere.
#[cfg(any(feature = "ssr", test))]
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Starts a session and hands its cookie to the browser. A `pending`
/// session only opens the second step of signing in.
#[cfg(feature = "ssr")]
pub(crate) async fn start_session(
    auth: &super::AuthState,
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    user: &super::User,
    pending: bool,
    how: &str,
) -> Result<(), AppError> {
    use crate::audit::{self, NewEntry, Outcome};
    let (user_agent, client_addr) = request_meta();
    let (session_id, token) =
        super::sessions::create(&mut **tx, user.id, &user_agent, &client_addr, pending).await?;
    let action = if pending {
        "session.password_ok"
    } else {
        "session.sign_in"
    };
    let entry = NewEntry::new(
        format!("user:{}", user.email),
        action,
        format!("session:{session_id}"),
        Outcome::Allowed,
    )
    .because(how);
    audit::record_in(tx, entry).await?;
    set_cookie(&auth.sessions.cookie(&token));
    Ok(())
}

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) {
    if let (Some(res), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        res.append_header(http::header::SET_COOKIE, value);
    }
}

/// The browser and address a session was started from, shown on the
/// sessions page so people recognise their own.
#[cfg(feature = "ssr")]
pub(crate) fn request_meta() -> (String, String) {
    let Some(parts) = use_context::<http::request::Parts>() else {
        return (String::new(), String::new());
    };
    let agent = parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let addr = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    (agent, addr)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn after_sign_in_only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/notes")), "/notes");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
