//! Action items in SQLite: one table for drill reports and reviews.
use super::{Item, NewItem, Priority, Status, MAX_PER_SOURCE};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Where an item belongs.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    Run(i64),
    Review(i64),
}

/// Adds an item and its audit record in the caller's transaction: the one
/// way a drill report or a review adds one. Its id.
pub async fn add_recorded(
    conn: &mut SqliteConnection,
    caller: &crate::auth::Caller,
    source: Source,
    item: &NewItem,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let id = add(&mut *conn, source, item, &caller.audit_name(), now).await?;
    let (action, target, reason) = match source {
        Source::Run(run) => (
            "drill.action",
            format!("drill-run:{run}"),
            format!("{} (due {})", item.title, item.due_on),
        ),
        Source::Review(review) => (
            "action.add",
            format!("action:{id}"),
            format!(
                "review {review}: {} (due {}, {})",
                item.title,
                item.due_on,
                item.priority.as_str()
            ),
        ),
    };
    crate::audit::record_change(conn, caller, action, target, reason, now).await?;
    Ok(id)
}

/// Adds an item to a drill or a review, within [`MAX_PER_SOURCE`]. Its id.
pub async fn add(
    conn: &mut SqliteConnection,
    source: Source,
    item: &NewItem,
    author: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let owner = crate::roster::db::person_name(&mut *conn, item.owner)
        .await?
        .ok_or_else(|| AppError::invalid("Owner", "is not in the roster"))?;
    let (run, review) = match source {
        Source::Run(id) => (Some(id), None),
        Source::Review(id) => (None, Some(id)),
    };
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM action_items WHERE run_id IS ? AND review_id IS ?",
    )
    .bind(run)
    .bind(review)
    .fetch_one(&mut *conn)
    .await?;
    if count >= MAX_PER_SOURCE {
        return Err(AppError::invalid(
            "Action",
            format!("one drill or review holds at most {MAX_PER_SOURCE} action items"),
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO action_items (run_id, review_id, title, owner_id, owner, due_on, priority, ticket_url, created_by, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(run)
    .bind(review)
    .bind(&item.title)
    .bind(item.owner)
    .bind(&owner)
    .bind(item.due_on.format("%Y-%m-%d").to_string())
    .bind(item.priority.as_str())
    .bind(&item.ticket_url)
    .bind(author)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// An item as stored, with the title of the drill run or review it came
/// from; priority and status as text, parsed in [`item`].
#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    title: String,
    owner: String,
    due_on: String,
    priority: String,
    status: String,
    ticket_url: String,
    run_id: Option<i64>,
    review_id: Option<i64>,
    from_title: Option<String>,
}

const SELECT: &str = "SELECT a.id, a.title, a.owner, a.due_on, a.priority, a.status, a.ticket_url, a.run_id, a.review_id, \
     COALESCE(r.title, v.title) AS from_title FROM action_items a \
     LEFT JOIN drill_runs r ON r.id = a.run_id LEFT JOIN reviews v ON v.id = a.review_id";

fn item(row: Row, today: &str) -> Result<Item, AppError> {
    let status = Status::parse("Status", &row.status)?;
    let from = row.from_title;
    let (source, link) = match (row.run_id, row.review_id) {
        (Some(run), _) => (
            format!("Drill: {}", from.unwrap_or_default()),
            format!("/drills/runs/{run}/report"),
        ),
        (None, Some(review)) => (from.unwrap_or_default(), format!("/reviews/{review}")),
        (None, None) => (String::new(), "/actions".to_owned()),
    };
    Ok(Item {
        overdue: status.is_open() && row.due_on.as_str() < today,
        id: row.id,
        title: row.title,
        owner: row.owner,
        due_on: row.due_on,
        priority: Priority::parse("Priority", &row.priority)?,
        status,
        ticket_url: row.ticket_url,
        source,
        link,
    })
}

/// Every open item (open or in progress), overdue first, then by due date
/// and priority; at most `limit`.
pub async fn open(
    conn: &mut SqliteConnection,
    today: chrono::NaiveDate,
    limit: i64,
) -> Result<Vec<Item>, AppError> {
    let today = today.format("%Y-%m-%d").to_string();
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE a.status IN ('open', 'in_progress') \
         ORDER BY a.due_on < ? DESC, a.due_on, CASE a.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, a.id LIMIT ?"
    ))
    .bind(&today)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(|r| item(r, &today)).collect()
}

/// The items of one review, in the order they were added.
pub async fn of_review(
    conn: &mut SqliteConnection,
    review: i64,
    today: chrono::NaiveDate,
) -> Result<Vec<Item>, AppError> {
    let today = today.format("%Y-%m-%d").to_string();
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE a.review_id = ? ORDER BY a.id"))
        .bind(review)
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(|r| item(r, &today)).collect()
}

/// Moves an item to a status; its title, for the audit record.
pub async fn set_status(
    conn: &mut SqliteConnection,
    id: i64,
    status: Status,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let title: Option<String> = sqlx::query_scalar(
        "UPDATE action_items SET status = ?, updated_at = ? WHERE id = ? RETURNING title",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    title.ok_or_else(|| AppError::NotFound("That action item".into()))
}

/// An item as a drill's report lists it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RunItem {
    pub id: i64,
    pub title: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
}

/// The items a drill run brought up, by due date.
pub async fn of_run(conn: &mut SqliteConnection, run: i64) -> Result<Vec<RunItem>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, title, owner, due_on FROM action_items WHERE run_id = ? ORDER BY due_on, id",
    )
    .bind(run)
    .fetch_all(conn)
    .await
}
