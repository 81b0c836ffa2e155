//! Exports that are files, not pages. The route table guards them like
//! any other route (admins only for the audit log).
use crate::state::ServerState;
use app::audit::{db, AuditFilter};
use app::timeline::{self, Subject};
use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use futures_util::future::BoxFuture;
use futures_util::{stream, StreamExt};

const BATCH: i64 = 500;

pub fn routes() -> Vec<crate::state::Route> {
    use axum::routing::get;
    vec![
        ("/admin/audit/export", get(audit_json_lines)),
        ("/plans/export", get(plans_json)),
        ("/incidents/{id}/timeline.md", get(timeline_markdown)),
        ("/incidents/{id}/timeline.json", get(timeline_json)),
        ("/incidents/{id}/timeline.csv", get(timeline_csv)),
        ("/drills/runs/{id}/report.md", get(drill_report_markdown)),
    ]
}

/// A drill's after-action report as Markdown, for whoever may read it
/// (the facilitator at any time, everyone once the drill has ended).
pub async fn drill_report_markdown(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Response {
    let caller = req
        .extensions()
        .get::<app::auth::Caller>()
        .cloned()
        .unwrap_or_default();
    let mut conn = match state.app.db.read.acquire().await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    match app::drills::report::build(&mut conn, id, &caller, state.app.clock.now()).await {
        Ok(report) => download(
            "text/markdown; charset=utf-8",
            format!("drill-{id}-report.md"),
            Body::from(report.markdown()),
        ),
        Err(e) => refused(e),
    }
}

/// An error as a plain-text answer with its status: the message is the
/// one safe to show.
pub(crate) fn refused(e: app::error::AppError) -> Response {
    let status = axum::http::StatusCode::from_u16(e.http_status())
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    (status, e.to_string()).into_response()
}

/// The audit log as JSON lines, oldest first, in batches so a long log
/// never sits in memory whole.
pub async fn audit_json_lines(
    State(state): State<ServerState>,
    Query(filter): Query<AuditFilter>,
) -> Response {
    let read = state.app.db.read.clone();
    let lines = stream::try_unfold(Some(0_i64), move |after| {
        let (read, filter) = (read.clone(), filter.clone());
        async move {
            let Some(after) = after else {
                return Ok::<_, sqlx::Error>(None);
            };
            let entries = db::page_after(&read, &filter, after, BATCH).await?;
            let Some(last) = entries.last().map(|e| e.id) else {
                return Ok(None);
            };
            let mut chunk = String::new();
            for e in &entries {
                chunk.push_str(&serde_json::to_string(e).unwrap_or_default());
                chunk.push('\n');
            }
            let next = (entries.len() as i64 == BATCH).then_some(last);
            Ok(Some((chunk, next)))
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"muster-audit.jsonl\"",
            ),
        ],
        Body::from_stream(lines),
    )
        .into_response()
}

/// Every runbook and notice template (latest versions) as a plans file.
pub async fn plans_json(State(state): State<ServerState>) -> Response {
    let text = async {
        let mut conn = state.app.db.read.acquire().await?;
        app::plan_file::transfer::export(&mut conn).await
    }
    .await;
    match text {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"muster-plans.json\"",
                ),
            ],
            text,
        )
            .into_response(),
        Err(e) => {
            let error = app::error::AppError::internal(e);
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                error.to_string(),
            )
                .into_response()
        }
    }
}

async fn incident(state: &ServerState, id: i64) -> Result<app::incidents::IncidentView, Response> {
    let loaded = async {
        let mut conn = state.app.db.read.acquire().await?;
        app::incidents::db::load(&mut conn, id, state.app.clock.now(), None).await
    }
    .await;
    match loaded {
        Ok(Some(view)) => Ok(view),
        Ok(None) => Err((axum::http::StatusCode::NOT_FOUND, "No such incident.").into_response()),
        Err(e) => Err(internal(e)),
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        app::error::AppError::internal(e).to_string(),
    )
        .into_response()
}

pub(crate) fn download(content_type: &'static str, name: String, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// One batch of an export: the text of up to `EXPORT_BATCH` entries after
/// entry `after` (the first batch when `after` is 0), and the last id it
/// holds; `None` when no entries are left.
type Batch = for<'c> fn(
    &'c mut sqlx::SqliteConnection,
    Subject,
    i64,
) -> BoxFuture<'c, Result<Option<(String, i64)>, sqlx::Error>>;

/// `head`, the whole timeline in batches made by `batch`, then `tail`: a
/// long timeline is streamed and never held whole.
fn streamed(state: &ServerState, id: i64, head: String, batch: Batch, tail: &'static str) -> Body {
    let read = state.app.db.read.clone();
    let subject = Subject::Incident(id);
    let batches = stream::try_unfold(Some(0_i64), move |after| {
        let read = read.clone();
        async move {
            let Some(after) = after else {
                return Ok::<_, sqlx::Error>(None);
            };
            let mut conn = read.acquire().await?;
            Ok(batch(&mut conn, subject, after)
                .await?
                .map(|(text, last)| (text, Some(last))))
        }
    });
    let head = stream::once(async move { Ok(head) });
    let tail = stream::once(async move { Ok(tail.to_owned()) });
    Body::from_stream(head.chain(batches).chain(tail))
}

/// Entries per batch of an export: large enough that the per-batch query
/// costs little, small enough that memory stays flat.
const EXPORT_BATCH: i64 = 2_000;

/// The timeline as Markdown, for a review document. Corrections are shown
/// under the entry they correct, so the whole timeline is read first.
pub async fn timeline_markdown(State(state): State<ServerState>, Path(id): Path<i64>) -> Response {
    let view = match incident(&state, id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let all = async {
        let mut conn = state.app.db.read.acquire().await?;
        timeline::db::all(&mut conn, Subject::Incident(id)).await
    }
    .await;
    match all {
        Ok(entries) => download(
            "text/markdown; charset=utf-8",
            format!("incident-{id}-timeline.md"),
            Body::from(app::incidents::export::markdown(&view, &entries)),
        ),
        Err(e) => internal(e),
    }
}

/// The incident and its whole timeline as one JSON document, streamed in
/// batches that SQLite writes as JSON itself.
pub async fn timeline_json(State(state): State<ServerState>, Path(id): Path<i64>) -> Response {
    let view = match incident(&state, id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let head = app::incidents::export::json_head(&view);
    fn batch(
        conn: &mut sqlx::SqliteConnection,
        subject: Subject,
        after: i64,
    ) -> BoxFuture<'_, Result<Option<(String, i64)>, sqlx::Error>> {
        Box::pin(async move {
            let batch = timeline::db::json_after(conn, subject, after, EXPORT_BATCH).await?;
            Ok(batch.map(|timeline::db::JsonBatch { last, json }| {
                let text = if after == 0 { json } else { format!(",{json}") };
                (text, last)
            }))
        })
    }
    download(
        "application/json",
        format!("incident-{id}-timeline.json"),
        streamed(&state, id, head, batch, "]}"),
    )
}

/// The whole timeline as CSV, streamed.
pub async fn timeline_csv(State(state): State<ServerState>, Path(id): Path<i64>) -> Response {
    // Only the entries are written: ask whether the incident exists, not for its page.
    let exists = async {
        let mut conn = state.app.db.read.acquire().await?;
        timeline::db::revision(&mut conn, Subject::Incident(id)).await
    }
    .await;
    match exists {
        Ok(Some(_)) => {}
        Ok(None) => {
            return (axum::http::StatusCode::NOT_FOUND, "No such incident.").into_response()
        }
        Err(e) => return internal(e),
    }
    fn batch(
        conn: &mut sqlx::SqliteConnection,
        subject: Subject,
        after: i64,
    ) -> BoxFuture<'_, Result<Option<(String, i64)>, sqlx::Error>> {
        Box::pin(async move {
            let entries = timeline::db::after(conn, subject, after, EXPORT_BATCH).await?;
            let Some(last) = entries.last().map(|e| e.id) else {
                return Ok(None);
            };
            let rows = timeline::export::csv(&entries, after == 0)
                .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            Ok(Some((rows, last)))
        })
    }
    download(
        "text/csv; charset=utf-8",
        format!("incident-{id}-timeline.csv"),
        streamed(&state, id, String::new(), batch, ""),
    )
}
