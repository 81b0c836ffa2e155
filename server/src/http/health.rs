//! `GET /healthz`: 200 when the database answers and its schema is current,
//! 503 otherwise. The body is small and says which check failed.
use crate::state::ServerState;
use axum::{extract::State, http::StatusCode, Json};
use serde_json::{json, Value};

pub fn routes() -> Vec<crate::state::Route> {
    vec![("/healthz", axum::routing::get(healthz))]
}

pub async fn healthz(State(state): State<ServerState>) -> (StatusCode, Json<Value>) {
    let (status, database) = match crate::db::schema_is_current(&state.app.db).await {
        Ok(true) => (StatusCode::OK, "ok"),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "schema not current"),
        Err(err) => {
            tracing::error!(error = %err, "health check could not reach the database");
            (StatusCode::SERVICE_UNAVAILABLE, "unreachable")
        }
    };
    let body = json!({
        "status": if status == StatusCode::OK { "ok" } else { "unavailable" },
        "database": database,
        "schema_version": crate::db::latest_known_version(),
        "version": app::VERSION,
    });
    (status, Json(body))
}
