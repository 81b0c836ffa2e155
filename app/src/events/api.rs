//! Thin server functions for events: everyone reads, editors see imports,
//! admins set how long events are kept. Linking events to an incident is
//! the incident's change: `incidents::evidence`.
use super::{EventDetail, EventsList, ImportView, ImportsOverview};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The events list's query as the page's address holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    pub q: String,
    pub source: String,
    pub outcome: String,
    pub environment: String,
    /// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` (UTC) or RFC 3339.
    pub from: String,
    pub to: String,
    pub import: String,
    pub after: String,
}

/// Rows per page of the events list.
pub const PAGE: i64 = 50;

#[server(prefix = "/api", endpoint = "events/list")]
pub async fn list_events(list: ListQuery) -> Result<EventsList, AppError> {
    let (state, _) = crate::auth::guard::require::<ListEvents>().await?;
    let filter = server::filter(&list)?;
    let (rows, next) = super::query::list(&state.db.read, &filter, PAGE).await?;
    Ok(EventsList { rows, next })
}

#[server(prefix = "/api", endpoint = "events/get")]
pub async fn get_event(id: i64) -> Result<EventDetail, AppError> {
    let (state, _) = crate::auth::guard::require::<GetEvent>().await?;
    super::query::detail(&state.db.read, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That event".into()))
}

#[server(prefix = "/api", endpoint = "events/imports")]
pub async fn list_imports() -> Result<ImportsOverview, AppError> {
    let (state, _) = crate::auth::guard::require::<ListImports>().await?;
    server::overview(&state).await
}

#[server(prefix = "/api", endpoint = "events/import")]
pub async fn get_import(id: i64) -> Result<ImportView, AppError> {
    let (state, _) = crate::auth::guard::require::<GetImport>().await?;
    super::db::import(&state.db.read, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That import".into()))
}

#[server(prefix = "/api", endpoint = "events/retention")]
pub async fn set_retention(source: String, days: String) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<SetRetention>().await?;
    if !super::SOURCES.contains(&source.as_str()) {
        return Err(AppError::invalid(
            "Source",
            format!("'{}' is not a source", crate::fields::shown(&source)),
        ));
    }
    let days: i64 = days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .ok_or_else(|| AppError::invalid("Days", "a whole number from 1 to 3650"))?;
    let mut tx = state.db.write.begin().await?;
    super::retention::set(&mut tx, &source, days).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "events.retention",
        format!("source:{source}"),
        format!("unlinked events kept {days} days"),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod server {
    use super::super::{Filter, ImportsOverview};
    use super::ListQuery;
    use crate::{error::AppError, state::AppState};
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

    /// A time as the filter form sends it: a date, a date and time (both
    /// UTC, as the form says), or RFC 3339 with its offset.
    fn time(field: &str, raw: &str) -> Result<Option<DateTime<Utc>>, AppError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M") {
            return Ok(Some(t.and_utc()));
        }
        if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            return Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()));
        }
        super::super::time::from_text(raw)
            .map(Some)
            .map_err(|e| AppError::invalid(field, format!("'{}' {e}", crate::fields::shown(raw))))
    }

    fn one_of(field: &str, raw: &str, allowed: &[&str]) -> Result<String, AppError> {
        let raw = raw.trim();
        if raw.is_empty() || allowed.contains(&raw) {
            Ok(raw.to_owned())
        } else {
            Err(AppError::invalid(
                field,
                format!(
                    "'{}' is not one of {}",
                    crate::fields::shown(raw),
                    allowed.join(", ")
                ),
            ))
        }
    }

    pub fn filter(q: &ListQuery) -> Result<Filter, AppError> {
        use crate::fields::{optional_id, text_field};
        Ok(Filter {
            words: text_field("Search", &q.q, false, 200)?,
            source: one_of("Source", &q.source, &super::super::SOURCES)?,
            outcome: one_of("Outcome", &q.outcome, &super::super::OUTCOMES)?,
            environment: text_field("Environment", &q.environment, false, 40)?,
            from: time("From", &q.from)?,
            to: time("To", &q.to)?,
            import: optional_id("Import", &q.import)?,
            after: optional_id("After", &q.after)?,
        })
    }

    pub async fn overview(state: &AppState) -> Result<ImportsOverview, AppError> {
        let imports = super::super::db::recent_imports(&state.db.read, 20).await?;
        let mut conn = state.db.read.acquire().await?;
        Ok(ImportsOverview {
            imports,
            retention: super::super::retention::periods(&mut conn).await?,
            rules: super::super::redact::RULES
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
        })
    }
}
