//! Accounts in SQLite.
use super::{Email, Role, User};
use chrono::Utc;
use sqlx::{Executor, Sqlite};

pub async fn count<'e>(db: impl Executor<'e, Database = Sqlite>) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM users")
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
) -> Result<Option<User>, sqlx::Error> {
    let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO users (email, display_name, password_hash, role, created_at) \
         VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(email.as_str())
    .bind(display_name)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(Utc::now())
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
