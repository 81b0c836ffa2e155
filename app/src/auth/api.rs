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
            state.clock.now(),
        )
        .because("an account already exists");
        record_refused(&state, entry).await?;
        return Err(AppError::Conflict(
            "Muster is already set up: sign in instead.".into(),
        ));
    }
    let user = users::create(
        &mut *tx,
        &email,
        &name,
        &hash,
        Role::Admin,
        state.clock.now(),
    )
    .await?
    .ok_or_else(|| AppError::Conflict("That email already has an account.".into()))?;
    let target = format!("user:{}", user.email);
    audit::record_in(
        &mut tx,
        NewEntry::new(
            "setup",
            "user.create",
            &target,
            Outcome::Allowed,
            state.clock.now(),
        )
        .because("first admin"),
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
    use crate::audit::{NewEntry, Outcome};
    let (state, caller) = super::guard::require::<SignIn>().await?;
    let auth = crate::auth::AuthState::current()?;
    let email = Email::parse(&email)?;
    let (_, address) = request_meta();
    let now = state.clock.now();
    if let Err(wait) = auth.throttle.check(&address, email.as_str(), now) {
        let entry = NewEntry::new(
            "anonymous",
            "session.sign_in",
            format!("user:{}", email.as_str()),
            Outcome::Denied,
            now,
        )
        .because("too many attempts");
        record_refused(&state, entry).await?;
        return Err(AppError::TooManyAttempts {
            retry_after_secs: super::throttle::seconds(wait),
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
                now,
            )
            .because(why);
            let over = auth.throttle.failed(&address, email.as_str(), now);
            record_refused(&state, entry).await?;
            tracing::warn!(reason = why, "sign-in failed");
            // Past the address's limit a wrong password is told to wait; a
            // right one is never refused by that limit.
            return Err(match over {
                Some(wait) => AppError::TooManyAttempts {
                    retry_after_secs: super::throttle::seconds(wait),
                },
                None => AppError::SignInFailed,
            });
        }
    };
    auth.throttle.succeeded(&address, email.as_str());
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
            crate::fields::query_value(&next)
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
            state.clock.now(),
        );
        audit::record_in(&mut tx, entry).await?;
        tx.commit().await?;
    }
    set_cookie(&auth.sessions.clearing_cookie());
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Where to go after signing in: only a plain path on this site. Anything a
/// browser could read as another site (`//host`, `/\\host`, a tab or newline
/// that browsers drop, the same written with `%`), any other control,
/// space or non-ASCII character, and anything over 2,000 bytes falls back
/// to the home page: the result is always a valid `Location` header.
#[cfg(any(feature = "ssr", test))]
pub(crate) fn safe_next(next: Option<&str>) -> String {
    // As written: visible ASCII only. Decoded: still no control
    // character or backslash, nor `//` at the start (a space or a letter
    // beyond ASCII is fine there, as in `?q=card%20payments`).
    fn local(path: &[u8], allowed: impl Fn(u8) -> bool) -> bool {
        path.first() == Some(&b'/')
            && path.get(1) != Some(&b'/')
            && path.iter().all(|b| *b != b'\\' && allowed(*b))
    }
    match next {
        Some(p)
            if p.len() <= 2000
                && local(p.as_bytes(), |b| b.is_ascii_graphic())
                && local(&percent_decoded(p), |b| b >= 0x20 && b != 0x7f) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The bytes `%XX` stands for, once; other bytes as they are.
#[cfg(any(feature = "ssr", test))]
fn percent_decoded(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair = (bytes[i] == b'%')
            .then(|| Some(hex(*bytes.get(i + 1)?)? * 16 + hex(*bytes.get(i + 2)?)?))
            .flatten();
        match pair {
            Some(byte) => {
                out.push(byte as u8);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
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
    // Sessions live by the state's clock, as the checks that end them do.
    let now = crate::state::app_state()?.clock.now();
    let (session_id, token) =
        super::sessions::create(&mut **tx, user.id, &user_agent, &client_addr, pending, now)
            .await?;
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
        now,
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

/// Records a refusal or failure of this request through the counter, so a
/// flood of the same one from one client writes a bounded number of entries.
#[cfg(feature = "ssr")]
pub(crate) async fn record_refused(
    state: &crate::state::AppState,
    entry: crate::audit::NewEntry,
) -> Result<(), AppError> {
    let auth = super::AuthState::current()?;
    let (_, client) = request_meta();
    crate::audit::record_refusal(
        &state.db,
        &auth.refusals,
        &client,
        entry,
        state.clock.now(),
        &crate::error::current_request_id(),
    )
    .await?;
    Ok(())
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
        .get::<super::client::ClientAddr>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    (agent, addr)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn after_sign_in_only_plain_local_paths_are_followed() {
        for kept in [
            "/notes",
            "/incidents/3?before=200",
            "/runbooks/1#step-2",
            "/a%20b",
        ] {
            assert_eq!(safe_next(Some(kept)), kept);
        }
        let refused = [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/notes\r\nSet-Cookie: x=1",
            "/notes%0d%0aSet-Cookie:%20x=1",
            "/notes%0A",
            "/ notes",
            "/notes\u{7f}",
            "/caf\u{e9}",
            "/\u{2028}",
            "notes",
            "",
        ];
        for next in refused {
            assert_eq!(safe_next(Some(next)), "/", "{next:?}");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(2000)))), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn any_bytes_give_a_valid_location() {
        // Random text, including every control character and broken escapes.
        let mut seed = 7u64;
        for _ in 0..20_000 {
            let len = (seed % 24) as usize;
            let text: String = (0..len)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let pick = (seed >> 33) as u32;
                    match pick % 6 {
                        0 => '/',
                        1 => '%',
                        2 => '\\',
                        3 => char::from_u32(pick % 0x80).unwrap_or('x'),
                        4 => "0123456789abcdefABCDEF"
                            .chars()
                            .nth((pick % 22) as usize)
                            .unwrap_or('0'),
                        _ => char::from_u32(pick % 0x3000).unwrap_or('x'),
                    }
                })
                .collect();
            let next = safe_next(Some(&text));
            assert!(
                http::HeaderValue::from_str(&next).is_ok(),
                "{text:?} gave {next:?}"
            );
            assert!(
                next.starts_with('/') && !next.starts_with("//"),
                "{text:?} gave {next:?}"
            );
        }
    }
}
