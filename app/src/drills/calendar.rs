//! The drill calendar feed: each person's secret address gives an
//! iCalendar document that calendar apps subscribe to. Each schedule is
//! one event with its recurrence rule (the app expands it), and each run
//! planned for a time is one event. The key rides in the query string,
//! which Muster never logs; only its SHA-256 is stored.
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use sqlx::SqliteConnection;

/// The path the feed answers at.
pub const PATH: &str = "/drills/calendar.ics";
/// How many planned runs one feed lists (schedules are bounded apart).
pub const MAX_RUNS: i64 = 200;
/// A planned run shows as an hour; its scenario's own length is on its page.
const RUN_MINUTES: i64 = 60;

/// The full address of a feed.
pub fn address(public_url: &str, key: &str) -> String {
    format!("{}{PATH}?key={key}", public_url.trim_end_matches('/'))
}

/// The feed for the person whose key this is, or `None` for a key that is
/// unknown, replaced, or whose account is disabled.
pub async fn feed(
    conn: &mut SqliteConnection,
    key: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, AppError> {
    let owner: Option<(i64,)> = sqlx::query_as(
        "SELECT u.id FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
         WHERE f.key_hash = ? AND u.disabled_at IS NULL",
    )
    .bind(crate::auth::sessions::token_hash(key))
    .fetch_optional(&mut *conn)
    .await?;
    if owner.is_none() {
        return Ok(None);
    }
    let page = format!("{}/drills", public_url.trim_end_matches('/'));
    let mut calendar = Calendar::new()
        .name("Muster drills")
        .description("Tabletop drills planned in Muster")
        .done();
    let schedules: Vec<(i64, String, String, DateTime<Utc>, i64)> = sqlx::query_as(
        "SELECT s.id, p.title, s.rule, s.starts_at, s.duration_minutes \
         FROM drill_schedules s JOIN plans p ON p.id = s.scenario_id ORDER BY s.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (id, title, rule, starts_at, minutes) in schedules {
        // Only rules that pass the check today go out.
        if super::schedule::parse_rule(&rule, starts_at).is_err() {
            continue;
        }
        calendar.push(
            event(
                &format!("drill-schedule-{id}@muster"),
                &title,
                starts_at,
                minutes,
                &page,
                now,
            )
            .add_property("RRULE", rule)
            .done(),
        );
    }
    let runs: Vec<(i64, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT r.id, r.title, r.scheduled_for FROM drill_runs r \
         WHERE r.state = 'scheduled' AND r.scheduled_for IS NOT NULL \
         ORDER BY r.scheduled_for LIMIT ?",
    )
    .bind(MAX_RUNS)
    .fetch_all(&mut *conn)
    .await?;
    for (id, title, at) in runs {
        let link = format!("{}/drills/runs/{id}", public_url.trim_end_matches('/'));
        calendar.push(event(
            &format!("drill-run-{id}@muster"),
            &title,
            at,
            RUN_MINUTES,
            &link,
            now,
        ));
    }
    Ok(Some(calendar.to_string()))
}

fn event(
    uid: &str,
    title: &str,
    at: DateTime<Utc>,
    minutes: i64,
    link: &str,
    now: DateTime<Utc>,
) -> Event {
    Event::new()
        .uid(uid)
        .summary(&format!("Drill: {title}"))
        .description(&format!(
            "A tabletop drill in Muster. Practice only: nothing a drill does leaves Muster.\n{link}"
        ))
        .url(link)
        .starts(at)
        .ends(at + Duration::minutes(minutes))
        .timestamp(now)
        .done()
}
