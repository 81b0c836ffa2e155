//! Thin server functions for drill schedules and the calendar feed key:
//! editors add and remove schedules; anyone signed in makes their own
//! feed key, shown once. Each change is one transaction with its audit
//! record.
use crate::error::AppError;
use leptos::prelude::*;

/// What the reveal keeps a new calendar address under.
pub const REVEAL: &str = "calendar";

/// Adds a schedule: `every` is a preset name from [`super::schedule::PRESETS`]
/// or "custom", in which case `recurrence` is the RFC 5545 rule.
#[server(prefix = "/api", endpoint = "drills/schedules/add")]
pub async fn add_schedule(
    scenario: i64,
    every: String,
    #[server(default)] recurrence: String,
    starts: String,
    #[server(default)] minutes: String,
) -> Result<i64, AppError> {
    use super::schedule::{parse_rule, MAX_SCHEDULES, PRESETS};
    let (state, caller) = crate::auth::guard::require::<AddSchedule>().await?;
    let rule = match PRESETS.iter().find(|(name, _)| *name == every.trim()) {
        Some((_, preset)) => (*preset).to_owned(),
        None => recurrence
            .trim()
            .trim_start_matches("RRULE:")
            .to_ascii_uppercase(),
    };
    let now = state.clock.now();
    let starts_at = super::input::parse_when(starts.trim(), now).map_err(|_| {
        AppError::invalid(
            "First drill",
            format!(
                "'{}' is not a time such as 2026-12-03 14:00 (UTC), from now on",
                crate::fields::shown(&starts)
            ),
        )
    })?;
    let set = parse_rule(&rule, starts_at)?;
    let dates = super::schedule::dates(&set, now);
    let soon = now + chrono::Duration::days(365 * super::schedule::SOON_YEARS);
    if !dates.iter().any(|at| *at >= now && *at <= soon) {
        return Err(AppError::invalid(
            "Repeats",
            format!(
                "gives no drill in the next {} years (a date that never comes, such as 30 February?)",
                super::schedule::SOON_YEARS
            ),
        ));
    }
    let dates = serde_json::to_string(&dates).map_err(AppError::internal)?;
    let mut tx = state.db.write.begin().await?;
    let latest = crate::plans::db::get::<super::Scenario>(
        &mut tx,
        crate::plans::Kind::Scenario,
        scenario,
        None,
    )
    .await?
    .ok_or_else(|| AppError::NotFound("That scenario".into()))?
    .content;
    let (title, planned) = (latest.title, latest.planned_minutes);
    let minutes = match minutes.trim() {
        "" => planned,
        raw => raw
            .parse::<u32>()
            .ok()
            .filter(|m| (5..=480).contains(m))
            .ok_or_else(|| AppError::invalid("Minutes", "give a length from 5 to 480 minutes"))?,
    };
    if super::db::schedule_count(&mut tx).await? >= MAX_SCHEDULES {
        return Err(AppError::Conflict(format!(
            "Muster keeps at most {MAX_SCHEDULES} drill schedules; remove one first."
        )));
    }
    let id = super::db::add_schedule(
        &mut tx,
        &super::db::NewSchedule {
            scenario_id: scenario,
            rule: &rule,
            starts_at,
            duration_minutes: minutes,
            created_by: &caller.audit_name(),
            created_at: now,
            dates: &dates,
        },
    )
    .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.schedule.add",
        format!("drill-schedule:{id}"),
        format!("{title}: {rule} from {starts_at}"),
        now,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/drills#schedules");
    Ok(id)
}

#[server(prefix = "/api", endpoint = "drills/schedules/remove")]
pub async fn remove_schedule(id: i64) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<RemoveSchedule>().await?;
    let mut tx = state.db.write.begin().await?;
    let rule = super::db::remove_schedule(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That schedule".into()))?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.schedule.remove",
        format!("drill-schedule:{id}"),
        rule,
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/drills#schedules");
    Ok(())
}

/// Makes the caller a new calendar feed address (the old one stops
/// working) and returns it; the drills page shows it once.
#[server(prefix = "/api", endpoint = "drills/calendar/key")]
pub async fn new_calendar_key() -> Result<String, AppError> {
    use crate::auth::{sessions, Caller};
    let (state, caller) = crate::auth::guard::require::<NewCalendarKey>().await?;
    let Caller::User { user, session_id } = &caller else {
        return Err(AppError::invalid(
            "Calendar",
            "a calendar address belongs to a person, not an API token",
        ));
    };
    let key = sessions::new_token();
    let mut tx = state.db.write.begin().await?;
    super::db::set_calendar_key(
        &mut tx,
        user.id,
        &sessions::token_hash(&key),
        state.clock.now(),
    )
    .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "drill.calendar.key",
        format!("user:{}", user.id),
        "a new calendar address; the old one no longer works",
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    let address = super::calendar::address(&state.public_url, &key);
    if let Ok(auth) = crate::auth::AuthState::current() {
        auth.reveals.put(*session_id, REVEAL, address.clone());
    }
    leptos_axum::redirect("/drills#calendar");
    Ok(address)
}

/// The calendar address just made in this session, shown once.
pub fn take_calendar_address() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        crate::auth::reveal::take_for_page(REVEAL)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::super::schedule::{dates, parse_rule, standing, DrillDate, ScheduleLine};
    use crate::{drills::db, error::AppError};
    use chrono::{DateTime, Utc};
    use sqlx::SqliteConnection;

    /// A schedule's stored dates; `None` when there are none to read.
    fn stored_dates(stored: Option<&str>) -> Option<Vec<DateTime<Utc>>> {
        serde_json::from_str(stored?).ok()
    }

    /// Works out the dates of schedules saved before they were stored
    /// (once, at start), so no page ever expands a rule. A rule this Muster
    /// cannot read gets no dates. Returns how many it filled.
    pub async fn fill_dates(
        write: &sqlx::SqlitePool,
        now: DateTime<Utc>,
    ) -> Result<usize, AppError> {
        let rows = db::undated_schedules(write).await?;
        for row in &rows {
            let found = parse_rule(&row.rule, row.starts_at)
                .map(|set| dates(&set, now))
                .unwrap_or_default();
            let found = serde_json::to_string(&found).map_err(AppError::internal)?;
            db::set_schedule_dates(write, row.id, &found).await?;
        }
        Ok(rows.len())
    }

    /// How many drills the upcoming list shows.
    pub const UPCOMING: usize = 12;
    /// How many runs planned for a time the lists take in.
    const PLANNED: i64 = 200;

    /// Every schedule with where it stands, then the drills coming up and
    /// the ones overdue (from schedules and from runs planned for a time).
    pub async fn standings(
        conn: &mut SqliteConnection,
        now: DateTime<Utc>,
    ) -> Result<(Vec<ScheduleLine>, Vec<DrillDate>, Vec<DrillDate>), AppError> {
        let rows = db::schedules(&mut *conn).await?;
        let mut lines = Vec::new();
        let (mut upcoming, mut overdue) = (Vec::new(), Vec::new());
        for row in rows {
            let runs = db::run_starts(&mut *conn, row.scenario_id).await?;
            // The dates worked out when the schedule was saved: no rule is
            // expanded here. A rule stored by an older Muster that this one
            // cannot read shows as never due rather than failing the page.
            let stand = stored_dates(row.dates.as_deref())
                .map(|d| standing(d, &runs, now))
                .unwrap_or_default();
            let date = |at| DrillDate {
                at,
                title: row.title.clone(),
                run_id: None,
                schedule_id: Some(row.id),
            };
            upcoming.extend(stand.next.map(date));
            overdue.extend(stand.overdue_since.map(date));
            lines.push(ScheduleLine {
                id: row.id,
                scenario_id: row.scenario_id,
                scenario: row.title,
                rule: row.rule,
                starts_at: row.starts_at,
                duration_minutes: row.duration_minutes,
                next: stand.next,
                overdue_since: stand.overdue_since,
            });
        }
        let late = now - chrono::Duration::hours(1);
        for run in db::planned_runs(&mut *conn, PLANNED).await? {
            let date = DrillDate {
                at: run.scheduled_for,
                title: run.title,
                run_id: Some(run.id),
                schedule_id: None,
            };
            if date.at < late {
                overdue.push(date);
            } else {
                upcoming.push(date);
            }
        }
        upcoming.sort_by_key(|d| d.at);
        upcoming.truncate(UPCOMING);
        overdue.sort_by_key(|d| d.at);
        Ok((lines, upcoming, overdue))
    }
}
