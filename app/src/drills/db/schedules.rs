//! Drill schedules, the runs planned for a time, and the calendar feed
//! keys that publish them. A schedule keeps the dates its rule gives (as
//! JSON), worked out when it is saved, so no page expands a rule.
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite, SqliteConnection};

/// How many drill schedules there are.
pub async fn schedule_count(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM drill_schedules")
        .fetch_one(conn)
        .await
}

/// What a new schedule is made of.
pub struct NewSchedule<'a> {
    pub scenario_id: i64,
    /// The RFC 5545 rule, without its `RRULE:`.
    pub rule: &'a str,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub created_by: &'a str,
    pub created_at: DateTime<Utc>,
    /// The dates the rule gives, as JSON.
    pub dates: &'a str,
}

/// Saves a schedule. Its id.
pub async fn add_schedule(
    conn: &mut SqliteConnection,
    new: &NewSchedule<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO drill_schedules (scenario_id, rule, starts_at, duration_minutes, created_by, created_at, dates) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(new.scenario_id)
    .bind(new.rule)
    .bind(new.starts_at)
    .bind(new.duration_minutes)
    .bind(new.created_by)
    .bind(new.created_at)
    .bind(new.dates)
    .fetch_one(conn)
    .await
}

/// Removes a schedule; its rule, or `None` when there was no such one.
pub async fn remove_schedule(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM drill_schedules WHERE id = ? RETURNING rule")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A schedule saved before its dates were stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Undated {
    pub id: i64,
    pub rule: String,
    pub starts_at: DateTime<Utc>,
}

pub async fn undated_schedules<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<Undated>, sqlx::Error> {
    sqlx::query_as("SELECT id, rule, starts_at FROM drill_schedules WHERE dates IS NULL")
        .fetch_all(db)
        .await
}

/// Stores a schedule's dates (as JSON).
pub async fn set_schedule_dates<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
    dates: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE drill_schedules SET dates = ? WHERE id = ?")
        .bind(dates)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A schedule as the drills page reads it, with its scenario's title and
/// its stored dates.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredSchedule {
    pub id: i64,
    pub scenario_id: i64,
    pub title: String,
    pub rule: String,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: u32,
    /// JSON; `None` until worked out.
    pub dates: Option<String>,
}

/// Every schedule, by its scenario's title.
pub async fn schedules(conn: &mut SqliteConnection) -> Result<Vec<StoredSchedule>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id, s.scenario_id, p.title, s.rule, s.starts_at, s.duration_minutes, s.dates \
         FROM drill_schedules s JOIN plans p ON p.id = s.scenario_id ORDER BY p.title, s.id",
    )
    .fetch_all(conn)
    .await
}

/// A schedule as the calendar feed tells it: one event that repeats.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ScheduleEvent {
    pub id: i64,
    pub title: String,
    pub rule: String,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i64,
}

/// Every schedule, oldest first, with its scenario's title.
pub async fn schedule_events(
    conn: &mut SqliteConnection,
) -> Result<Vec<ScheduleEvent>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id, p.title, s.rule, s.starts_at, s.duration_minutes \
         FROM drill_schedules s JOIN plans p ON p.id = s.scenario_id ORDER BY s.id",
    )
    .fetch_all(conn)
    .await
}

/// When each started run of a scenario was declared (its drill
/// incident's start): what a schedule's occurrences are kept by.
pub async fn run_starts(
    conn: &mut SqliteConnection,
    scenario: i64,
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT i.declared_at FROM drill_runs r JOIN incidents i ON i.id = r.incident_id \
         WHERE r.scenario_id = ?",
    )
    .bind(scenario)
    .fetch_all(conn)
    .await
}

/// A run not started yet that is planned for a time.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PlannedRun {
    pub id: i64,
    pub title: String,
    pub scheduled_for: DateTime<Utc>,
}

/// The runs planned for a time and not started, soonest first; at most
/// `limit`.
pub async fn planned_runs(
    conn: &mut SqliteConnection,
    limit: i64,
) -> Result<Vec<PlannedRun>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, title, scheduled_for FROM drill_runs \
         WHERE state = 'scheduled' AND scheduled_for IS NOT NULL ORDER BY scheduled_for LIMIT ?",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The account whose calendar feed key has this hash, if the key is the
/// current one and the account is not disabled.
pub async fn calendar_owner(
    conn: &mut SqliteConnection,
    key_hash: &[u8],
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT u.id FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
         WHERE f.key_hash = ? AND u.disabled_at IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(conn)
    .await
}

/// Gives an account a new calendar feed key (by its hash), replacing the
/// one it had.
pub async fn set_calendar_key(
    conn: &mut SqliteConnection,
    user: i64,
    key_hash: &[u8],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO calendar_feeds (user_id, key_hash, created_at) VALUES (?, ?, ?) \
         ON CONFLICT (user_id) DO UPDATE SET key_hash = excluded.key_hash, created_at = excluded.created_at",
    )
    .bind(user)
    .bind(key_hash)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
