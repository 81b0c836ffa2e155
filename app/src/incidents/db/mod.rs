//! Incidents in SQLite. Every change writes its timeline entry and bumps
//! the incident's revision in the same transaction as the change itself.
use super::{ChecklistItem, EntryKind, Incident, IncidentView, Status};
use crate::engine::{self, IN_ID_LIST};
use crate::runbooks::{Phase, Runbook, Severity};
use crate::timeline::{self, Data, NewEntry, Subject};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

mod by_runbook;
mod notices;
mod roles;
pub use by_runbook::*;
pub use notices::*;
pub use roles::*;

pub(super) fn bad_value(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} '{value}' in the database").into())
}

/// What a new incident starts with.
pub struct Declaration<'a> {
    pub title: &'a str,
    pub severity: Severity,
    pub impact: &'a str,
    /// The runbook, its version, and that version's content.
    pub runbook: Option<(i64, i64, &'a Runbook)>,
    pub author: &'a str,
    pub at: DateTime<Utc>,
    /// A drill incident: its run, its virtual clock, and who plays each
    /// role (instead of the roster's holders).
    pub drill: Option<Drill<'a>>,
}

/// What makes an incident a drill.
pub struct Drill<'a> {
    pub run: i64,
    pub clock: &'a crate::clock::VirtualClock,
    /// (role id, person id)
    pub players: &'a [(i64, i64)],
}

fn clock_json(clock: &crate::clock::VirtualClock) -> Result<String, sqlx::Error> {
    serde_json::to_string(clock).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Moves a drill incident's clock (paused, resumed, sped up); the run
/// records why in its own timeline.
pub async fn set_clock(
    conn: &mut SqliteConnection,
    id: i64,
    clock: &crate::clock::VirtualClock,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE incidents SET clock = ?, revision = revision + 1 WHERE id = ? AND clock IS NOT NULL")
        .bind(clock_json(clock)?)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Creates the incident, its checklist from the pinned runbook version and
/// its roles from the roster (primary, else the first backup).
pub async fn declare(conn: &mut SqliteConnection, d: &Declaration<'_>) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incidents (title, severity, impact, runbook_id, runbook_version, declared_at, declared_by, \
         drill_run_id, clock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(d.title)
    .bind(d.severity.as_str())
    .bind(d.impact)
    .bind(d.runbook.map(|(id, _, _)| id))
    .bind(d.runbook.map(|(_, v, _)| v))
    .bind(d.at)
    .bind(d.author)
    .bind(d.drill.as_ref().map(|drill| drill.run))
    .bind(d.drill.as_ref().map(|drill| clock_json(drill.clock)).transpose()?)
    .fetch_one(&mut *conn)
    .await?;
    let from = match d.runbook {
        Some((_, version, book)) => format!(" from the runbook {} (version {version})", book.title),
        None => String::new(),
    };
    let drill = if d.drill.is_some() { "DRILL: " } else { "" };
    let text = format!("{drill}Declared {}: {}{from}", d.severity.label(), d.title);
    record(
        conn,
        id,
        NewEntry::new(EntryKind::Declared, text, d.author, d.at),
    )
    .await?;
    let roles = crate::roster::db::role_names(&mut *conn).await?;
    if let Some((_, _, book)) = d.runbook {
        for (position, step) in book.steps.iter().enumerate() {
            sqlx::query(
                "INSERT INTO incident_checklist (incident_id, step_id, position, phase, role, target_minutes, text) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(step.id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(step.phase.as_str())
            .bind(roles.get(&step.role_id).cloned().unwrap_or_default())
            .bind(step.target_minutes)
            .bind(&step.text)
            .execute(&mut *conn)
            .await?;
        }
    }
    for (role_id, role) in &roles {
        let person = match &d.drill {
            Some(drill) => drill
                .players
                .iter()
                .find(|(role, _)| role == role_id)
                .map(|(_, person)| *person),
            None => crate::roster::db::holders(&mut *conn, *role_id)
                .await?
                .first()
                .copied(),
        };
        sqlx::query(
            "INSERT INTO incident_roles_held (incident_id, role_id, person_id) VALUES (?, ?, ?)",
        )
        .bind(id)
        .bind(role_id)
        .bind(person)
        .execute(&mut *conn)
        .await?;
        if let Some(person) = person {
            let name = crate::roster::db::person_name(&mut *conn, person)
                .await?
                .unwrap_or_default();
            let from = if d.drill.is_some() {
                "the drill's players"
            } else {
                "the roster"
            };
            let text = format!("{role}: {name} (from {from})");
            let data = Data::Role {
                role: role.clone(),
                from: None,
                to: Some(name),
            };
            let entry = NewEntry::new(EntryKind::RoleAssigned, text, d.author, d.at);
            record(conn, id, entry.with_data(data)).await?;
        }
    }
    Ok(id)
}

/// Appends to the incident's timeline (which moves its revision on).
pub(super) async fn record(
    conn: &mut SqliteConnection,
    id: i64,
    entry: NewEntry,
) -> Result<timeline::db::Appended, sqlx::Error> {
    timeline::db::append(conn, Subject::Incident(id), entry).await
}

/// An incident as stored, with its runbook's title; severity, status and
/// clock as text, parsed in [`incident`].
#[derive(sqlx::FromRow)]
struct IncidentRow {
    id: i64,
    title: String,
    severity: String,
    status: String,
    impact: String,
    runbook_id: Option<i64>,
    runbook_version: Option<i64>,
    runbook_title: Option<String>,
    declared_at: DateTime<Utc>,
    declared_by: String,
    resolved_at: Option<DateTime<Utc>>,
    next_update_at: Option<DateTime<Utc>>,
    revision: i64,
    drill_run_id: Option<i64>,
    clock: Option<String>,
}

const INCIDENT_COLUMNS: &str =
    "i.id, i.title, i.severity, i.status, i.impact, i.runbook_id, i.runbook_version, p.title AS runbook_title, \
     i.declared_at, i.declared_by, i.resolved_at, i.next_update_at, i.revision, i.drill_run_id, i.clock";

fn incident(row: IncidentRow) -> Result<Incident, sqlx::Error> {
    let (severity, status) = (row.severity, row.status);
    Ok(Incident {
        id: row.id,
        title: row.title,
        severity: Severity::parse("severity", &severity)
            .map_err(|_| bad_value("severity", &severity))?,
        status: Status::parse("status", &status).map_err(|_| bad_value("status", &status))?,
        impact: row.impact,
        runbook: match (row.runbook_id, row.runbook_version, row.runbook_title) {
            (Some(id), Some(v), Some(t)) => Some((id, v, t)),
            _ => None,
        },
        declared_at: row.declared_at,
        declared_by: row.declared_by,
        resolved_at: row.resolved_at,
        next_update_at: row.next_update_at,
        revision: row.revision,
        drill_run: row.drill_run_id,
        clock: row
            .clock
            .map(|c| serde_json::from_str(&c))
            .transpose()
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
    })
}

pub async fn get(conn: &mut SqliteConnection, id: i64) -> Result<Option<Incident>, sqlx::Error> {
    let row: Option<IncidentRow> = sqlx::query_as(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents i LEFT JOIN plans p ON p.id = i.runbook_id WHERE i.id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(incident).transpose()
}

/// A checklist step as stored; phase as text, parsed in [`item`].
#[derive(sqlx::FromRow)]
struct ItemRow {
    step_id: i64,
    phase: String,
    role: String,
    target_minutes: Option<i64>,
    text: String,
    done_at: Option<DateTime<Utc>>,
    done_by: Option<String>,
}

const ITEM_COLUMNS: &str = "step_id, phase, role, target_minutes, text, done_at, done_by";

fn item(row: ItemRow) -> Result<ChecklistItem, sqlx::Error> {
    let phase = row.phase;
    Ok(ChecklistItem {
        step_id: u32::try_from(row.step_id).unwrap_or_default(),
        phase: Phase::parse("phase", &phase).map_err(|_| bad_value("phase", &phase))?,
        role: row.role,
        target_minutes: row.target_minutes.and_then(|t| u32::try_from(t).ok()),
        html: crate::ui::safe_html(&row.text),
        text: row.text,
        done_at: row.done_at,
        done_by: row.done_by,
    })
}

/// One checklist step as it now is.
pub async fn step(
    conn: &mut SqliteConnection,
    id: i64,
    step_id: u32,
) -> Result<Option<ChecklistItem>, sqlx::Error> {
    let row: Option<ItemRow> = sqlx::query_as(&format!(
        "SELECT {ITEM_COLUMNS} FROM incident_checklist WHERE incident_id = ? AND step_id = ?"
    ))
    .bind(id)
    .bind(step_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(item).transpose()
}

/// The incident page's data, with the newest page of the timeline, or the
/// page of entries written before entry `before`.
pub async fn load(
    conn: &mut SqliteConnection,
    id: i64,
    now: DateTime<Utc>,
    before: Option<i64>,
) -> Result<Option<IncidentView>, sqlx::Error> {
    let Some(incident) = get(conn, id).await? else {
        return Ok(None);
    };
    let roles = roles(conn, id).await?;
    let items: Vec<ItemRow> = sqlx::query_as(&format!(
        "SELECT {ITEM_COLUMNS} FROM incident_checklist WHERE incident_id = ? ORDER BY position"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let people = crate::roster::db::people_names(&mut *conn).await?;
    let subject = Subject::Incident(id);
    let page = i64::try_from(super::PAGE).unwrap_or(i64::MAX);
    let mut entries = timeline::db::before(conn, subject, before, page + 1).await?;
    let earlier = if entries.len() > super::PAGE {
        entries.truncate(super::PAGE);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    entries.reverse();
    Ok(Some(IncidentView {
        roles,
        checklist: items.into_iter().map(item).collect::<Result<_, _>>()?,
        timeline: entries,
        earlier,
        marks: timeline::db::of_kinds(conn, subject, &super::MARK_KINDS).await?,
        people: people.into_iter().map(|p| (p.id, p.name)).collect(),
        notices: notices(conn, id).await?,
        templates: usable_templates(conn).await?,
        now: incident.now(now),
        real_now: now,
        failed_deliveries: crate::reach::db::failed_for_incident(conn, id).await?,
        incident,
    }))
}

/// Sets the status; resolving records the time, reopening clears it.
pub async fn set_status(
    conn: &mut SqliteConnection,
    id: i64,
    status: Status,
    author: &str,
    at: DateTime<Utc>,
) -> Result<Option<Status>, sqlx::Error> {
    let Some(current) = get(conn, id).await? else {
        return Ok(None);
    };
    if current.status == status {
        return Ok(Some(status));
    }
    sqlx::query("UPDATE incidents SET status = ?, resolved_at = CASE WHEN ? = 'resolved' THEN ? ELSE NULL END, \
         next_update_at = CASE WHEN ? = 'resolved' THEN NULL ELSE next_update_at END WHERE id = ?")
        .bind(status.as_str())
        .bind(status.as_str())
        .bind(at)
        .bind(status.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let text = match (current.status, status) {
        (Status::Resolved, s) => format!("Reopened: {}", s.title()),
        (_, Status::Resolved) => "Resolved".to_owned(),
        (from, to) => format!("{} → {}", from.title(), to.title()),
    };
    let data = Data::Status {
        from: current.status.as_str().to_owned(),
        to: status.as_str().to_owned(),
    };
    let entry = NewEntry::new(EntryKind::StatusChange, text, author, at);
    record(conn, id, entry.with_data(data)).await?;
    if status == Status::Resolved {
        // Resolving ends every call it started: no escalation pages anyone
        // about an incident that is over.
        let closed = crate::reach::db::close_calls(conn, id).await?;
        if closed > 0 {
            let text = format!(
                "Resolved: {closed} open call{} closed; nobody more is called.",
                if closed == 1 { "" } else { "s" }
            );
            crate::reach::route::note(conn, id, text, at).await?;
        }
    }
    Ok(Some(current.status))
}

pub async fn set_severity(
    conn: &mut SqliteConnection,
    id: i64,
    severity: Severity,
    author: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let Some(current) = get(conn, id).await? else {
        return Ok(false);
    };
    if current.severity != severity {
        sqlx::query("UPDATE incidents SET severity = ? WHERE id = ?")
            .bind(severity.as_str())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let text = format!("{} → {}", current.severity.label(), severity.label());
        record(
            conn,
            id,
            NewEntry::new(EntryKind::SeverityChange, text, author, at),
        )
        .await?;
    }
    Ok(true)
}

/// Marks a step done or not done. Only a real change is recorded, so two
/// people ticking the same step at once make one entry, not two.
pub async fn tick(
    conn: &mut SqliteConnection,
    id: i64,
    step: u32,
    done: bool,
    author: &str,
    at: DateTime<Utc>,
) -> Result<Option<bool>, sqlx::Error> {
    let changed = if done {
        sqlx::query("UPDATE incident_checklist SET done_at = ?, done_by = ? WHERE incident_id = ? AND step_id = ? AND done_at IS NULL")
            .bind(at)
            .bind(author)
    } else {
        sqlx::query("UPDATE incident_checklist SET done_at = NULL, done_by = NULL WHERE incident_id = ? AND step_id = ? AND done_at IS NOT NULL")
    }
    .bind(id)
    .bind(step)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let text: Option<String> = sqlx::query_scalar(
        "SELECT text FROM incident_checklist WHERE incident_id = ? AND step_id = ?",
    )
    .bind(id)
    .bind(step)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(text) = text else {
        return Ok(None);
    };
    if changed > 0 {
        let first_line = super::step_title(&text);
        let kind = if done {
            EntryKind::StepDone
        } else {
            EntryKind::StepUndone
        };
        let entry = NewEntry::new(kind, first_line, author, at).with_data(Data::Step { step });
        record(conn, id, entry).await?;
    }
    Ok(Some(changed > 0))
}

/// One line of the incidents list.
#[derive(Clone, Debug)]
pub struct Listed {
    pub incident: Incident,
    pub commander: Option<String>,
}

/// Incidents not resolved, newest first, by number and title.
pub async fn open_titles(
    conn: &mut SqliteConnection,
    limit: i64,
) -> Result<Vec<super::IncidentTitle>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, title FROM incidents WHERE status <> 'resolved' ORDER BY declared_at DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// When an incident ran and what its runbook is about: where its
/// evidence is looked for.
#[derive(sqlx::FromRow)]
pub struct EvidenceWindow {
    pub title: String,
    pub declared_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The runbook's tags, as stored (space-separated).
    pub tags: Option<String>,
}

pub async fn evidence_window(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<EvidenceWindow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.title, i.declared_at, i.resolved_at, p.tags FROM incidents i \
         LEFT JOIN plans p ON p.id = i.runbook_id WHERE i.id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// Who commands an incident (the person's name).
#[derive(sqlx::FromRow)]
struct Commander {
    incident_id: i64,
    name: String,
}

/// Open incidents first (newest first), then resolved ones, newest first.
pub async fn list(
    conn: &mut SqliteConnection,
    status: Option<Status>,
    severity: Option<Severity>,
    runbook: Option<i64>,
    limit: i64,
) -> Result<Vec<Listed>, sqlx::Error> {
    let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents i LEFT JOIN plans p ON p.id = i.runbook_id \
         WHERE i.drill_run_id IS NULL AND (?1 IS NULL OR i.status = ?1) AND (?2 IS NULL OR i.severity = ?2) AND (?3 IS NULL OR i.runbook_id = ?3) \
         ORDER BY i.status = 'resolved', i.declared_at DESC LIMIT ?4"
    ))
    .bind(status.map(Status::as_str))
    .bind(severity.map(Severity::as_str))
    .bind(runbook)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let incidents = rows
        .into_iter()
        .map(incident)
        .collect::<Result<Vec<_>, _>>()?;
    // Every listed incident's commander in one query.
    let ids = engine::id_list(&incidents.iter().map(|i| i.id).collect::<Vec<_>>());
    let commanders: Vec<Commander> = sqlx::query_as(&format!(
        "SELECT h.incident_id, p.name FROM incident_roles_held h \
         JOIN incident_roles r ON r.id = h.role_id JOIN people p ON p.id = h.person_id \
         WHERE r.name = ? AND h.incident_id {IN_ID_LIST}"
    ))
    .bind(crate::timeline::COMMANDER)
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let commanders: std::collections::HashMap<i64, String> = commanders
        .into_iter()
        .map(|c| (c.incident_id, c.name))
        .collect();
    Ok(incidents
        .into_iter()
        .map(|incident| Listed {
            commander: commanders.get(&incident.id).cloned(),
            incident,
        })
        .collect())
}

/// What a rendered copy of the incident's page depends on beyond the
/// viewer's role: its revision, and whether any notice awaits approval
/// (only then does the page differ by who looks: nobody may approve their
/// own draft).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PageKey {
    pub revision: i64,
    pub awaiting: bool,
}

/// The incident page's [`PageKey`]; `None` when there is no such incident.
pub async fn page_key(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<PageKey>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.revision, EXISTS (SELECT 1 FROM incident_notices n \
         WHERE n.incident_id = i.id AND n.approved_at IS NULL) AS awaiting \
         FROM incidents i WHERE i.id = ?",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// An incident found by its title: its id and when it was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Titled {
    pub id: i64,
    pub declared_at: DateTime<Utc>,
}

/// An incident with this title, if any (titles are not unique: the demo
/// finds the incident it declared).
pub async fn titled<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    title: &str,
) -> Result<Option<Titled>, sqlx::Error> {
    sqlx::query_as("SELECT id, declared_at FROM incidents WHERE title = ?")
        .bind(title)
        .fetch_optional(db)
        .await
}
