//! The roster in SQLite.
use super::{IncidentRole, Person, RoleCover, Roster};
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite, SqliteConnection};

/// A role as the roster page reads it.
#[derive(sqlx::FromRow)]
struct RoleRow {
    id: i64,
    name: String,
    description: String,
    duties: String,
}

/// A person with the email of the account they sign in with, if any.
#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    name: String,
    team: String,
    email: String,
    phone: String,
    chat: String,
    account: Option<String>,
}

/// One place in a role's order of holders.
#[derive(sqlx::FromRow)]
struct HeldRow {
    role_id: i64,
    rank: i64,
    person_id: i64,
}

pub async fn load(conn: &mut SqliteConnection) -> Result<Roster, sqlx::Error> {
    let roles: Vec<RoleRow> = sqlx::query_as(
        "SELECT id, name, description, duties FROM incident_roles ORDER BY position, name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let people: Vec<PersonRow> = sqlx::query_as(
        "SELECT p.id, p.name, p.team, p.email, p.phone, p.chat, u.email AS account \
         FROM people p LEFT JOIN users u ON u.id = p.user_id ORDER BY p.name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let held: Vec<HeldRow> = sqlx::query_as(
        "SELECT role_id, rank, person_id FROM role_assignments ORDER BY role_id, rank",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Roster {
        roles: roles
            .into_iter()
            .map(|r| RoleCover {
                holders: held
                    .iter()
                    .filter(|h| h.role_id == r.id)
                    .map(|h| (h.rank, h.person_id))
                    .collect(),
                role: IncidentRole {
                    id: r.id,
                    name: r.name,
                    description: r.description,
                    duties: r.duties,
                },
            })
            .collect(),
        people: people
            .into_iter()
            .map(|p| Person {
                id: p.id,
                name: p.name,
                team: p.team,
                email: p.email,
                phone: p.phone,
                chat: p.chat,
                account: p.account,
            })
            .collect(),
    })
}

pub async fn holders<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    role_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT person_id FROM role_assignments WHERE role_id = ? ORDER BY rank")
        .bind(role_id)
        .fetch_all(db)
        .await
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
    sqlx::query_scalar("SELECT name FROM incident_roles WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn person_name<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM people WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The id of the person with this name, if any (names are not unique:
/// the first match).
pub async fn person_id<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM people WHERE name = ?")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// The id of the incident role with this name, if any.
pub async fn role_id<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM incident_roles WHERE name = ?")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts (no id) or updates a role; `Ok(None)` when the name is taken.
pub async fn save_role<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: Option<i64>,
    role: &IncidentRole,
    at: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let result: Result<Option<i64>, sqlx::Error> = match id {
        None => sqlx::query_scalar(
            "INSERT INTO incident_roles (name, description, duties, position, updated_at) \
             VALUES (?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM incident_roles), ?) RETURNING id",
        )
        .bind(&role.name)
        .bind(&role.description)
        .bind(&role.duties)
        .bind(at)
        .fetch_optional(db)
        .await,
        Some(id) => sqlx::query_scalar(
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
        Ok(row) => Ok(row),
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
    sqlx::query_scalar(sql)
        .bind(&p.name)
        .bind(&p.team)
        .bind(&p.email)
        .bind(&p.phone)
        .bind(&p.chat)
        .bind(user_id)
        .bind(at)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Every incident role's name by id.
pub async fn role_names(
    conn: &mut SqliteConnection,
) -> Result<std::collections::BTreeMap<i64, String>, sqlx::Error> {
    let rows: Vec<IdName> =
        sqlx::query_as("SELECT id, name FROM incident_roles ORDER BY position, name")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// A person or role: its id and name.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IdName {
    pub id: i64,
    pub name: String,
}

/// Every person's id and name, by name: whom an incident's role may go to.
pub async fn people_names(conn: &mut SqliteConnection) -> Result<Vec<IdName>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM people ORDER BY name")
        .fetch_all(conn)
        .await
}

/// Every incident role's id and name, in the roster's order: what a
/// routing rule may call.
pub async fn roles_in_order(conn: &mut SqliteConnection) -> Result<Vec<IdName>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM incident_roles ORDER BY position, name")
        .fetch_all(conn)
        .await
}

/// How a call reaches a person: their name and email address.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Contact {
    pub name: String,
    pub email: String,
}

/// A person's name and email address, if they are on the roster.
pub async fn contact<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
) -> Result<Option<Contact>, sqlx::Error> {
    sqlx::query_as("SELECT name, email FROM people WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The person on the roster who is this account, if any.
pub async fn person_of_user<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM people WHERE user_id = ?")
        .bind(user)
        .fetch_optional(db)
        .await
}
