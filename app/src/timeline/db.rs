//! Timelines in SQLite. The table refuses UPDATE and DELETE (triggers in
//! the migrations); appending moves the subject's revision in the same
//! transaction, so a live page that sees the revision sees the entry.
use super::{Data, Entry, Kind, NewEntry, Subject, OWN_SOURCE};
use crate::engine::{self, IN_ID_LIST};
use crate::error::AppError;
use sqlx::{sqlite::SqliteRow, FromRow, Row, SqliteConnection};

const COLUMNS: &str = "id, at, happened_at, author, kind, source, text, corrects, data";

impl<'r> FromRow<'r, SqliteRow> for Entry {
    fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
        let kind: String = row.try_get("kind")?;
        let data: Option<String> = row.try_get("data")?;
        Ok(Self {
            id: row.try_get("id")?,
            at: row.try_get("at")?,
            happened_at: row.try_get("happened_at")?,
            author: row.try_get("author")?,
            kind: Kind::parse(&kind).ok_or_else(|| {
                sqlx::Error::Decode(format!("unexpected timeline kind '{kind}'").into())
            })?,
            source: row.try_get("source")?,
            text: row.try_get("text")?,
            corrects: row.try_get("corrects")?,
            data: data
                .map(|d| serde_json::from_str::<Data>(&d))
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        })
    }
}

/// What appending gave: the entry as stored and the subject's new revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub entry: Entry,
    pub revision: i64,
}

/// Appends an entry and moves the subject's revision on.
pub async fn append(
    conn: &mut SqliteConnection,
    subject: Subject,
    new: NewEntry,
) -> Result<Appended, sqlx::Error> {
    let (table, column) = subject.tables();
    let data = new
        .data
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let entry: Entry = sqlx::query_as(&format!(
        "INSERT INTO timeline ({column}, at, happened_at, author, kind, source, text, corrects, data) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
    ))
    .bind(subject.id())
    .bind(new.at)
    .bind(new.happened_at)
    .bind(&new.author)
    .bind(new.kind.as_str())
    .bind(new.source.as_deref().unwrap_or(OWN_SOURCE))
    .bind(&new.text)
    .bind(new.corrects)
    .bind(data)
    .fetch_one(&mut *conn)
    .await?;
    let revision: i64 = sqlx::query_scalar(&format!(
        "UPDATE {table} SET revision = revision + 1 WHERE id = ? RETURNING revision"
    ))
    .bind(subject.id())
    .fetch_one(&mut *conn)
    .await?;
    Ok(Appended { entry, revision })
}

/// The subject's revision, or `None` when there is no such subject.
pub async fn revision(
    conn: &mut SqliteConnection,
    subject: Subject,
) -> Result<Option<i64>, sqlx::Error> {
    let (table, _) = subject.tables();
    sqlx::query_scalar(&format!("SELECT revision FROM {table} WHERE id = ?"))
        .bind(subject.id())
        .fetch_optional(conn)
        .await
}

/// Every entry, oldest first.
pub async fn all(conn: &mut SqliteConnection, subject: Subject) -> Result<Vec<Entry>, sqlx::Error> {
    after(conn, subject, 0, i64::MAX).await
}

/// Up to `limit` entries written after entry `after`, oldest first: for
/// exports in batches and for a page catching up.
pub async fn after(
    conn: &mut SqliteConnection,
    subject: Subject,
    after: i64,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let (_, column) = subject.tables();
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM timeline WHERE {column} = ? AND id > ? ORDER BY id LIMIT ?"
    ))
    .bind(subject.id())
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// One entry made into a JSON object by SQLite.
#[derive(FromRow)]
struct JsonEntry {
    id: i64,
    json: String,
}

/// A batch of entries as JSON objects joined by commas, and the id of the
/// last one (where the next batch starts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonBatch {
    pub last: i64,
    pub json: String,
}

/// Up to `limit` entries written after entry `after`, each already made
/// into a JSON object by SQLite, joined by commas, with the last id: the
/// export's fast path (no decoding into types and encoding again). The
/// objects have the fields of [`Entry`]; times are as stored (RFC 3339).
pub async fn json_after(
    conn: &mut SqliteConnection,
    subject: Subject,
    after: i64,
    limit: i64,
) -> Result<Option<JsonBatch>, sqlx::Error> {
    let (_, column) = subject.tables();
    let object = engine::json_object(&[
        ("id", "id"),
        ("at", "at"),
        ("happened_at", "happened_at"),
        ("author", "author"),
        ("kind", "kind"),
        ("source", "source"),
        ("text", "text"),
        ("corrects", "corrects"),
        ("data", "json:data"),
    ]);
    let rows: Vec<JsonEntry> = sqlx::query_as(&format!(
        "SELECT id, {object} AS json FROM timeline WHERE {column} = ? AND id > ? ORDER BY id LIMIT ?"
    ))
    .bind(subject.id())
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let Some(last) = rows.last().map(|r| r.id) else {
        return Ok(None);
    };
    let mut out = String::with_capacity(rows.iter().map(|r| r.json.len() + 1).sum());
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&row.json);
    }
    Ok(Some(JsonBatch { last, json: out }))
}

/// Up to `limit` entries written before entry `before` (`None`: the
/// newest), newest first: one page of a long timeline.
pub async fn before(
    conn: &mut SqliteConnection,
    subject: Subject,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let (_, column) = subject.tables();
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM timeline WHERE {column} = ? AND id < ? ORDER BY id DESC LIMIT ?"
    ))
    .bind(subject.id())
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// Entries of the given kinds only (what measures and pictures read),
/// oldest first. Sorted here rather than in SQL, so the planner reads the
/// (subject, kind) index instead of walking the whole timeline in id order.
pub async fn of_kinds(
    conn: &mut SqliteConnection,
    subject: Subject,
    kinds: &[Kind],
) -> Result<Vec<Entry>, sqlx::Error> {
    let (_, column) = subject.tables();
    let places = vec!["?"; kinds.len()].join(", ");
    let sql = format!("SELECT {COLUMNS} FROM timeline WHERE {column} = ? AND kind IN ({places})");
    let mut query = sqlx::query_as(&sql).bind(subject.id());
    for kind in kinds {
        query = query.bind(kind.as_str());
    }
    let mut entries: Vec<Entry> = query.fetch_all(&mut *conn).await?;
    entries.sort_by_key(|e| e.id);
    Ok(entries)
}

/// The id of the subject's newest entry (0 when it has none).
pub async fn last_id(conn: &mut SqliteConnection, subject: Subject) -> Result<i64, sqlx::Error> {
    let (_, column) = subject.tables();
    let id: i64 = sqlx::query_scalar(&format!(
        "SELECT COALESCE(MAX(id), 0) FROM timeline WHERE {column} = ?"
    ))
    .bind(subject.id())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A correction must name an entry of the same timeline.
pub async fn check_corrects(
    conn: &mut SqliteConnection,
    subject: Subject,
    corrects: i64,
) -> Result<(), AppError> {
    let (_, column) = subject.tables();
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM timeline WHERE {column} = ? AND id = ?"
    ))
    .bind(subject.id())
    .bind(corrects)
    .fetch_optional(conn)
    .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(AppError::invalid(
            "Correction",
            "that entry is not in this incident's timeline",
        )),
    }
}

/// The newest entry's id (0 for none).
pub async fn newest_id(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM timeline")
        .fetch_one(conn)
        .await
}

#[derive(FromRow)]
struct Touched {
    last: i64,
    incident_id: Option<i64>,
    drill_run_id: Option<i64>,
}

/// Each subject with entries newer than `seen`, and its newest entry's id.
pub async fn touched_since(
    conn: &mut SqliteConnection,
    seen: i64,
) -> Result<Vec<(Subject, i64)>, sqlx::Error> {
    let touched: Vec<Touched> = sqlx::query_as(
        "SELECT MAX(id) AS last, incident_id, drill_run_id FROM timeline \
         WHERE id > ? GROUP BY incident_id, drill_run_id",
    )
    .bind(seen)
    .fetch_all(conn)
    .await?;
    Ok(touched
        .into_iter()
        .filter_map(|t| match (t.incident_id, t.drill_run_id) {
            (Some(id), _) => Some((Subject::Incident(id), t.last)),
            (None, Some(id)) => Some((Subject::DrillRun(id), t.last)),
            (None, None) => None,
        })
        .collect())
}

/// The texts of a subject's entries that may name a request id (they hold
/// `req_`, in any case), in no particular order.
pub async fn texts_naming_requests(
    conn: &mut SqliteConnection,
    subject: Subject,
) -> Result<Vec<String>, sqlx::Error> {
    let (_, column) = subject.tables();
    sqlx::query_scalar(&format!(
        "SELECT text FROM timeline WHERE {column} = ? AND text LIKE '%req\\_%' ESCAPE '\\'"
    ))
    .bind(subject.id())
    .fetch_all(conn)
    .await
}

/// Whether entry `id` is in the subject's timeline.
pub async fn holds(
    conn: &mut SqliteConnection,
    subject: Subject,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let (_, column) = subject.tables();
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM timeline WHERE id = ? AND {column} = ?"
    ))
    .bind(id)
    .bind(subject.id())
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// An entry as a citation of it shows it; its kind still text, so a kind
/// this build does not know still reads.
#[derive(FromRow)]
pub struct Brief {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub kind: String,
    pub text: String,
}

/// The subject's entries with these ids (others are left out), in brief.
pub async fn briefs(
    conn: &mut SqliteConnection,
    subject: Subject,
    ids: &[i64],
) -> Result<Vec<Brief>, sqlx::Error> {
    let (_, column) = subject.tables();
    sqlx::query_as(&format!(
        "SELECT id, at, kind, text FROM timeline WHERE {column} = ? AND id {IN_ID_LIST}"
    ))
    .bind(subject.id())
    .bind(engine::id_list(ids))
    .fetch_all(conn)
    .await
}

/// The oldest of the subject's entries whose text is LIKE `pattern`: how
/// the demo finds an entry it wrote.
pub async fn first_like(
    conn: &mut SqliteConnection,
    subject: Subject,
    pattern: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let (_, column) = subject.tables();
    sqlx::query_scalar(&format!(
        "SELECT id FROM timeline WHERE {column} = ? AND text LIKE ? ORDER BY id LIMIT 1"
    ))
    .bind(subject.id())
    .bind(pattern)
    .fetch_optional(conn)
    .await
}
