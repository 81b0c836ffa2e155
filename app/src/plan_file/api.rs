//! Import of a plans file by an editor (the export is a download route).
use crate::error::AppError;
use leptos::prelude::*;

/// Checks the whole file and stores it only if nothing is wrong; every
/// problem comes back at once, one per line.
#[server(prefix = "/api", endpoint = "plans/import")]
pub async fn import_plans(document: String) -> Result<(), AppError> {
    use crate::plans::db::Author;
    let (state, caller) = crate::auth::guard::require::<ImportPlans>().await?;
    if document.len() > 5 * 1024 * 1024 {
        return Err(AppError::invalid("Plans file", "is larger than 5 MB"));
    }
    let mut tx = state.db.write.begin().await?;
    let checked = super::transfer::check(&mut tx, &document)
        .await
        .map_err(|problems| AppError::invalid("Plans file", problems.join("\n")))?;
    let report = super::transfer::store(
        &mut tx,
        checked,
        &Author::of(&caller, state.clock.now()),
        &mut |_, _, _| {},
    )
    .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "plans.import",
        "plans",
        report.summary(),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/plans?created={}&updated={}&unchanged={}",
        report.created.len(),
        report.updated.len(),
        report.unchanged.len()
    ));
    Ok(())
}
