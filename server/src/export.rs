//! Exports that are files, not pages. The route table guards them like
//! any other route (admins only for the audit log).
use crate::startup::ServerState;
use app::audit::{db, AuditFilter};
use axum::{
    body::Body,
    extract::{Query, State},
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
