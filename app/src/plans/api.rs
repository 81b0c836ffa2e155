//! The server function shared by every kind of plan: lists with search.
//! Everyone signed in may read them. History and comparison are
//! `versions`, which asks each kind's domain for its versions' text.
use super::{Kind, PlanSummary};
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "plans/list")]
pub async fn list_plans(
    kind: Kind,
    query: String,
    tag: String,
) -> Result<Vec<PlanSummary>, AppError> {
    let (state, _) = crate::auth::guard::require::<ListPlans>().await?;
    let mut conn = state.db.read.acquire().await?;
    Ok(super::db::list(&mut conn, kind, query.trim(), tag.trim()).await?)
}
