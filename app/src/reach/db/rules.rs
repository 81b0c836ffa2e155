//! Routing rules: whom a runbook or an alert rule reaches. The routing
//! page's reads name runbooks and alert rules in the same statement:
//! `alert_rules` belongs to alerts, a peer of reach, whose db reach may
//! not import.
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// A rule's target as stored: its kind ("role", "person" or "channel"),
/// its id, and the minutes before a role's call escalates.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RuleTarget {
    pub target: String,
    pub target_id: i64,
    pub escalate_minutes: i64,
}

/// The rules of a runbook or an alert rule, in the order they were added.
pub async fn rule_targets(
    conn: &mut SqliteConnection,
    runbook_id: Option<i64>,
    alert_rule_id: Option<i64>,
) -> Result<Vec<RuleTarget>, sqlx::Error> {
    sqlx::query_as(
        "SELECT target, target_id, escalate_minutes FROM reach_rules \
         WHERE (runbook_id IS NOT NULL AND runbook_id = ?) OR (alert_rule_id IS NOT NULL AND alert_rule_id = ?) \
         ORDER BY id",
    )
    .bind(runbook_id)
    .bind(alert_rule_id)
    .fetch_all(conn)
    .await
}

/// A rule with the names it points at.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NamedRule {
    pub id: i64,
    /// The runbook's title, or the alert rule's name (the other is None;
    /// both when it is gone).
    pub runbook: Option<String>,
    pub alert: Option<String>,
    /// role, person or channel.
    pub target: String,
    /// The target's name, or "(gone)".
    pub name: String,
    pub escalate_minutes: i64,
}

/// Every rule with its names, in the order they were added.
pub async fn named_rules(conn: &mut SqliteConnection) -> Result<Vec<NamedRule>, sqlx::Error> {
    // Reads `alert_rules` (alerts, a peer), `plans`, `incident_roles` and
    // `people` for the names.
    sqlx::query_as(
        "SELECT r.id, p.title AS runbook, a.name AS alert, r.target, \
           COALESCE(CASE r.target WHEN 'role' THEN (SELECT name FROM incident_roles WHERE id = r.target_id) \
             WHEN 'person' THEN (SELECT name FROM people WHERE id = r.target_id) \
             ELSE (SELECT name FROM channels WHERE id = r.target_id) END, '(gone)') AS name, r.escalate_minutes \
         FROM reach_rules r LEFT JOIN plans p ON p.id = r.runbook_id LEFT JOIN alert_rules a ON a.id = r.alert_rule_id \
         ORDER BY r.id",
    )
    .fetch_all(conn)
    .await
}

/// One option of the routing form: its value ("kind:ID") and label.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// What a rule may be for: every runbook and alert rule, by label.
pub async fn scope_choices(conn: &mut SqliteConnection) -> Result<Vec<Choice>, sqlx::Error> {
    // Reads `alert_rules` (alerts, a peer) and `plans`.
    sqlx::query_as(
        "SELECT 'runbook:' || id AS value, 'Runbook: ' || title AS label FROM plans WHERE kind = 'runbook' \
         UNION ALL SELECT 'alert:' || id, 'Alert rule: ' || name FROM alert_rules ORDER BY 2",
    )
    .fetch_all(conn)
    .await
}

/// Whether a rule's scope and its target exist.
#[derive(Clone, Copy, Debug, sqlx::FromRow)]
pub struct Known {
    pub scope: bool,
    pub target: bool,
}

/// Whether the runbook or alert rule (`scope_kind` "runbook" or else
/// "alert") and the role, person or channel a new rule names exist.
pub async fn known(
    conn: &mut SqliteConnection,
    (scope_kind, scope_id): (&str, i64),
    (target_kind, target_id): (&str, i64),
) -> Result<Known, sqlx::Error> {
    // Reads `alert_rules` (alerts, a peer), `plans`, `incident_roles` and
    // `people`, in one statement with the channels.
    sqlx::query_as(
        "SELECT CASE ?1 WHEN 'runbook' THEN EXISTS (SELECT 1 FROM plans WHERE id = ?2 AND kind = 'runbook') \
                ELSE EXISTS (SELECT 1 FROM alert_rules WHERE id = ?2) END AS scope, \
         CASE ?3 WHEN 'role' THEN EXISTS (SELECT 1 FROM incident_roles WHERE id = ?4) \
                WHEN 'person' THEN EXISTS (SELECT 1 FROM people WHERE id = ?4) \
                ELSE EXISTS (SELECT 1 FROM channels WHERE id = ?4) END AS target",
    )
    .bind(scope_kind)
    .bind(scope_id)
    .bind(target_kind)
    .bind(target_id)
    .fetch_one(conn)
    .await
}

/// How many rules a runbook or alert rule has, and how many there are.
#[derive(Clone, Copy, Debug, sqlx::FromRow)]
pub struct RuleCounts {
    pub each: i64,
    pub total: i64,
}

pub async fn rule_counts(
    conn: &mut SqliteConnection,
    runbook_id: Option<i64>,
    alert_rule_id: Option<i64>,
) -> Result<RuleCounts, sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM reach_rules WHERE runbook_id IS ? AND alert_rule_id IS ?) AS each, \
                (SELECT COUNT(*) FROM reach_rules) AS total",
    )
    .bind(runbook_id)
    .bind(alert_rule_id)
    .fetch_one(conn)
    .await
}

/// A routing rule as it is added.
pub struct NewRule<'a> {
    pub runbook_id: Option<i64>,
    pub alert_rule_id: Option<i64>,
    pub target: &'a str,
    pub target_id: i64,
    pub escalate_minutes: i64,
    pub created_at: DateTime<Utc>,
}

/// Adds a rule; `None` when the same rule exists already.
pub async fn insert_rule(
    tx: &mut SqliteConnection,
    r: &NewRule<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO reach_rules (runbook_id, alert_rule_id, target, target_id, escalate_minutes, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(r.runbook_id)
    .bind(r.alert_rule_id)
    .bind(r.target)
    .bind(r.target_id)
    .bind(r.escalate_minutes)
    .bind(r.created_at)
    .fetch_optional(tx)
    .await
}

/// Deletes a rule; false when there was none.
pub async fn delete_rule(tx: &mut SqliteConnection, id: i64) -> Result<bool, sqlx::Error> {
    let gone = sqlx::query("DELETE FROM reach_rules WHERE id = ?")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(gone.rows_affected() != 0)
}
