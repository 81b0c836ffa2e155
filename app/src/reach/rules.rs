//! Routing rules: whom a runbook or an alert rule reaches besides the
//! roles an incident calls anyway, read, added and removed.
use super::{db, Routing, RuleLine};
use crate::{error::AppError, state::Db};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Minutes before a role's unanswered call goes to its next backup,
/// unless a routing rule says otherwise.
pub const DEFAULT_ESCALATE_MINUTES: i64 = 5;
/// A routing rule's target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Role(i64),
    Person(i64),
    Channel(i64),
}

/// The rules of a runbook or an alert rule: target and escalation minutes.
pub async fn rules_for(
    conn: &mut SqliteConnection,
    runbook_id: Option<i64>,
    alert_rule_id: Option<i64>,
) -> Result<Vec<(Target, i64)>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT target, target_id, escalate_minutes FROM reach_rules \
         WHERE (runbook_id IS NOT NULL AND runbook_id = ?) OR (alert_rule_id IS NOT NULL AND alert_rule_id = ?) \
         ORDER BY id",
    )
    .bind(runbook_id)
    .bind(alert_rule_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(t, id, minutes)| {
            let target = match t.as_str() {
                "role" => Target::Role(id),
                "person" => Target::Person(id),
                "channel" => Target::Channel(id),
                _ => return None,
            };
            Some((target, minutes))
        })
        .collect())
}

/// `kind:ID` as the routing form sends it.
fn tagged(value: &str, field: &str) -> Result<(String, i64), AppError> {
    let (kind, id) = value
        .trim()
        .split_once(':')
        .ok_or_else(|| AppError::invalid(field, "choose one from the list"))?;
    let id = id
        .parse::<i64>()
        .map_err(|_| AppError::invalid(field, "choose one from the list"))?;
    Ok((kind.to_owned(), id))
}

/// The routing page's read: rules with names, and what a rule may name.
/// Names come from the runbooks', alert rules', roster's and channels'
/// tables by one read each (their domains import this one, so it cannot
/// import theirs).
pub async fn routing(conn: &mut SqliteConnection) -> Result<Routing, sqlx::Error> {
    /// id, runbook, alert rule, target kind, target name, minutes
    type Rule = (i64, Option<String>, Option<String>, String, String, i64);
    let rules: Vec<Rule> = sqlx::query_as(
        "SELECT r.id, p.title, a.name, r.target, \
           COALESCE(CASE r.target WHEN 'role' THEN (SELECT name FROM incident_roles WHERE id = r.target_id) \
             WHEN 'person' THEN (SELECT name FROM people WHERE id = r.target_id) \
             ELSE (SELECT name FROM channels WHERE id = r.target_id) END, '(gone)'), r.escalate_minutes \
         FROM reach_rules r LEFT JOIN plans p ON p.id = r.runbook_id LEFT JOIN alert_rules a ON a.id = r.alert_rule_id \
         ORDER BY r.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let rules = rules
        .into_iter()
        .map(|(id, runbook, alert, target, name, minutes)| RuleLine {
            id,
            scope: match (runbook, alert) {
                (Some(r), _) => format!("Runbook: {r}"),
                (_, Some(a)) => format!("Alert rule: {a}"),
                _ => "(gone)".into(),
            },
            target: format!(
                "{}: {name}",
                match target.as_str() {
                    "role" => "Role",
                    "person" => "Person",
                    _ => "Channel",
                }
            ),
            escalate_minutes: minutes,
        })
        .collect();
    let scopes: Vec<(String, String)> = sqlx::query_as(
        "SELECT 'runbook:' || id, 'Runbook: ' || title FROM plans WHERE kind = 'runbook' \
         UNION ALL SELECT 'alert:' || id, 'Alert rule: ' || name FROM alert_rules ORDER BY 2",
    )
    .fetch_all(&mut *conn)
    .await?;
    let targets: Vec<(String, String)> = sqlx::query_as(
        "SELECT * FROM (SELECT 'role:' || id, 'Role: ' || name FROM incident_roles ORDER BY position) \
         UNION ALL SELECT * FROM (SELECT 'person:' || id, 'Person: ' || name FROM people ORDER BY name) \
         UNION ALL SELECT * FROM (SELECT 'channel:' || id, 'Channel: ' || name FROM channels WHERE NOT for_customers ORDER BY name)",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Routing {
        rules,
        scopes,
        targets,
    })
}

/// Adds a routing rule (audited as `routing.add`). Returns its id.
pub async fn add_rule(
    db: &Db,
    scope: &str,
    target: &str,
    minutes: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let (scope_kind, scope_id) = tagged(scope, "For")?;
    let (target_kind, target_id) = tagged(target, "Reach")?;
    let minutes = match minutes.trim() {
        "" => DEFAULT_ESCALATE_MINUTES,
        m => m
            .parse::<i64>()
            .ok()
            .filter(|m| (1..=120).contains(m))
            .ok_or_else(|| {
                AppError::invalid("Escalate after", "a whole number of minutes from 1 to 120")
            })?,
    };
    let (runbook, alert) = match scope_kind.as_str() {
        "runbook" => (Some(scope_id), None),
        "alert" => (None, Some(scope_id)),
        _ => return Err(AppError::invalid("For", "a runbook or an alert rule")),
    };
    if !matches!(target_kind.as_str(), "role" | "person" | "channel") {
        return Err(AppError::invalid("Reach", "a role, a person or a channel"));
    }
    let mut tx = db.write.begin().await?;
    let exists: (bool, bool) = sqlx::query_as(
        "SELECT CASE ?1 WHEN 'runbook' THEN EXISTS (SELECT 1 FROM plans WHERE id = ?2 AND kind = 'runbook') \
                ELSE EXISTS (SELECT 1 FROM alert_rules WHERE id = ?2) END, \
         CASE ?3 WHEN 'role' THEN EXISTS (SELECT 1 FROM incident_roles WHERE id = ?4) \
                WHEN 'person' THEN EXISTS (SELECT 1 FROM people WHERE id = ?4) \
                ELSE EXISTS (SELECT 1 FROM channels WHERE id = ?4) END",
    )
    .bind(&scope_kind)
    .bind(scope_id)
    .bind(&target_kind)
    .bind(target_id)
    .fetch_one(&mut *tx)
    .await?;
    if !exists.0 {
        return Err(AppError::invalid("For", "no such runbook or alert rule"));
    }
    if !exists.1 {
        return Err(AppError::invalid(
            "Reach",
            "no such role, person or channel",
        ));
    }
    if target_kind == "channel"
        && db::get(&mut tx, target_id)
            .await?
            .is_some_and(|c| c.channel.for_customers)
    {
        return Err(AppError::invalid(
            "Reach",
            "a channel for customers receives only approved notices, never calls: choose a channel for people",
        ));
    }
    let (each, all): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM reach_rules WHERE runbook_id IS ? AND alert_rule_id IS ?), \
                (SELECT COUNT(*) FROM reach_rules)",
    )
    .bind(runbook)
    .bind(alert)
    .fetch_one(&mut *tx)
    .await?;
    if each >= super::MAX_RULES_EACH || all >= super::MAX_RULES {
        return Err(AppError::Conflict(format!(
            "At most {} rules for one runbook or alert rule, {} in all.",
            super::MAX_RULES_EACH,
            super::MAX_RULES
        )));
    }
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO reach_rules (runbook_id, alert_rule_id, target, target_id, escalate_minutes, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(runbook)
    .bind(alert)
    .bind(&target_kind)
    .bind(target_id)
    .bind(minutes)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let (id,) = id.ok_or_else(|| AppError::Conflict("That rule exists already.".into()))?;
    let entry = crate::audit::NewEntry::new(
        actor,
        "routing.add",
        format!("{scope_kind}:{scope_id}"),
        crate::audit::Outcome::Allowed,
    )
    .because(format!(
        "reach {target_kind}:{target_id}, escalate after {minutes} min"
    ));
    crate::audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a routing rule (audited as `routing.remove`).
pub async fn remove_rule(db: &Db, id: i64, actor: &str) -> Result<(), AppError> {
    let mut tx = db.write.begin().await?;
    let gone = sqlx::query("DELETE FROM reach_rules WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if gone.rows_affected() == 0 {
        return Err(AppError::NotFound("That rule".into()));
    }
    let entry = crate::audit::NewEntry::new(
        actor,
        "routing.remove",
        format!("rule:{id}"),
        crate::audit::Outcome::Allowed,
    );
    crate::audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    Ok(())
}
