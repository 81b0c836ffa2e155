//! Accounts in SQLite.
use crate::auth::{Account, Email, Role, User};
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite};

pub async fn count<'e>(db: impl Executor<'e, Database = Sqlite>) -> Result<i64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(db)
        .await?;
    Ok(n)
}

/// Creates an account; `Ok(None)` when the email is already taken.
#[tracing::instrument(skip_all)]
pub async fn create<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    email: &Email,
    display_name: &str,
    password_hash: &str,
    role: Role,
    at: DateTime<Utc>,
) -> Result<Option<User>, sqlx::Error> {
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO users (email, display_name, password_hash, role, created_at) \
         VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(email.as_str())
    .bind(display_name)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(at)
    .fetch_one(db)
    .await;
    match inserted {
        Ok(id) => Ok(Some(User {
            id,
            email: email.as_str().to_owned(),
            display_name: display_name.to_owned(),
            role,
        })),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

/// An account as stored, its role still text: a row whose role this
/// build does not know is left out, as if the account were not there.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    disabled: bool,
}

impl UserRow {
    fn user(self) -> Option<(User, bool)> {
        Some((
            User {
                id: self.id,
                email: self.email,
                display_name: self.display_name,
                role: self.role.parse().ok()?,
            },
            self.disabled,
        ))
    }
}

/// What signing in needs to know about an account.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
    pub disabled: bool,
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    account: UserRow,
    password_hash: String,
}

#[tracing::instrument(skip_all)]
pub async fn credentials<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    email: &Email,
) -> Result<Option<Credentials>, sqlx::Error> {
    let row: Option<CredentialsRow> = sqlx::query_as(
        "SELECT id, email, display_name, role, password_hash, disabled_at IS NOT NULL AS disabled \
         FROM users WHERE email = ?",
    )
    .bind(email.as_str())
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|r| {
        let password_hash = r.password_hash;
        r.account.user().map(|(user, disabled)| Credentials {
            user,
            password_hash,
            disabled,
        })
    }))
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    #[sqlx(flatten)]
    account: UserRow,
    created_at: DateTime<Utc>,
    last_seen: Option<DateTime<Utc>>,
}

/// One row of the accounts page.
pub async fn list_all<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<Account>, sqlx::Error> {
    let rows: Vec<AccountRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, u.role, u.disabled_at IS NOT NULL AS disabled, \
                u.created_at, \
                (SELECT max(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id) AS last_seen \
         FROM users u ORDER BY u.disabled_at IS NOT NULL, u.email",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let (user, disabled) = r.account.user()?;
            Some(Account {
                user,
                disabled,
                created_at: r.created_at,
                last_seen: r.last_seen,
            })
        })
        .collect())
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
) -> Result<Option<(User, bool)>, sqlx::Error> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT id, email, display_name, role, disabled_at IS NOT NULL AS disabled \
         FROM users WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(UserRow::user))
}

/// Enabled admins other than `except`: an account change must never
/// leave Muster without one.
pub async fn other_enabled_admins<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    except: i64,
) -> Result<i64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?",
    )
    .bind(except)
    .fetch_one(db)
    .await?;
    Ok(n)
}

pub async fn set_role<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET role = ? WHERE id = ?")
        .bind(role.as_str())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_disabled<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
    disabled: bool,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET disabled_at = CASE WHEN ? THEN ? ELSE NULL END WHERE id = ?")
        .bind(disabled)
        .bind(at)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_password_hash<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(hash)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// The id of the account with this email, if any.
pub async fn id_by_email<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    email: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM users WHERE email = ?")
        .bind(email)
        .fetch_optional(db)
        .await
}

/// An enabled account's id and the name it shows.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountName {
    pub id: i64,
    pub display_name: String,
}

/// Every enabled account, by name: whom a review may name as reviewer.
pub async fn enabled_names<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<AccountName>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, display_name FROM users WHERE disabled_at IS NULL ORDER BY display_name",
    )
    .fetch_all(db)
    .await
}

/// Enabled accounts above viewer (responder or above), by name; at most
/// `limit`: whom a drill may have as facilitator.
pub async fn enabled_non_viewer_names<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    limit: i64,
) -> Result<Vec<AccountName>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, display_name FROM users WHERE disabled_at IS NULL AND role != 'viewer' \
         ORDER BY display_name LIMIT ?",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}
