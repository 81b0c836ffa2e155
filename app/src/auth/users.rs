//! Accounts in SQLite.
use super::{Email, Role, User};
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
    let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
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
        Ok((id,)) => Ok(Some(User {
            id,
            email: email.as_str().to_owned(),
            display_name: display_name.to_owned(),
            role,
        })),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

/// What signing in needs to know about an account.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
    pub disabled: bool,
}

#[tracing::instrument(skip_all)]
pub async fn credentials<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    email: &Email,
) -> Result<Option<Credentials>, sqlx::Error> {
    let row: Option<(i64, String, String, String, String, bool)> = sqlx::query_as(
        "SELECT id, email, display_name, role, password_hash, disabled_at IS NOT NULL \
         FROM users WHERE email = ?",
    )
    .bind(email.as_str())
    .fetch_optional(db)
    .await?;
    Ok(
        row.and_then(|(id, email, display_name, role, password_hash, disabled)| {
            Some(Credentials {
                user: User {
                    id,
                    email,
                    display_name,
                    role: role.parse().ok()?,
                },
                password_hash,
                disabled,
            })
        }),
    )
}

type AccountRow = (
    i64,
    String,
    String,
    String,
    bool,
    chrono::DateTime<Utc>,
    Option<chrono::DateTime<Utc>>,
);

/// One row of the accounts page.
pub async fn list_all<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<super::Account>, sqlx::Error> {
    let rows: Vec<AccountRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, u.role, u.disabled_at IS NOT NULL, u.created_at, \
                    (SELECT max(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id) \
             FROM users u ORDER BY u.disabled_at IS NOT NULL, u.email",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(id, email, display_name, role, disabled, created_at, last_seen)| {
                Some(super::Account {
                    user: User {
                        id,
                        email,
                        display_name,
                        role: role.parse().ok()?,
                    },
                    disabled,
                    created_at,
                    last_seen,
                })
            },
        )
        .collect())
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
) -> Result<Option<(User, bool)>, sqlx::Error> {
    let row: Option<(i64, String, String, String, bool)> = sqlx::query_as(
        "SELECT id, email, display_name, role, disabled_at IS NOT NULL FROM users WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|(id, email, display_name, role, disabled)| {
        Some((
            User {
                id,
                email,
                display_name,
                role: role.parse().ok()?,
            },
            disabled,
        ))
    }))
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
