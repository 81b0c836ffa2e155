//! Routing rules: whom a runbook or an alert rule reaches besides the
//! roles an incident calls anyway, read, added and removed.
use super::{db, Routing, RuleLine};
use crate::{error::AppError, roster, state::Db};
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
    let rows = db::rule_targets(conn, runbook_id, alert_rule_id).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let id = r.target_id;
            let target = match r.target.as_str() {
                "role" => Target::Role(id),
                "person" => Target::Person(id),
                "channel" => Target::Channel(id),
                _ => return None,
            };
            Some((target, r.escalate_minutes))
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
/// Rules and scopes name alert rules, whose domain is a peer of this one,
/// so they are read in reach's db; roles and people come from the
/// roster's.
pub async fn routing(conn: &mut SqliteConnection) -> Result<Routing, sqlx::Error> {
    let rules = db::named_rules(&mut *conn)
        .await?
        .into_iter()
        .map(|r| RuleLine {
            id: r.id,
            scope: match (r.runbook, r.alert) {
                (Some(title), _) => format!("Runbook: {title}"),
                (_, Some(name)) => format!("Alert rule: {name}"),
                _ => "(gone)".into(),
            },
            target: format!(
                "{}: {}",
                match r.target.as_str() {
                    "role" => "Role",
                    "person" => "Person",
                    _ => "Channel",
                },
                r.name
            ),
            escalate_minutes: r.escalate_minutes,
        })
        .collect();
    let scopes = db::scope_choices(&mut *conn)
        .await?
        .into_iter()
        .map(|c| (c.value, c.label))
        .collect();
    let roles = roster::db::roles_in_order(&mut *conn).await?;
    let people = roster::db::people_names(&mut *conn).await?;
    let channels = db::list(&mut *conn).await?;
    let targets = roles
        .into_iter()
        .map(|r| (format!("role:{}", r.id), format!("Role: {}", r.name)))
        .chain(
            people
                .into_iter()
                .map(|p| (format!("person:{}", p.id), format!("Person: {}", p.name))),
        )
        .chain(
            channels
                .into_iter()
                .filter(|c| !c.for_customers)
                .map(|c| (format!("channel:{}", c.id), format!("Channel: {}", c.name))),
        )
        .collect();
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
    let exists = db::known(&mut tx, (&scope_kind, scope_id), (&target_kind, target_id)).await?;
    if !exists.scope {
        return Err(AppError::invalid("For", "no such runbook or alert rule"));
    }
    if !exists.target {
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
    let counts = db::rule_counts(&mut tx, runbook, alert).await?;
    if counts.each >= super::MAX_RULES_EACH || counts.total >= super::MAX_RULES {
        return Err(AppError::Conflict(format!(
            "At most {} rules for one runbook or alert rule, {} in all.",
            super::MAX_RULES_EACH,
            super::MAX_RULES
        )));
    }
    let rule = db::NewRule {
        runbook_id: runbook,
        alert_rule_id: alert,
        target: &target_kind,
        target_id,
        escalate_minutes: minutes,
        created_at: now,
    };
    let id = db::insert_rule(&mut tx, &rule)
        .await?
        .ok_or_else(|| AppError::Conflict("That rule exists already.".into()))?;
    let entry = crate::audit::NewEntry::new(
        actor,
        "routing.add",
        format!("{scope_kind}:{scope_id}"),
        crate::audit::Outcome::Allowed,
        now,
    )
    .because(format!(
        "reach {target_kind}:{target_id}, escalate after {minutes} min"
    ));
    crate::audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a routing rule (audited as `routing.remove`).
pub async fn remove_rule(
    db: &Db,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = db.write.begin().await?;
    if !db::delete_rule(&mut tx, id).await? {
        return Err(AppError::NotFound("That rule".into()));
    }
    let entry = crate::audit::NewEntry::new(
        actor,
        "routing.remove",
        format!("rule:{id}"),
        crate::audit::Outcome::Allowed,
        now,
    );
    crate::audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    Ok(())
}
