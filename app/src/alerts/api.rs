//! Thin server functions for alerts: everyone reads them; editors write
//! rules; responders declare an incident from an alert.
use super::{AlertDetail, AlertsList, RuleView};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[server(prefix = "/api", endpoint = "alerts/list")]
pub async fn list_alerts() -> Result<AlertsList, AppError> {
    let (state, _) = crate::auth::guard::require::<ListAlerts>().await?;
    let mut conn = state.db.read.acquire().await?;
    Ok(AlertsList {
        alerts: super::db::list(&mut conn).await?,
    })
}

#[server(prefix = "/api", endpoint = "alerts/get")]
pub async fn get_alert(id: i64) -> Result<AlertDetail, AppError> {
    let (state, _) = crate::auth::guard::require::<GetAlert>().await?;
    let mut conn = state.db.read.acquire().await?;
    super::db::detail(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That alert".into()))
}

/// The rules, and the runbooks a rule may suggest (id, title).
#[server(prefix = "/api", endpoint = "alerts/rules")]
pub async fn list_rules() -> Result<(Vec<RuleView>, Vec<(i64, String)>), AppError> {
    let (state, _) = crate::auth::guard::require::<ListRules>().await?;
    let mut conn = state.db.read.acquire().await?;
    let rules = super::db::rules(&mut conn).await?;
    let runbooks = crate::plans::db::titles(&mut conn, crate::plans::Kind::Runbook).await?;
    Ok((rules, runbooks.into_iter().collect()))
}

/// A rule as its form sends it (`rule[name]`, `rule[sources]`, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleInput {
    pub name: String,
    pub sources: String,
    pub actions: String,
    pub words: String,
    pub outcome: String,
    pub environment: String,
    pub threshold: String,
    pub window_minutes: String,
    pub group_by: String,
    pub quiet_minutes: String,
    pub severity: String,
    pub runbook: String,
}

#[server(prefix = "/api", endpoint = "alerts/rules/add")]
pub async fn add_rule(rule: RuleInput) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<AddRule>().await?;
    let rule = super::db::NewRule::check(&rule)?;
    let mut tx = state.db.write.begin().await?;
    let id = super::db::add_rule(&mut tx, &rule, &caller.audit_name(), state.clock.now()).await?;
    let view = RuleView {
        id,
        name: rule.name.clone(),
        sources: rule.sources.clone(),
        actions: rule.actions.clone(),
        words: rule.words.clone(),
        outcome: rule.outcome.clone(),
        environment: rule.environment.clone(),
        threshold: rule.threshold,
        window_minutes: rule.window_minutes,
        group_by: rule.group_by.clone(),
        quiet_minutes: rule.quiet_minutes,
        severity: rule.severity.as_str().into(),
        runbook_id: rule.runbook_id,
        enabled: true,
    };
    crate::audit::record_change(
        &mut tx,
        &caller,
        "alert.rule.add",
        format!("rule:{id}"),
        format!("{}: {}", rule.name, view.explained()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "alerts/rules/enabled")]
pub async fn set_rule_enabled(id: i64, enabled: bool) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<SetRuleEnabled>().await?;
    let mut tx = state.db.write.begin().await?;
    let name = super::db::set_enabled(&mut tx, id, enabled)
        .await?
        .ok_or_else(|| AppError::NotFound("That rule".into()))?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "alert.rule.enabled",
        format!("rule:{id}"),
        format!("{name}: {}", if enabled { "on" } else { "off" }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Declares an incident from an alert, with its rule's severity and
/// runbook, and links the alert's sample events to its timeline.
#[server(prefix = "/api", endpoint = "alerts/declare")]
pub async fn declare_from_alert(id: i64) -> Result<i64, AppError> {
    let (state, caller) = crate::auth::guard::require::<DeclareFromAlert>().await?;
    let now = state.clock.now();
    let mut tx = state.db.write.begin().await?;
    let detail = super::db::detail(&mut tx, id)
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
    let incident = crate::incidents::declare_in(
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
        let author = crate::incidents::author(&caller);
        crate::events::link::link(&mut tx, incident, &events, &author, now).await?;
    }
    sqlx::query("UPDATE alerts SET incident_id = ? WHERE id = ?")
        .bind(incident)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "alert.declare",
        format!("alert:{id}"),
        format!(
            "declared as incident #{incident}, {} event(s) linked",
            events.len()
        ),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/incidents/{incident}"));
    Ok(incident)
}
