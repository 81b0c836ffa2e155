//! Server functions shared by runbooks and templates: lists with search,
//! version history and comparison. Everyone signed in may read them.
use super::{DiffLine, Kind, PlanSummary, VersionInfo};
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

#[server(prefix = "/api", endpoint = "plans/history")]
pub async fn version_history(kind: Kind, id: i64) -> Result<(String, Vec<VersionInfo>), AppError> {
    let (state, caller) = crate::auth::guard::require::<VersionHistory>().await?;
    let mut conn = state.db.read.acquire().await?;
    if kind == Kind::Scenario {
        crate::drills::db::may_read_scenario(&mut conn, id, &caller).await?;
    }
    let versions = super::db::history(&mut conn, kind, id).await?;
    let title = super::db::title(&mut conn, kind, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("That {}", kind.as_str())))?;
    Ok((title, versions))
}

#[server(prefix = "/api", endpoint = "plans/compare")]
pub async fn compare_versions(
    kind: Kind,
    id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<DiffLine>, AppError> {
    let (state, caller) = crate::auth::guard::require::<CompareVersions>().await?;
    let mut conn = state.db.read.acquire().await?;
    if kind == Kind::Scenario {
        crate::drills::db::may_read_scenario(&mut conn, id, &caller).await?;
    }
    let [old, new] = server::as_text(&mut conn, kind, id, [from, to]).await?;
    Ok(super::diff(&old, &new))
}

#[cfg(feature = "ssr")]
mod server {
    use crate::{
        drills::Scenario,
        error::AppError,
        notices::NoticeTemplate,
        plans::{db, Kind},
        runbooks::Runbook,
    };

    /// Versions as the text that comparisons are made of.
    pub async fn as_text<const N: usize>(
        conn: &mut sqlx::SqliteConnection,
        kind: Kind,
        id: i64,
        versions: [i64; N],
    ) -> Result<[String; N], AppError> {
        // The names ids stand for, read once for all versions.
        let roles = crate::roster::db::role_names(&mut *conn).await?;
        let templates = match kind {
            Kind::Runbook => db::titles(&mut *conn, Kind::Template).await?,
            Kind::Template | Kind::Scenario => Default::default(),
        };
        let mut texts = Vec::with_capacity(N);
        for version in versions {
            let missing = || AppError::NotFound(format!("Version {version}"));
            texts.push(match kind {
                Kind::Runbook => db::get::<Runbook>(conn, kind, id, Some(version))
                    .await?
                    .ok_or_else(missing)?
                    .content
                    .as_text(&roles, &templates),
                Kind::Template => db::get::<NoticeTemplate>(conn, kind, id, Some(version))
                    .await?
                    .ok_or_else(missing)?
                    .content
                    .as_text(),
                Kind::Scenario => db::get::<Scenario>(conn, kind, id, Some(version))
                    .await?
                    .ok_or_else(missing)?
                    .content
                    .as_text(&roles),
            });
        }
        texts
            .try_into()
            .map_err(|_| AppError::internal("one text per version"))
    }
}
