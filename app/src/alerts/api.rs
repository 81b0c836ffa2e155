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
        state.clock.now(),
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
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
