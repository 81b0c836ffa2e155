//! API tokens: made here, stored (only their SHA-256) by `db::tokens`.
pub use super::db::tokens::{list, revoke, touch, Found};
use super::{
    db::tokens::{self, NewToken},
    sessions::token_hash,
    Role,
};
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite};

/// The prefix that makes a leaked token easy to recognise (and to find
/// with secret scanners).
pub const PREFIX: &str = "mst_";

pub fn new_token() -> String {
    format!("{PREFIX}{}", super::sessions::new_token())
}

/// Creates a token; `Ok(None)` when the name is taken.
pub async fn create<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    name: &str,
    role: Role,
    created_by: &str,
    created_by_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let token = new_token();
    let hash = token_hash(&token);
    let new = NewToken {
        name,
        token_hash: &hash,
        role,
        created_by,
        created_by_id,
        at,
    };
    Ok(tokens::insert(db, new).await?.map(|id| (id, token)))
}

/// The live token this value names, if it is one of ours.
pub async fn find<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    token: &str,
) -> Result<Option<Found>, sqlx::Error> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    tokens::by_token_hash(db, &token_hash(token)).await
}
