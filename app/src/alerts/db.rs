//! Rules and alerts in SQLite. Arriving events are observed inside the
//! transaction that stores them, so an alert's count never misses or
//! double-counts an event; a sweep resolves alerts gone quiet.
use super::{
    rule::{items, Rule, Seen},
    AlertDetail, AlertView, RuleInput, RuleView, GROUP_FIELDS, MAX_SAMPLES,
};
use crate::{
    audit::{self, NewEntry},
    error::AppError,
    events::{db::outcome, record::NewEvent, SOURCES},
    runbooks::Severity,
};
use chrono::{DateTime, Duration, Utc};
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// A rule as a form or the demo data gives it, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRule {
    pub name: String,
    pub sources: String,
    pub actions: String,
    pub words: String,
    pub outcome: String,
    pub environment: String,
    pub threshold: i64,
    pub window_minutes: i64,
    pub group_by: String,
    pub quiet_minutes: i64,
    pub severity: Severity,
    pub runbook_id: Option<i64>,
}

fn number(field: &str, raw: &str, default: i64, max: i64) -> Result<i64, AppError> {
    match raw.trim() {
        "" => Ok(default),
        n => n
            .parse()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| AppError::invalid(field, format!("a whole number from 1 to {max}"))),
    }
}

impl NewRule {
    pub fn check(f: &RuleInput) -> Result<Self, AppError> {
        let invalid = |(field, message): (String, String)| AppError::invalid(field, message);
        let name = crate::fields::text_field("Name", &f.name, true, 80)?;
        let sources = items("Sources", &f.sources).map_err(invalid)?;
        if let Some(bad) = sources.iter().find(|s| !SOURCES.contains(&s.as_str())) {
            return Err(AppError::invalid(
                "Sources",
                format!(
                    "'{}' is not a source ({})",
                    crate::fields::shown(bad),
                    SOURCES.join(", ")
                ),
            ));
        }
        let actions = items("Actions", &f.actions).map_err(invalid)?;
        let words = items("Words", &f.words).map_err(invalid)?;
        let outcome = f.outcome.trim();
        if !["", "success", "failure", "unknown"].contains(&outcome) {
            return Err(AppError::invalid(
                "Outcome",
                "success, failure, unknown or empty for any",
            ));
        }
        let group_by = items("Group by", &f.group_by).map_err(invalid)?;
        if let Some(bad) = group_by
            .iter()
            .find(|g| !GROUP_FIELDS.contains(&g.as_str()))
        {
            return Err(AppError::invalid(
                "Group by",
                format!(
                    "'{}' is not one of {}",
                    crate::fields::shown(bad),
                    GROUP_FIELDS.join(", ")
                ),
            ));
        }
        Ok(Self {
            name,
            sources: sources.join(" "),
            actions: actions.join(" "),
            words: words.join(" ").to_lowercase(),
            outcome: outcome.to_owned(),
            environment: crate::fields::text_field("Environment", &f.environment, false, 40)?,
            threshold: number("Threshold", &f.threshold, 1, 100_000)?,
            window_minutes: number("Window", &f.window_minutes, 10, 10_080)?,
            group_by: group_by.join(" "),
            quiet_minutes: number("Quiet period", &f.quiet_minutes, 30, 10_080)?,
            severity: Severity::parse("Severity", &f.severity)?,
            runbook_id: crate::fields::optional_id("Runbook", &f.runbook)?,
        })
    }
}

pub async fn add_rule(
    tx: &mut SqliteConnection,
    r: &NewRule,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM alert_rules WHERE name = ?")
        .bind(&r.name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(AppError::Conflict(format!(
            "There is a rule named {} already.",
            r.name
        )));
    }
    if let Some(id) = r.runbook_id {
        let found = crate::plans::db::title(&mut *tx, crate::plans::Kind::Runbook, id).await?;
        if found.is_none() {
            return Err(AppError::invalid("Runbook", "no such runbook"));
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alert_rules (name, sources, actions, words, outcome, environment, threshold, window_minutes, \
         group_by, quiet_minutes, severity, runbook_id, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&r.name)
    .bind(&r.sources)
    .bind(&r.actions)
    .bind(&r.words)
    .bind(&r.outcome)
    .bind(&r.environment)
    .bind(r.threshold)
    .bind(r.window_minutes)
    .bind(&r.group_by)
    .bind(r.quiet_minutes)
    .bind(r.severity.as_str())
    .bind(r.runbook_id)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    Ok(id)
}

pub async fn set_enabled(
    tx: &mut SqliteConnection,
    id: i64,
    enabled: bool,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("UPDATE alert_rules SET enabled = ? WHERE id = ? RETURNING name")
        .bind(enabled)
        .bind(id)
        .fetch_optional(tx)
        .await
}

const RULE_COLUMNS: &str =
    "id, name, sources, actions, words, outcome, environment, threshold, window_minutes, \
                            group_by, quiet_minutes, severity, runbook_id, enabled";

pub async fn rules(conn: &mut SqliteConnection) -> Result<Vec<RuleView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM alert_rules ORDER BY name"
    ))
    .fetch_all(conn)
    .await
}

fn parsed(v: &RuleView) -> Rule {
    let split = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    Rule {
        id: v.id,
        sources: split(&v.sources),
        actions: split(&v.actions),
        words: split(&v.words),
        outcome: v.outcome.clone(),
        environment: v.environment.clone(),
        group_by: split(&v.group_by),
        threshold: v.threshold,
        window_minutes: v.window_minutes,
    }
}

/// The rules in force, ready to match.
pub async fn active_rules(conn: &mut SqliteConnection) -> Result<Vec<Rule>, sqlx::Error> {
    let all: Vec<RuleView> = sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM alert_rules WHERE enabled = 1 ORDER BY id"
    ))
    .fetch_all(conn)
    .await?;
    Ok(all.iter().map(parsed).collect())
}

fn seen(e: &NewEvent) -> Seen<'_> {
    Seen {
        source: e.source.as_str(),
        action: &e.action,
        target: &e.target,
        actor: &e.actor,
        outcome: outcome(e.outcome),
        environment: e.environment.as_deref(),
        summary: &e.summary,
        payload: &e.payload,
    }
}

/// A group's alert not yet resolved, as an arriving event counts into it.
#[derive(sqlx::FromRow)]
struct Active {
    id: i64,
    state: String,
    count: i64,
    first_seen: DateTime<Utc>,
}

/// Counts newly stored events into their rules' alerts, inside the
/// transaction that stored them. The alerts that opened.
pub async fn observe(
    tx: &mut SqliteConnection,
    rules: &[Rule],
    events: &[(i64, &NewEvent)],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    // Events by (rule, group), so a flood costs one update per group.
    let mut groups: BTreeMap<(usize, String), Vec<i64>> = BTreeMap::new();
    for (id, event) in events {
        let e = seen(event);
        for (i, rule) in rules.iter().enumerate() {
            if rule.matches(&e) {
                groups.entry((i, rule.group_key(&e))).or_default().push(*id);
            }
        }
    }
    let mut opened = Vec::new();
    for ((i, key), ids) in groups {
        let rule = &rules[i];
        let active: Option<Active> = sqlx::query_as(
            "SELECT id, state, count, first_seen FROM alerts WHERE rule_id = ? AND group_key = ? AND state != 'resolved'",
        )
        .bind(rule.id)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        let window = Duration::minutes(rule.window_minutes);
        let added = ids.len() as i64;
        let (alert, count, was_open) = match active {
            // A pending group whose window has passed starts counting anew.
            Some(Active {
                id,
                state,
                first_seen,
                ..
            }) if state == "pending" && first_seen < now - window => {
                sqlx::query("DELETE FROM alert_events WHERE alert_id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE alerts SET count = ?, first_seen = ?, last_seen = ? WHERE id = ?",
                )
                .bind(added)
                .bind(now)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                (id, added, false)
            }
            Some(Active {
                id, state, count, ..
            }) => {
                sqlx::query("UPDATE alerts SET count = count + ?, last_seen = ? WHERE id = ?")
                    .bind(added)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                (id, count + added, state == "open")
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO alerts (rule_id, group_key, state, count, first_seen, last_seen) \
                     VALUES (?, ?, 'pending', ?, ?, ?) RETURNING id",
                )
                .bind(rule.id)
                .bind(&key)
                .bind(added)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                (id, added, false)
            }
        };
        let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM alert_events WHERE alert_id = ?")
            .bind(alert)
            .fetch_one(&mut *tx)
            .await?;
        for id in ids.iter().take((MAX_SAMPLES - kept).max(0) as usize) {
            sqlx::query("INSERT INTO alert_events (alert_id, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
                .bind(alert)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if !was_open && count >= rule.threshold {
            sqlx::query("UPDATE alerts SET state = 'open', opened_at = ? WHERE id = ?")
                .bind(now)
                .bind(alert)
                .execute(&mut *tx)
                .await?;
            let entry = NewEntry::new(
                "muster",
                "alert.open",
                format!("alert:{alert}"),
                audit::Outcome::Allowed,
                now,
            )
            .because(format!("{count} events of rule {} ({key})", rule.id));
            audit::db::record(&mut *tx, entry, "").await?;
            opened.push(alert);
        }
    }
    Ok(opened)
}

/// An alert not yet resolved with its rule's periods, as the sweep reads it.
#[derive(sqlx::FromRow)]
struct Sweeping {
    id: i64,
    state: String,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    quiet_minutes: i64,
    window_minutes: i64,
}

/// Resolves open alerts with no event for their quiet period, and lets
/// pending ones whose window passed go. How many resolved.
pub async fn sweep(write: &sqlx::SqlitePool, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let mut tx = write.begin().await?;
    let active: Vec<Sweeping> = sqlx::query_as(
        "SELECT a.id, a.state, a.first_seen, a.last_seen, r.quiet_minutes, r.window_minutes \
         FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.state != 'resolved'",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut resolved = 0;
    for Sweeping {
        id,
        state,
        first_seen,
        last_seen,
        quiet_minutes: quiet,
        window_minutes: window,
    } in active
    {
        if state == "open" && last_seen < now - Duration::minutes(quiet) {
            sqlx::query("UPDATE alerts SET state = 'resolved', resolved_at = ? WHERE id = ?")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let entry = NewEntry::new(
                "muster",
                "alert.resolve",
                format!("alert:{id}"),
                audit::Outcome::Allowed,
                now,
            )
            .because(format!("no new event for {quiet} minute(s)"));
            audit::db::record(&mut tx, entry, "").await?;
            resolved += 1;
        } else if state == "pending" && first_seen < now - Duration::minutes(window) {
            sqlx::query("DELETE FROM alert_events WHERE alert_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM alerts WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(resolved)
}

const ALERT_COLUMNS: &str =
    "a.id, a.rule_id, r.name AS rule, r.severity, a.group_key, a.state, a.count, \
                             a.first_seen, a.last_seen, a.opened_at, a.resolved_at, a.incident_id";

/// Open alerts, then the latest resolved (pending ones are not alerts yet).
pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<AlertView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a JOIN alert_rules r ON r.id = a.rule_id \
         WHERE a.state != 'pending' ORDER BY a.state = 'resolved', a.last_seen DESC LIMIT 100"
    ))
    .fetch_all(conn)
    .await
}

/// Marks the alert as declared as `incident`.
pub async fn declared_as(
    conn: &mut SqliteConnection,
    id: i64,
    incident: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE alerts SET incident_id = ? WHERE id = ?")
        .bind(incident)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn detail(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<AlertDetail>, sqlx::Error> {
    let alert: Option<AlertView> = sqlx::query_as(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(alert) = alert else {
        return Ok(None);
    };
    let rule: RuleView = sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM alert_rules WHERE id = ?"
    ))
    .bind(alert.rule_id)
    .fetch_one(&mut *conn)
    .await?;
    // The events domain's row, read from this domain's own table.
    let samples = sqlx::query_as(&format!(
        "SELECT {} FROM alert_events a JOIN events e ON e.id = a.event_id \
         WHERE a.alert_id = ? ORDER BY e.occurred_at, e.id",
        crate::events::db::reads::ROW_COLUMNS
    ))
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(Some(AlertDetail {
        alert,
        rule,
        samples,
    }))
}

/// The rules a new team starts from (the demo data adds them): a spike of
/// payment failures, automations refused for their credentials, and keys
/// made or removed or logging stopped. Each: name, sources, actions,
/// words, outcome, threshold, window, grouping, quiet period, severity,
/// and the title of its runbook.
const DEMO_RULES: [[&str; 11]; 3] = [
    [
        "Payment failures spike",
        "stripe",
        "charge.failed invoice.payment_failed",
        "",
        "",
        "5",
        "10",
        "action",
        "30",
        "sev2",
        "Payment provider outage",
    ],
    [
        "Automation auth errors",
        "zapier pipedream webhook",
        "",
        "401 403 unauthorized forbidden",
        "failure",
        "3",
        "15",
        "source actor",
        "60",
        "sev2",
        "Leaked API key in an automation",
    ],
    [
        "Key created, deleted or logging stopped",
        "github cloudtrail",
        "*key.create *key.created *key.delete *key.deleted *key.destroy *token.create CreateAccessKey DeleteAccessKey StopLogging DeleteTrail",
        "",
        "",
        "1",
        "60",
        "action actor",
        "120",
        "sev1",
        "Leaked API key in an automation",
    ],
];

/// Adds the demo rules, each with its runbook when there is one by that
/// title.
pub async fn add_demo_rules(
    tx: &mut SqliteConnection,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for [name, sources, actions, words, outcome, threshold, window, group_by, quiet, severity, runbook] in
        DEMO_RULES
    {
        let mut rule = NewRule::check(&RuleInput {
            name: name.into(),
            sources: sources.into(),
            actions: actions.into(),
            words: words.into(),
            outcome: outcome.into(),
            environment: String::new(),
            threshold: threshold.into(),
            window_minutes: window.into(),
            group_by: group_by.into(),
            quiet_minutes: quiet.into(),
            severity: severity.into(),
            runbook: String::new(),
        })?;
        rule.runbook_id =
            crate::plans::db::find_by_title(&mut *tx, crate::plans::Kind::Runbook, runbook).await?;
        add_rule(tx, &rule, by, now).await?;
    }
    Ok(())
}
