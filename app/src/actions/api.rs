//! Thin server functions for action items: everyone signed in reads the
//! list; responders add them to reviews and move them along. Each change
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

/// Adds an action item to a review (drafts and reviews in review only).
#[server(prefix = "/api", endpoint = "actions/review/add")]
pub async fn add_review_action(
    id: i64,
    title: String,
    owner: i64,
    due_on: String,
    #[server(default)] priority: String,
    #[server(default)] ticket_url: String,
) -> Result<i64, AppError> {
    let (state, caller) = crate::auth::guard::require::<AddReviewAction>().await?;
    let item = super::NewItem::checked(&title, owner, &due_on, &priority, &ticket_url)?;
    let mut tx = state.db.write.begin().await?;
    crate::reviews::db::writable(&mut tx, id).await?;
    let action = super::db::add(
        &mut tx,
        super::db::Source::Review(id),
        &item,
        &caller.audit_name(),
        state.clock.now(),
    )
    .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "action.add",
        format!("action:{action}"),
        format!(
            "review {id}: {} (due {}, {})",
            item.title,
            item.due_on,
            item.priority.as_str()
        ),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/reviews/{id}#actions"));
    Ok(action)
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
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
