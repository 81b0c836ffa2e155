//! The admin page's one read: how the backups stand and the newest runs.
use super::{Run, Standing};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupsView {
    /// `None` when no backup or drill was ever recorded.
    pub standing: Option<Standing>,
    pub runs: Vec<Run>,
}

#[server(prefix = "/api", endpoint = "admin/backups")]
pub async fn get_backups() -> Result<BackupsView, AppError> {
    let (state, _) = crate::auth::guard::require::<GetBackups>().await?;
    let now = state.clock.now();
    let mut conn = state.db.read.acquire().await?;
    let standing = super::db::standing(&mut conn, now).await?;
    let runs = super::db::recent(&mut conn, super::RUNS_SHOWN).await?;
    Ok(BackupsView { standing, runs })
}
