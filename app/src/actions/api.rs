//! Thin server functions for action items: everyone signed in reads the
//! list; responders move them along (a review or a drill report adds
//! them, through its own domain). Each change
//! is one transaction with its audit record.
use super::Item;
use crate::error::AppError;
use leptos::prelude::*;

/// How many open items the list shows.
#[cfg(feature = "ssr")]
const LISTED: i64 = 500;

#[server(prefix = "/api", endpoint = "actions/list")]
pub async fn list_actions() -> Result<Vec<Item>, AppError> {
    let (state, _) = crate::auth::guard::require::<ListActions>().await?;
    let mut conn = state.db.read.acquire().await?;
    super::db::open(&mut conn, state.clock.now().date_naive(), LISTED).await
}

/// Moves an action item along: open, in progress, done, won't do.
#[server(prefix = "/api", endpoint = "actions/status")]
pub async fn set_action_status(id: i64, status: String) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<SetActionStatus>().await?;
    let status = super::Status::parse("Status", &status)?;
    let mut tx = state.db.write.begin().await?;
    let title = super::db::set_status(&mut tx, id, status, state.clock.now()).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "action.status",
        format!("action:{id}"),
        format!("{title}: {}", status.as_str()),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
