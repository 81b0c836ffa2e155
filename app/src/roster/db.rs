//! The roster in SQLite.
use super::{IncidentRole, Person, RoleCover, Roster};
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite, SqliteConnection};

type PersonRow = (i64, String, String, String, String, String, Option<String>);

pub async fn load(conn: &mut SqliteConnection) -> Result<Roster, sqlx::Error> {
    let roles: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, name, description, duties FROM incident_roles ORDER BY position, name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let people: Vec<PersonRow> = sqlx::query_as(
        "SELECT p.id, p.name, p.team, p.email, p.phone, p.chat, u.email \
         FROM people p LEFT JOIN users u ON u.id = p.user_id ORDER BY p.name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let held: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT role_id, rank, person_id FROM role_assignments ORDER BY role_id, rank",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Roster {
        roles: roles
            .into_iter()
            .map(|(id, name, description, duties)| RoleCover {
                holders: held
                    .iter()
                    .filter(|(r, _, _)| *r == id)
                    .map(|(_, rank, p)| (*rank, *p))
                    .collect(),
                role: IncidentRole {
                    id,
                    name,
                    description,
                    duties,
                },
            })
            .collect(),
        people: people
            .into_iter()
            .map(|(id, name, team, email, phone, chat, account)| Person {
                id,
                name,
                team,
                email,
                phone,
                chat,
                account,
            })
            .collect(),
    })
}

pub async fn holders<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    role_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT person_id FROM role_assignments WHERE role_id = ? ORDER BY rank")
            .bind(role_id)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// Replaces a role's holders with this order (first = primary).
pub async fn set_holders(
    conn: &mut SqliteConnection,
    role_id: i64,
    order: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM role_assignments WHERE role_id = ?")
        .bind(role_id)
        .execute(&mut *conn)
        .await?;
    for (rank, person) in order.iter().enumerate() {
        sqlx::query("INSERT INTO role_assignments (role_id, person_id, rank) VALUES (?, ?, ?)")
            .bind(role_id)
            .bind(person)
            .bind(i64::try_from(rank).unwrap_or(i64::MAX))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn role_name<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM incident_roles WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|(n,)| n))
}

pub async fn person_name<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM people WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|(n,)| n))
}

/// Inserts (no id) or updates a role; `Ok(None)` when the name is taken.
pub async fn save_role<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: Option<i64>,
    role: &IncidentRole,
    at: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let result: Result<Option<(i64,)>, sqlx::Error> = match id {
        None => sqlx::query_as(
            "INSERT INTO incident_roles (name, description, duties, position, updated_at) \
             VALUES (?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM incident_roles), ?) RETURNING id",
        )
        .bind(&role.name)
        .bind(&role.description)
        .bind(&role.duties)
        .bind(at)
        .fetch_optional(db)
        .await,
        Some(id) => sqlx::query_as(
            "UPDATE incident_roles SET name = ?, description = ?, duties = ?, updated_at = ? WHERE id = ? RETURNING id",
        )
        .bind(&role.name)
        .bind(&role.description)
        .bind(&role.duties)
        .bind(at)
        .bind(id)
        .fetch_optional(db)
        .await,
    };
    match result {
        Ok(row) => Ok(row.map(|(id,)| id)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Inserts (no id) or updates a person; returns the id, or `None` if the
/// id does not exist.
pub async fn save_person<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: Option<i64>,
    p: &Person,
    user_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = if id.is_some() {
        "UPDATE people SET name = ?1, team = ?2, email = ?3, phone = ?4, chat = ?5, user_id = ?6, updated_at = ?7 \
         WHERE id = ?8 RETURNING id"
    } else {
        "INSERT INTO people (name, team, email, phone, chat, user_id, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE ?8 IS NULL RETURNING id"
    };
    let row: Option<(i64,)> = sqlx::query_as(sql)
        .bind(&p.name)
        .bind(&p.team)
        .bind(&p.email)
        .bind(&p.phone)
        .bind(&p.chat)
        .bind(user_id)
        .bind(at)
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|(id,)| id))
}

/// Every incident role's name by id.
pub async fn role_names(
    conn: &mut SqliteConnection,
) -> Result<std::collections::BTreeMap<i64, String>, sqlx::Error> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM incident_roles ORDER BY position, name")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}
