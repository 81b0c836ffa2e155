//! Exports that are files, not pages. The route table guards them like
//! any other route (admins only for the audit log).
use crate::startup::ServerState;
use app::audit::{db, AuditFilter};
use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use futures_util::stream;

const BATCH: i64 = 500;

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
        app::plans::transfer::export(&mut conn).await
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
        app::incidents::db::load(&mut conn, id, chrono::Utc::now()).await
    }
    .await;
    match loaded {
        Ok(Some(view)) => Ok(view),
        Ok(None) => Err((axum::http::StatusCode::NOT_FOUND, "No such incident.").into_response()),
        Err(e) => Err((
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            app::error::AppError::internal(e).to_string(),
        )
            .into_response()),
    }
}

fn download(content_type: &'static str, name: String, body: String) -> Response {
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

/// The timeline as Markdown, for a review document.
pub async fn timeline_markdown(State(state): State<ServerState>, Path(id): Path<i64>) -> Response {
    let view = match incident(&state, id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    download(
        "text/markdown; charset=utf-8",
        format!("incident-{id}-timeline.md"),
        app::incidents::export::markdown(&view),
    )
}

pub async fn timeline_json(State(state): State<ServerState>, Path(id): Path<i64>) -> Response {
    let view = match incident(&state, id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let body = serde_json::to_string_pretty(&app::incidents::export::Export::of(&view))
        .unwrap_or_default();
    download(
        "application/json",
        format!("incident-{id}-timeline.json"),
        body,
    )
}

pub async fn timeline_csv(State(state): State<ServerState>, Path(id): Path<i64>) -> Response {
    let view = match incident(&state, id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(body) = app::timeline::export::csv(&view.timeline, true) else {
        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "CSV failed").into_response();
    };
    download(
        "text/csv; charset=utf-8",
        format!("incident-{id}-timeline.csv"),
        body,
    )
}
