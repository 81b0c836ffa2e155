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
    let owner =
        super::db::calendar_owner(&mut *conn, &crate::auth::sessions::token_hash(key)).await?;
    if owner.is_none() {
        return Ok(None);
    }
    let page = format!("{}/drills", public_url.trim_end_matches('/'));
    let mut calendar = Calendar::new()
        .name("Muster drills")
        .description("Tabletop drills planned in Muster")
        .done();
    for schedule in super::db::schedule_events(&mut *conn).await? {
        // Only rules that pass the check today go out.
        if super::schedule::parse_rule(&schedule.rule, schedule.starts_at).is_err() {
            continue;
        }
        calendar.push(
            event(
                &format!("drill-schedule-{}@muster", schedule.id),
                &schedule.title,
                schedule.starts_at,
                schedule.duration_minutes,
                &page,
                now,
            )
            .add_property("RRULE", schedule.rule)
            .done(),
        );
    }
    for run in super::db::planned_runs(&mut *conn, MAX_RUNS).await? {
        let link = format!(
            "{}/drills/runs/{}",
            public_url.trim_end_matches('/'),
            run.id
        );
        calendar.push(event(
            &format!("drill-run-{}@muster", run.id),
            &run.title,
            run.scheduled_for,
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
