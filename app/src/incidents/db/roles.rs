//! Who holds which role of an incident, and handing a role on.
use super::record;
use crate::incidents::{EntryKind, RoleHolder};
use crate::timeline::{Data, NewEntry};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

const ROLE_SELECT: &str =
    "SELECT h.role_id, r.name AS role, h.person_id, p.name AS person FROM incident_roles_held h \
     JOIN incident_roles r ON r.id = h.role_id LEFT JOIN people p ON p.id = h.person_id \
     WHERE h.incident_id = ?";

/// Who holds each role of the incident now, in the roster's order.
pub async fn roles(conn: &mut SqliteConnection, id: i64) -> Result<Vec<RoleHolder>, sqlx::Error> {
    sqlx::query_as(&format!("{ROLE_SELECT} ORDER BY r.position, r.name"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
}

/// Who holds one role of the incident now.
pub async fn role(
    conn: &mut SqliteConnection,
    id: i64,
    role_id: i64,
) -> Result<Option<RoleHolder>, sqlx::Error> {
    sqlx::query_as(&format!("{ROLE_SELECT} AND h.role_id = ?"))
        .bind(id)
        .bind(role_id)
        .fetch_optional(&mut *conn)
        .await
}

/// Hands a role to a person (or leaves it empty); false if the incident
/// has no such role.
pub async fn assign_role(
    conn: &mut SqliteConnection,
    id: i64,
    role_id: i64,
    person: Option<(i64, String)>,
    author: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let Some(RoleHolder {
        role,
        person_id: before_id,
        person: before,
        ..
    }) = self::role(conn, id, role_id).await?
    else {
        return Ok(false);
    };
    if before_id == person.as_ref().map(|(p, _)| *p) {
        return Ok(true);
    }
    sqlx::query(
        "UPDATE incident_roles_held SET person_id = ? WHERE incident_id = ? AND role_id = ?",
    )
    .bind(person.as_ref().map(|(p, _)| *p))
    .bind(id)
    .bind(role_id)
    .execute(&mut *conn)
    .await?;
    let text = match (&before, &person) {
        (Some(from), Some((_, to))) => format!("{role}: handed off from {from} to {to}"),
        (None, Some((_, to))) => format!("{role}: {to}"),
        (Some(from), None) => format!("{role}: {from} stood down; nobody holds it"),
        (None, None) => return Ok(true),
    };
    let data = Data::Role {
        role,
        from: before,
        to: person.map(|(_, name)| name),
    };
    let entry = NewEntry::new(EntryKind::RoleAssigned, text, author, at);
    record(conn, id, entry.with_data(data)).await?;
    Ok(true)
}
