//! Declaring an incident from an alert: it joins alerts, plans, reach and
//! incidents, so it lives in the highest of them. The alert page offers
//! it through the shell ([`DeclareFromAlertForm`]).
use crate::{auth::Role, error::AppError, ui::returned_error};
use leptos::prelude::*;

/// The alert page's offer: declare from this alert (responders, while
/// the alert has no incident yet).
pub fn offer(alert: &crate::alerts::AlertDetail) -> AnyView {
    let can_declare = crate::auth::caller_may(Role::Responder) && alert.alert.incident_id.is_none();
    let declare = ServerAction::<DeclareFromAlert>::new();
    let refused = returned_error(declare);
    let id = alert.alert.id;
    let form = can_declare.then(|| {
        view! {
            <ActionForm action=declare attr:id="declare-from-alert">
                <input type="hidden" name="id" value=id/>
                <button type="submit">"Declare an incident from this alert"</button>
                <span class="hint">" with its rule's severity and runbook; its sample events go on the timeline."</span>
            </ActionForm>
        }
    });
    view! { {refused} {form} }.into_any()
}

/// Declares an incident from an alert, with its rule's severity and
/// runbook, and links the alert's sample events to its timeline.
#[server(prefix = "/api", endpoint = "alerts/declare")]
pub async fn declare_from_alert(id: i64) -> Result<i64, AppError> {
    let (state, caller) = crate::auth::guard::require::<DeclareFromAlert>().await?;
    let now = state.clock.now();
    let mut tx = state.db.write.begin().await?;
    let detail = crate::alerts::db::detail(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That alert".into()))?;
    if let Some(incident) = detail.alert.incident_id {
        return Err(AppError::Conflict(format!(
            "This alert was declared as incident #{incident} already."
        )));
    }
    let severity = crate::runbooks::Severity::parse("Severity", &detail.rule.severity)?;
    let group = if detail.alert.group_key.is_empty() {
        String::new()
    } else {
        format!(" ({})", detail.alert.group_key)
    };
    let title: String = format!("{}{group}", detail.rule.name)
        .chars()
        .take(160)
        .collect();
    let impact = format!(
        "Raised by alert #{id}: {} matching events from {} to {}.",
        detail.alert.count,
        crate::ui::when(detail.alert.first_seen),
        crate::ui::when(detail.alert.last_seen)
    );
    // A runbook deleted since the rule was written is left out.
    let runbook = match detail.rule.runbook_id {
        Some(r) => crate::plans::db::title(&mut tx, crate::plans::Kind::Runbook, r)
            .await?
            .map(|_| r),
        None => None,
    };
    let incident = super::declare_in(
        &mut tx,
        &caller,
        (&title, severity, &impact),
        runbook,
        (
            &crate::reach::Place {
                environment: state.environment,
                public_url: &state.public_url,
            },
            Some(detail.rule.id),
        ),
        now,
    )
    .await?;
    let events: Vec<i64> = detail.samples.iter().map(|e| e.id).collect();
    if !events.is_empty() {
        let author = caller.author();
        crate::events::link::link(&mut tx, incident, &events, &author, now).await?;
    }
    crate::alerts::db::declared_as(&mut tx, id, incident).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "alert.declare",
        format!("alert:{id}"),
        format!(
            "declared as incident #{incident}, {} event(s) linked",
            events.len()
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/incidents/{incident}"));
    Ok(incident)
}
