//! Plans and their versions in SQLite. Content is stored as JSON, one row
//! per version; the `plans` row carries what lists and search need.
use super::{Indexed, Kind, PlanSummary, VersionInfo};
use crate::engine;
use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Serialize};
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// Who wrote a version: a name to show, and the account if a person did;
/// and when (the app's clock, so tests and drills say when it is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub id: Option<i64>,
    pub at: DateTime<Utc>,
}

impl Author {
    pub fn of(caller: &crate::auth::Caller, at: DateTime<Utc>) -> Self {
        match caller {
            crate::auth::Caller::User { user, .. } => Self {
                name: user.email.clone(),
                id: Some(user.id),
                at,
            },
            // A token writes as the person who created it.
            other => Self {
                name: other.audit_name(),
                id: other.person_id(),
                at,
            },
        }
    }
}

/// One stored version with its plan's bookkeeping.
#[derive(Clone, Debug)]
pub struct Stored<T> {
    pub id: i64,
    pub latest: i64,
    pub approved: Option<i64>,
    pub author_id: Option<i64>,
    pub info: VersionInfo,
    pub content: T,
}

fn to_json<T: Serialize>(content: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(content).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

fn from_json<T: DeserializeOwned>(json: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn wrap_tags(tags: &[String]) -> String {
    format!(" {} ", tags.join(" "))
}

/// Stores a new plan as version 1; `Ok(None)` when the title is taken.
pub async fn create<T: Serialize>(
    conn: &mut SqliteConnection,
    kind: Kind,
    index: &Indexed,
    content: &T,
    author: &Author,
    note: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let inserted: Result<i64, _> = sqlx::query_scalar(
        "INSERT INTO plans (kind, title, tags, label, search, latest, updated_at, updated_by) \
         VALUES (?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(&index.title)
    .bind(wrap_tags(&index.tags))
    .bind(&index.label)
    .bind(&index.search)
    .bind(author.at)
    .bind(&author.name)
    .fetch_one(&mut *conn)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    add_version(conn, id, index, content, author, note).await?;
    Ok(Some(id))
}

/// Stores the next version of a plan and returns its number; `Ok(None)`
/// when a new title is already another plan's.
pub async fn add_version<T: Serialize>(
    conn: &mut SqliteConnection,
    id: i64,
    index: &Indexed,
    content: &T,
    author: &Author,
    note: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let now = author.at;
    let updated: Result<Option<i64>, _> = sqlx::query_scalar(
        "UPDATE plans SET title = ?, tags = ?, label = ?, search = ?, latest = latest + 1, \
         updated_at = ?, updated_by = ? WHERE id = ? RETURNING latest",
    )
    .bind(&index.title)
    .bind(wrap_tags(&index.tags))
    .bind(&index.label)
    .bind(&index.search)
    .bind(now)
    .bind(&author.name)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await;
    let version = match updated {
        Ok(Some(v)) => v,
        Ok(None) => return Err(sqlx::Error::RowNotFound),
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    sqlx::query(
        "INSERT INTO plan_versions (plan_id, version, author, author_id, created_at, note, content) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(version)
    .bind(&author.name)
    .bind(author.id)
    .bind(now)
    .bind(note)
    .bind(to_json(content)?)
    .execute(&mut *conn)
    .await?;
    Ok(Some(version))
}

/// A version row with its plan's bookkeeping, as `get` reads it.
#[derive(sqlx::FromRow)]
struct StoredRow {
    id: i64,
    latest: i64,
    approved: Option<i64>,
    author_id: Option<i64>,
    content: String,
    #[sqlx(flatten)]
    info: VersionInfo,
}

/// A version of a plan of this kind (the latest when `version` is None).
pub async fn get<T: DeserializeOwned>(
    conn: &mut SqliteConnection,
    kind: Kind,
    id: i64,
    version: Option<i64>,
) -> Result<Option<Stored<T>>, sqlx::Error> {
    let row: Option<StoredRow> = sqlx::query_as(
        "SELECT p.id, p.latest, p.approved, v.author_id, v.content, v.version, v.author, \
         v.created_at, v.note, v.approved_by, v.approved_at \
         FROM plans p JOIN plan_versions v ON v.plan_id = p.id \
         WHERE p.id = ? AND p.kind = ? AND v.version = COALESCE(?, p.latest)",
    )
    .bind(id)
    .bind(kind.as_str())
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Stored {
            id: r.id,
            latest: r.latest,
            approved: r.approved,
            author_id: r.author_id,
            info: r.info,
            content: from_json(&r.content)?,
        })
    })
    .transpose()
}

/// Every version of a plan, newest first.
pub async fn history(
    conn: &mut SqliteConnection,
    kind: Kind,
    id: i64,
) -> Result<Vec<VersionInfo>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.version, v.author, v.created_at, v.note, v.approved_by, v.approved_at \
         FROM plan_versions v JOIN plans p ON p.id = v.plan_id \
         WHERE v.plan_id = ? AND p.kind = ? ORDER BY v.version DESC",
    )
    .bind(id)
    .bind(kind.as_str())
    .fetch_all(&mut *conn)
    .await
}

/// `%` and `_` typed into a search box are searched for, not wildcards.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A `plans` row as lists read it; tags as stored (space-separated).
#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    title: String,
    tags: String,
    label: String,
    latest: i64,
    approved: Option<i64>,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

/// Plans of a kind whose title, tags or text contain every word of the
/// query, and that carry the tag if one is given; most recently changed first.
pub async fn list(
    conn: &mut SqliteConnection,
    kind: Kind,
    query: &str,
    tag: &str,
) -> Result<Vec<PlanSummary>, sqlx::Error> {
    let words: Vec<&str> = query.split_whitespace().take(8).collect();
    let mut sql = "SELECT id, title, tags, label, latest, approved, updated_at, updated_by \
                   FROM plans WHERE kind = ?"
        .to_owned();
    for _ in &words {
        sql.push_str(" AND search LIKE ? ESCAPE '\\'");
    }
    if !tag.is_empty() {
        sql.push_str(" AND tags LIKE ? ESCAPE '\\'");
    }
    sql.push_str(" ORDER BY updated_at DESC, id DESC");
    let mut q = sqlx::query_as::<_, SummaryRow>(&sql).bind(kind.as_str());
    for word in &words {
        q = q.bind(like_pattern(word));
    }
    if !tag.is_empty() {
        q = q.bind(like_pattern(&format!(" {} ", tag.trim())));
    }
    Ok(q.fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| PlanSummary {
            id: r.id,
            title: r.title,
            tags: r.tags.split_whitespace().map(str::to_owned).collect(),
            label: r.label,
            latest: r.latest,
            approved: r.approved,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        })
        .collect())
}

/// The plan of a kind with this title (ignoring case), if any.
pub async fn find_by_title(
    conn: &mut SqliteConnection,
    kind: Kind,
    title: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM plans WHERE kind = ? AND title = ?")
        .bind(kind.as_str())
        .bind(title)
        .fetch_optional(conn)
        .await
}

/// The title of a plan of this kind, if it exists.
pub async fn title(
    conn: &mut SqliteConnection,
    kind: Kind,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT title FROM plans WHERE kind = ? AND id = ?")
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(conn)
        .await
}

#[derive(sqlx::FromRow)]
struct IdTitle {
    id: i64,
    title: String,
}

/// Ids and titles of every plan of a kind.
pub async fn titles(
    conn: &mut SqliteConnection,
    kind: Kind,
) -> Result<BTreeMap<i64, String>, sqlx::Error> {
    let rows: Vec<IdTitle> =
        sqlx::query_as("SELECT id, title FROM plans WHERE kind = ? ORDER BY title")
            .bind(kind.as_str())
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.title)).collect())
}

/// An approved notice template: its id, and the title and stage (as
/// stored) of the approved version.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApprovedTemplate {
    pub id: i64,
    pub title: String,
    pub stage: String,
}

/// Every template with an approved version, in no particular order. Title
/// and stage are the approved version's, which is what renders; the latest
/// version may be a draft with other ones.
pub async fn approved_templates(
    conn: &mut SqliteConnection,
) -> Result<Vec<ApprovedTemplate>, sqlx::Error> {
    let title = engine::json_text("v.content", "title");
    let stage = engine::json_text("v.content", "stage");
    sqlx::query_as(&format!(
        "SELECT p.id, {title} AS title, {stage} AS stage \
         FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.approved \
         WHERE p.kind = 'template'"
    ))
    .fetch_all(&mut *conn)
    .await
}

/// Records the approval of a version and puts it in use; false when the
/// version does not exist or was approved already.
pub async fn approve(
    conn: &mut SqliteConnection,
    id: i64,
    version: i64,
    by: &Author,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE plan_versions SET approved_by = ?, approved_by_id = ?, approved_at = ? \
         WHERE plan_id = ? AND version = ? AND approved_at IS NULL",
    )
    .bind(&by.name)
    .bind(by.id)
    .bind(by.at)
    .bind(id)
    .bind(version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 0 {
        return Ok(false);
    }
    // A later approval wins; approving an older version never rolls back.
    sqlx::query("UPDATE plans SET approved = MAX(COALESCE(approved, 0), ?) WHERE id = ?")
        .bind(version)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// The shared draft of a runbook: the version it was started from, its
/// content, and who changed it last and when.
#[derive(Clone, Debug)]
pub struct Draft<T> {
    pub base: i64,
    pub content: T,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A `runbook_drafts` row, content still JSON.
#[derive(sqlx::FromRow)]
struct DraftRow {
    base: i64,
    content: String,
    updated_by: String,
    updated_at: DateTime<Utc>,
}

/// The shared draft of a runbook, if anyone has started one.
pub async fn draft<T: DeserializeOwned>(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<Draft<T>>, sqlx::Error> {
    let row: Option<DraftRow> = sqlx::query_as(
        "SELECT base, content, updated_by, updated_at FROM runbook_drafts WHERE plan_id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Draft {
            base: r.base,
            content: from_json(&r.content)?,
            by: r.updated_by,
            at: r.updated_at,
        })
    })
    .transpose()
}

pub async fn put_draft<T: Serialize>(
    conn: &mut SqliteConnection,
    id: i64,
    base: i64,
    content: &T,
    by: &Author,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO runbook_drafts (plan_id, base, content, updated_by, updated_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (plan_id) DO UPDATE SET content = excluded.content, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(base)
    .bind(to_json(content)?)
    .bind(&by.name)
    .bind(by.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn drop_draft(conn: &mut SqliteConnection, id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM runbook_drafts WHERE plan_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        > 0)
}
