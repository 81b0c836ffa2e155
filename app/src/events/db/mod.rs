//! The events tables: one row per (source, dedupe key), kept in the
//! search index by the schema's triggers. Events of an import still
//! running are stored but never shown ([`VISIBLE`]). Reading them back
//! for the pages is `reads`, links to incidents `links`, how long they
//! are kept `retention`, the fingerprint key `keys`.
use super::record::{NewEvent, Outcome};
use super::ImportView;
use crate::engine::IN_ID_LIST;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

pub mod keys;
pub mod links;
pub mod reads;
pub mod retention;

/// How far an import has gone, after each batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the file (as stored, so compressed for gzip) read so far.
    pub bytes_read: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

/// The condition every read of `events e` carries: nothing of an import
/// still running (or killed midway and not yet cleared) is shown.
pub const VISIBLE: &str =
    "e.import_id NOT IN (SELECT id FROM event_imports WHERE state = 'running')";

/// Rows per INSERT statement (15 values each, well under SQLite's limit
/// on bound values).
const ROWS_PER_INSERT: usize = 256;
/// Rows deleted per transaction when an import is cleared away.
const DELETE_BATCH: i64 = 10_000;

pub fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::Unknown => "unknown",
    }
}

/// Records an import as running; its format and counts are set as it goes.
pub async fn begin_import(
    write: &SqlitePool,
    file_name: &str,
    by: &str,
    at: DateTime<Utc>,
    bytes_total: Option<u64>,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO event_imports (file_name, format, imported_by, imported_at, accepted, duplicates, rejected, state, bytes_total) \
         VALUES (?, '', ?, ?, 0, 0, 0, 'running', ?) RETURNING id",
    )
    .bind(file_name)
    .bind(by)
    .bind(at)
    .bind(bytes_total.map(|b| b as i64))
    .fetch_one(write)
    .await?;
    Ok(id)
}

/// Records the standing import a webhook source's events belong to: done
/// from the start (its events are seen as they arrive), in the caller's
/// transaction.
pub async fn open_standing_import(
    conn: &mut SqliteConnection,
    file_name: &str,
    format: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO event_imports (file_name, format, imported_by, imported_at, accepted, duplicates, rejected, state, finished_at) \
         VALUES (?, ?, ?, ?, 0, 0, 0, 'done', ?) RETURNING id",
    )
    .bind(file_name)
    .bind(format)
    .bind(by)
    .bind(at)
    .bind(at)
    .fetch_one(conn)
    .await
}

/// Imports still marked running. Called with the import lease held, each
/// is one that was killed midway.
pub async fn running_imports(write: &SqlitePool) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM event_imports WHERE state = 'running' ORDER BY id")
        .fetch_all(write)
        .await
}

/// An event as it is stored: when it arrived and which import it
/// belongs to.
pub type Arrived<'a> = (&'a NewEvent, DateTime<Utc>, i64);

/// An INSERT of these events (the caller adds what to do on a conflict).
/// The events' text is moved into the statement, not copied: an import
/// stores a million of them.
fn inserting<'a>(
    events: impl IntoIterator<Item = (NewEvent, DateTime<Utc>, i64)>,
) -> QueryBuilder<'a, Sqlite> {
    let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
        "INSERT INTO events (source, dedupe_key, occurred_at, received_at, actor, action, target, outcome, \
         request_id, environment, summary, payload, truncated, fingerprint, import_id) ",
    );
    insert.push_values(events, |mut row, (e, received_at, import)| {
        row.push_bind(e.source.as_str())
            .push_bind(e.dedupe_key)
            .push_bind(e.occurred_at)
            .push_bind(received_at)
            .push_bind(e.actor)
            .push_bind(e.action)
            .push_bind(e.target)
            .push_bind(outcome(e.outcome))
            .push_bind(e.request_id)
            .push_bind(e.environment)
            .push_bind(e.summary)
            .push_bind(e.payload)
            .push_bind(e.truncated)
            .push_bind(e.fingerprint)
            .push_bind(import);
    });
    insert
}

/// The newest event's id: rows stored after it, in the same transaction,
/// are the caller's.
pub async fn last_event_id(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
        .fetch_one(conn)
        .await?;
    Ok(id)
}

/// Puts the events stored after `before` in the search index, in one
/// statement: far cheaper than a trigger per row (see the migration that
/// dropped it). Every insert into `events` is followed by this, in its
/// transaction.
pub async fn index_since(conn: &mut SqliteConnection, before: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO events_search (rowid, summary, actor, action, target, payload) \
         SELECT id, summary, actor, action, target, payload FROM events WHERE id > ?",
    )
    .bind(before)
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored event's id and what it is known by.
#[derive(sqlx::FromRow)]
struct Keyed {
    id: i64,
    source: String,
    dedupe_key: String,
}

/// Stores events unless their (source, dedupe key) is stored already,
/// a few statements for the lot: each one's id, and whether it is new
/// (a second copy in the same lot is not).
pub async fn store_each(
    conn: &mut SqliteConnection,
    events: &[Arrived<'_>],
) -> Result<Vec<(i64, bool)>, sqlx::Error> {
    use std::collections::HashMap;
    let key = |source: &str, dedupe: &str| format!("{source}\n{dedupe}");
    let mut new: HashMap<String, i64> = HashMap::new();
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut insert = inserting(
            chunk
                .iter()
                .map(|(e, at, import)| ((*e).clone(), *at, *import)),
        );
        insert
            .push(" ON CONFLICT (source, dedupe_key) DO NOTHING RETURNING id, source, dedupe_key");
        let stored: Vec<Keyed> = insert.build_query_as().fetch_all(&mut *conn).await?;
        new.extend(
            stored
                .into_iter()
                .map(|k| (key(&k.source, &k.dedupe_key), k.id)),
        );
    }
    // The ids of those stored before.
    let mut old: HashMap<String, i64> = HashMap::new();
    let missing: Vec<&NewEvent> = events
        .iter()
        .map(|(e, _, _)| *e)
        .filter(|e| !new.contains_key(&key(e.source.as_str(), &e.dedupe_key)))
        .collect();
    // By source, so each look-up walks the (source, dedupe key) index.
    let mut lookups: Vec<(&'static str, Vec<&NewEvent>)> = Vec::new();
    for e in missing {
        let source = e.source.as_str();
        match lookups
            .iter_mut()
            .find(|(s, keys)| *s == source && keys.len() < ROWS_PER_INSERT)
        {
            Some((_, keys)) => keys.push(e),
            None => lookups.push((source, vec![e])),
        }
    }
    for (source, chunk) in lookups {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT id, source, dedupe_key FROM events WHERE source = ");
        q.push_bind(source).push(" AND dedupe_key IN (");
        let mut keys = q.separated(", ");
        for e in &chunk {
            keys.push_bind(&e.dedupe_key);
        }
        q.push(")");
        let found: Vec<Keyed> = q.build_query_as().fetch_all(&mut *conn).await?;
        old.extend(
            found
                .into_iter()
                .map(|k| (key(&k.source, &k.dedupe_key), k.id)),
        );
    }
    events
        .iter()
        .map(|(e, _, _)| {
            let k = key(e.source.as_str(), &e.dedupe_key);
            match new.remove(&k) {
                Some(id) => {
                    // A second copy in this lot finds the first.
                    old.insert(k, id);
                    Ok((id, true))
                }
                None => old
                    .get(&k)
                    .map(|id| (*id, false))
                    .ok_or_else(|| sqlx::Error::RowNotFound),
            }
        })
        .collect()
}

/// Stores one batch with the import's progress, in one short transaction.
/// How many events were new (the rest were stored already).
pub async fn store_batch(
    write: &SqlitePool,
    import: i64,
    events: Vec<NewEvent>,
    received_at: DateTime<Utc>,
    refusals: &[(String, String)],
    progress: Progress,
) -> Result<u64, sqlx::Error> {
    let mut tx = write.begin().await?;
    let before = last_event_id(&mut tx).await?;
    let count = events.len() as u64;
    let mut rest = events.into_iter();
    let mut statement = || {
        (rest.len() > 0).then(|| {
            let chunk = rest.by_ref().take(ROWS_PER_INSERT);
            let mut insert = inserting(chunk.map(|e| (e, received_at, import)));
            // The first copy is kept, whether stored before or earlier in this batch.
            insert.push(" ON CONFLICT (source, dedupe_key) DO NOTHING");
            insert
        })
    };
    let mut accepted = 0;
    let mut next = statement();
    while let Some(mut insert) = next {
        // The next statement is built while this one runs on the
        // database's thread: building one was a fifth of the time the
        // batch held the write lock.
        let (done, following) =
            tokio::join!(insert.build().execute(&mut *tx), async { statement() });
        accepted += done?.rows_affected();
        next = following;
    }
    index_since(&mut tx, before).await?;
    for (place, reason) in refusals {
        sqlx::query(
            "INSERT INTO event_import_refusals (import_id, place, reason) VALUES (?, ?, ?)",
        )
        .bind(import)
        .bind(place)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE event_imports SET accepted = accepted + ?, duplicates = duplicates + ?, rejected = ?, bytes_read = ? \
         WHERE id = ?",
    )
    .bind(accepted as i64)
    .bind((count - accepted) as i64)
    .bind(progress.rejected as i64)
    .bind(progress.bytes_read as i64)
    .bind(import)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(accepted)
}

/// Marks an import done (from now on its events are seen) or, with a
/// reason, refused or abandoned, inside the caller's transaction.
pub async fn conclude_import(
    conn: &mut SqliteConnection,
    import: i64,
    format: &str,
    end: Progress,
    failed: Option<(&str, &str)>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (state, failure) = failed.unzip();
    sqlx::query(
        "UPDATE event_imports SET state = ?, failure = ?, format = ?, accepted = ?, duplicates = ?, rejected = ?, \
         bytes_read = ?, finished_at = ? WHERE id = ?",
    )
    .bind(state.unwrap_or("done"))
    .bind(failure)
    .bind(format)
    .bind(end.accepted as i64)
    .bind(end.duplicates as i64)
    .bind(end.rejected as i64)
    .bind(end.bytes_read as i64)
    .bind(at)
    .bind(import)
    .execute(conn)
    .await?;
    Ok(())
}

/// Merges the search index's segments, a bounded step at a time (each
/// its own short write), until there is nothing left to merge. An import
/// leaves many small segments (merging them as it goes would halve its
/// speed); a search then checks each, so a common word costs several
/// times more until they are merged. With `whole`, the steps merge every
/// segment into one (an incremental optimize): at a million events a
/// search is five times faster on one segment than on two (measured),
/// but it rewrites the whole index, so it is for an import that brought a
/// large share of it ([`brought_a_quarter`]). How many steps it took.
pub async fn tidy_search_index(write: &SqlitePool, whole: bool) -> Result<u32, sqlx::Error> {
    let mut steps = 0;
    loop {
        let mut conn = write.acquire().await?;
        let before: i64 = sqlx::query_scalar("SELECT total_changes()")
            .fetch_one(&mut *conn)
            .await?;
        // A negative page count starts merging everything into one; the
        // positive steps after it go on with that merge.
        let pages = if whole && steps == 0 { -500 } else { 500 };
        sqlx::query("INSERT INTO events_search (events_search, rank) VALUES ('merge', ?)")
            .bind(pages)
            .execute(&mut *conn)
            .await?;
        let after: i64 = sqlx::query_scalar("SELECT total_changes()")
            .fetch_one(&mut *conn)
            .await?;
        steps += 1;
        // The merge command changes nothing when no merge was left to do.
        if after - before <= 1 || steps >= 100_000 {
            return Ok(steps);
        }
    }
}

/// Whether `stored` new events are at least a quarter of all events: then
/// merging the whole search index costs at most about four times what
/// merging theirs would.
pub async fn brought_a_quarter(write: &SqlitePool, stored: u64) -> Result<bool, sqlx::Error> {
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(write)
        .await?;
    Ok(stored as i64 * 4 >= all)
}

/// Deletes what an import stored, in short transactions. How many events
/// there were.
pub async fn discard(write: &SqlitePool, import: i64) -> Result<u64, sqlx::Error> {
    delete_in_batches(write, "e.import_id = ?", |q| q.bind(import)).await
}

type Delete<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Deletes the events `e` matching `condition` (`bind` adds its values),
/// a bounded batch per statement, so no other write waits long behind
/// it. How many there were.
pub async fn delete_in_batches(
    write: &SqlitePool,
    condition: &str,
    bind: impl for<'q> Fn(Delete<'q>) -> Delete<'q>,
) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE {condition} LIMIT {DELETE_BATCH})"
    );
    let mut gone = 0;
    loop {
        let deleted = bind(sqlx::query(&sql))
            .execute(write)
            .await?
            .rows_affected();
        gone += deleted;
        if deleted == 0 {
            return Ok(gone);
        }
    }
}

/// The words of a search as the index cuts them (runs of letters and
/// digits), each quoted so none is read as an operator, all required; or
/// `None` for no words. The index keeps no positions, so `payment.failed`
/// finds events holding both words, in any place.
pub fn match_query(words: &str) -> Option<String> {
    let query: Vec<String> = tokens(words).map(|t| format!("\"{t}\"")).collect();
    (!query.is_empty()).then(|| query.join(" "))
}

/// Runs of letters and digits, lowercased, at most 16 (a search is a few
/// words; past that it only costs).
pub fn tokens(words: &str) -> impl Iterator<Item = String> + '_ {
    words
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .take(16)
}

/// An event as evidence is cited: where it came from, when, what it says
/// and the fingerprint that proves a copy of the original.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Evidence {
    pub id: i64,
    pub source: String,
    pub action: String,
    pub occurred_at: DateTime<Utc>,
    pub summary: String,
    pub fingerprint: String,
}

/// The events with these ids (at most `limit`), oldest first.
pub async fn evidence(
    conn: &mut SqliteConnection,
    ids: &[i64],
    limit: i64,
) -> Result<Vec<Evidence>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT id, source, action, occurred_at, summary, fingerprint FROM events \
         WHERE id {IN_ID_LIST} ORDER BY occurred_at LIMIT ?"
    ))
    .bind(crate::engine::id_list(ids))
    .bind(limit)
    .fetch_all(conn)
    .await
}

const IMPORT_COLUMNS: &str = "id, file_name, format, imported_by, imported_at, state, bytes_read, \
     bytes_total, accepted, duplicates, rejected, failure";

fn import_view(row: sqlx::sqlite::SqliteRow) -> Result<ImportView, sqlx::Error> {
    use sqlx::Row;
    Ok(ImportView {
        id: row.try_get("id")?,
        file_name: row.try_get("file_name")?,
        format: row.try_get("format")?,
        imported_by: row.try_get("imported_by")?,
        imported_at: row.try_get("imported_at")?,
        state: row.try_get("state")?,
        bytes_read: row.try_get("bytes_read")?,
        bytes_total: row.try_get("bytes_total")?,
        accepted: row.try_get("accepted")?,
        duplicates: row.try_get("duplicates")?,
        rejected: row.try_get("rejected")?,
        failure: row.try_get("failure")?,
        refusals: Vec::new(),
    })
}

/// A record an import refused: where in the file, and why.
#[derive(sqlx::FromRow)]
struct Refusal {
    place: String,
    reason: String,
}

/// One import as its report page shows it, with its refusals.
pub async fn import(read: &SqlitePool, id: i64) -> Result<Option<ImportView>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {IMPORT_COLUMNS} FROM event_imports WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(read)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut view = import_view(row)?;
    let refusals: Vec<Refusal> = sqlx::query_as(
        "SELECT place, reason FROM event_import_refusals WHERE import_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(read)
    .await?;
    view.refusals = refusals.into_iter().map(|r| (r.place, r.reason)).collect();
    Ok(Some(view))
}

/// The newest imports of files, newest first (a webhook source's standing
/// import is shown on its own page). The hooks domain's `hook_sources` is
/// read here, inside the one statement, to leave those imports out.
pub async fn recent_imports(read: &SqlitePool, limit: i64) -> Result<Vec<ImportView>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {IMPORT_COLUMNS} FROM event_imports \
         WHERE id NOT IN (SELECT import_id FROM hook_sources) ORDER BY id DESC LIMIT ?"
    ))
    .bind(limit)
    .fetch_all(read)
    .await?
    .into_iter()
    .map(import_view)
    .collect()
}

/// The id of the event stored under this dedupe key, if any.
pub async fn id_by_dedupe_key(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM events WHERE dedupe_key = ?")
        .bind(key)
        .fetch_optional(conn)
        .await
}
