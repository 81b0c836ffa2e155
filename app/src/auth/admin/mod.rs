//! Account management for admins: create, change role, disable (which ends
//! the account's sessions), reset password. Every change is audited, and
//! none may leave Muster without an enabled admin.
mod view;

pub use view::UsersPage;

use super::Account;
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "admin/accounts")]
pub async fn list_accounts() -> Result<Vec<Account>, AppError> {
    let (state, _) = super::guard::require::<ListAccounts>().await?;
    Ok(super::users::list_all(&state.db.read).await?)
}

#[server(prefix = "/api", endpoint = "admin/accounts/create")]
pub async fn create_account(
    email: String,
    display_name: String,
    role: String,
    password: String,
    password_repeat: String,
) -> Result<(), AppError> {
    use super::{check_new_password, parse_display_name, users, Email, Role};
    let (state, caller) = super::guard::require::<CreateAccount>().await?;
    let auth = crate::auth::AuthState::current()?;
    let email = Email::parse(&email)?;
    let name = parse_display_name(&display_name)?;
    let role: Role = role
        .parse()
        .map_err(|e: String| AppError::invalid("Role", e))?;
    check_new_password(&password, &password_repeat)?;
    let hash = auth.hasher.hash(password).await?;
    let mut tx = state.db.write.begin().await?;
    let user = users::create(&mut *tx, &email, &name, &hash, role, state.clock.now())
        .await?
        .ok_or_else(|| AppError::Conflict(format!("{} already has an account.", email.as_str())))?;
    record(
        &mut tx,
        &caller,
        "user.create",
        (&user.email, role.as_str()),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/accounts/role")]
pub async fn set_role(user_id: i64, role: String) -> Result<(), AppError> {
    use super::{users, Role};
    let (state, caller) = super::guard::require::<SetRole>().await?;
    let role: Role = role
        .parse()
        .map_err(|e: String| AppError::invalid("Role", e))?;
    let mut tx = state.db.write.begin().await?;
    let (user, _) = users::find(&mut *tx, user_id)
        .await?
        .ok_or_else(|| AppError::NotFound("That account".into()))?;
    if user.role == Role::Admin
        && role != Role::Admin
        && users::other_enabled_admins(&mut *tx, user.id).await? == 0
    {
        return Err(AppError::Conflict(
            "Muster needs at least one enabled admin: make someone else admin first.".into(),
        ));
    }
    users::set_role(&mut *tx, user.id, role).await?;
    record(
        &mut tx,
        &caller,
        "user.role_change",
        (&user.email, &format!("{} -> {role}", user.role)),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/accounts/disabled")]
pub async fn set_disabled(user_id: i64, disabled: bool) -> Result<(), AppError> {
    use super::{sessions, users, Role};
    let (state, caller) = super::guard::require::<SetDisabled>().await?;
    let mut tx = state.db.write.begin().await?;
    let (user, _) = users::find(&mut *tx, user_id)
        .await?
        .ok_or_else(|| AppError::NotFound("That account".into()))?;
    if disabled && caller.user().is_some_and(|me| me.id == user.id) {
        return Err(AppError::Conflict(
            "You cannot disable your own account.".into(),
        ));
    }
    if disabled
        && user.role == Role::Admin
        && users::other_enabled_admins(&mut *tx, user.id).await? == 0
    {
        return Err(AppError::Conflict(
            "Muster needs at least one enabled admin.".into(),
        ));
    }
    users::set_disabled(&mut *tx, user.id, disabled, state.clock.now()).await?;
    let action = if disabled {
        let ended = sessions::delete_for_user(&mut *tx, user.id, None).await?;
        record(
            &mut tx,
            &caller,
            "user.disable",
            (&user.email, &format!("{ended} sessions ended")),
            state.clock.now(),
        )
        .await?;
        "user.disable"
    } else {
        record(
            &mut tx,
            &caller,
            "user.enable",
            (&user.email, ""),
            state.clock.now(),
        )
        .await?;
        "user.enable"
    };
    tx.commit().await?;
    tracing::info!(action, user_id, "account changed");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/accounts/password")]
pub async fn reset_password(
    user_id: i64,
    password: String,
    password_repeat: String,
) -> Result<(), AppError> {
    use super::{check_new_password, sessions, users};
    let (state, caller) = super::guard::require::<ResetPassword>().await?;
    let auth = crate::auth::AuthState::current()?;
    check_new_password(&password, &password_repeat)?;
    let hash = auth.hasher.hash(password).await?;
    let mut tx = state.db.write.begin().await?;
    let (user, _) = users::find(&mut *tx, user_id)
        .await?
        .ok_or_else(|| AppError::NotFound("That account".into()))?;
    users::set_password_hash(&mut *tx, user.id, &hash).await?;
    // A reset password is for a lost or leaked one: end every session with it.
    let ended = sessions::delete_for_user(&mut *tx, user.id, None).await?;
    record(
        &mut tx,
        &caller,
        "user.password_reset",
        (&user.email, &format!("{ended} sessions ended")),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(feature = "ssr")]
async fn record(
    tx: &mut sqlx::SqliteConnection,
    caller: &super::Caller,
    action: &'static str,
    (email, reason): (&str, &str),
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    use crate::audit::{self, NewEntry, Outcome};
    let entry = NewEntry::new(
        caller.audit_name(),
        action,
        format!("user:{email}"),
        Outcome::Allowed,
        at,
    )
    .because(reason);
    audit::record_in(tx, entry).await?;
    Ok(())
}
