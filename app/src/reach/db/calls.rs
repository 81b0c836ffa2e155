//! Calls: one row per person called about an incident, with the hash of
//! its acknowledge key and when it escalates to the role's next backup.
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite, SqliteConnection};

/// A call as it is made.
pub struct NewCall<'a> {
    pub incident_id: i64,
    pub person_id: i64,
    pub person_name: &'a str,
    /// The role it is for, if any, and the person's rank among its holders.
    pub role_id: Option<i64>,
    pub role_name: &'a str,
    pub rank: i64,
    pub reason: &'a str,
    pub drill: bool,
    /// The incident's headline, and the lines its messages carry.
    pub subject: &'a str,
    pub about: &'a str,
    pub key_hash: &'a str,
    pub escalate_minutes: i64,
    /// None: it never escalates.
    pub escalate_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// Records an open call, in the caller's transaction. Returns its id.
pub async fn add_call(tx: &mut SqliteConnection, c: &NewCall<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO calls (incident_id, person_id, person_name, role_id, role_name, rank, reason, drill, subject, about, \
         key_hash, escalate_minutes, escalate_at, expires_at, created_at, state) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open') RETURNING id",
    )
    .bind(c.incident_id)
    .bind(c.person_id)
    .bind(c.person_name)
    .bind(c.role_id)
    .bind(c.role_name)
    .bind(c.rank)
    .bind(c.reason)
    .bind(c.drill)
    .bind(c.subject)
    .bind(c.about)
    .bind(c.key_hash)
    .bind(c.escalate_minutes)
    .bind(c.escalate_at)
    .bind(c.expires_at)
    .bind(c.created_at)
    .fetch_one(tx)
    .await
}

/// Gives an open call the hash of a new acknowledge key; false when the
/// call is over.
pub async fn set_key_hash(
    conn: &mut SqliteConnection,
    call_id: i64,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let given = sqlx::query("UPDATE calls SET key_hash = ? WHERE id = ? AND state = 'open'")
        .bind(hash)
        .bind(call_id)
        .execute(conn)
        .await?;
    Ok(given.rows_affected() == 1)
}

/// A call as its acknowledge link finds it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Keyed {
    pub id: i64,
    pub incident_id: i64,
    /// The incident's headline.
    pub subject: String,
    pub person_name: String,
    pub role_name: String,
    /// open, acked, escalated or closed.
    pub state: String,
    pub expires_at: DateTime<Utc>,
}

/// The call whose acknowledge key has this hash.
pub async fn call_by_key_hash<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    hash: &str,
) -> Result<Option<Keyed>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, incident_id, subject, person_name, role_name, state, expires_at FROM calls WHERE key_hash = ?",
    )
    .bind(hash)
    .fetch_optional(db)
    .await
}

/// Marks an open call acknowledged; false when it was not open.
pub async fn mark_acked(
    tx: &mut SqliteConnection,
    call_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE calls SET state = 'acked', acked_at = ? WHERE id = ? AND state = 'open'",
    )
    .bind(now)
    .bind(call_id)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() != 0)
}

/// Closes the incident's open calls for the role `call_id` was for (it
/// was acknowledged: that role's escalation stops).
pub async fn close_same_role(
    tx: &mut SqliteConnection,
    incident_id: i64,
    call_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE calls SET state = 'closed' WHERE incident_id = ? AND state = 'open' AND role_id IS NOT NULL \
         AND role_id = (SELECT role_id FROM calls WHERE id = ?)",
    )
    .bind(incident_id)
    .bind(call_id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Closes the incident's open calls for a role (it has a new holder).
pub async fn close_role_calls(
    tx: &mut SqliteConnection,
    incident_id: i64,
    role_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE calls SET state = 'closed' WHERE incident_id = ? AND role_id = ? AND state = 'open'",
    )
    .bind(incident_id)
    .bind(role_id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Ends every open call of an incident (it was resolved): nobody more is
/// called or escalated to about it, and its acknowledge links say the call
/// is over. Returns how many calls it ended.
pub async fn close_calls(
    conn: &mut SqliteConnection,
    incident_id: i64,
) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("UPDATE calls SET state = 'closed' WHERE incident_id = ? AND state = 'open'")
            .bind(incident_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}

/// An open call, as the escalation reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Open {
    pub id: i64,
    pub incident_id: i64,
    pub person_name: String,
    pub role_id: Option<i64>,
    pub role_name: String,
    pub rank: i64,
    pub drill: bool,
    pub subject: String,
    pub about: String,
    pub escalate_minutes: i64,
}

/// Open calls whose time to escalate has come, oldest first (at most
/// 100), of incidents not resolved.
pub async fn calls_to_escalate<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    now: DateTime<Utc>,
) -> Result<Vec<Open>, sqlx::Error> {
    // Reads `incidents` (a layer above reach): whether it is resolved.
    sqlx::query_as(
        "SELECT id, incident_id, person_name, role_id, role_name, rank, drill, subject, about, escalate_minutes \
         FROM calls WHERE state = 'open' AND escalate_at IS NOT NULL AND escalate_at <= ? \
         AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = calls.incident_id AND i.status = 'resolved') \
         ORDER BY escalate_at LIMIT 100",
    )
    .bind(now)
    .fetch_all(db)
    .await
}

/// Takes an open call for escalation, if its incident is still not
/// resolved; false when it was taken or closed meanwhile.
pub async fn take_for_escalation(
    tx: &mut SqliteConnection,
    call_id: i64,
) -> Result<bool, sqlx::Error> {
    // Reads `incidents` (a layer above reach): whether it is resolved.
    let taken = sqlx::query(
        "UPDATE calls SET state = 'escalated' WHERE id = ? AND state = 'open' \
         AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = calls.incident_id AND i.status = 'resolved')",
    )
    .bind(call_id)
    .execute(tx)
    .await?;
    Ok(taken.rows_affected() != 0)
}
