//! Reading events back: the filtered, searched list (a page at a time,
//! by key), one event in full, and the events that may be evidence for
//! an incident. Only events of imports that ended well are read (the
//! statements are `db::reads`).
use super::db::reads::{self, Matches};
use super::{EventDetail, EventRow, Filter};
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

/// Up to this many matches, a search starts from the index's list of
/// them and sorts them; past it, from the newest events, checking each
/// against the index, which finds a page of a common word at once.
const FEW_MATCHES: i64 = 20_000;

/// One page of events, newest first, and the id to continue after when
/// there are more.
pub async fn list(
    read: &SqlitePool,
    filter: &Filter,
    limit: i64,
) -> Result<(Vec<EventRow>, Option<i64>), sqlx::Error> {
    let search = super::db::match_query(&filter.words);
    let matches = match &search {
        Some(query) => {
            let n = reads::count_matches(read, query, FEW_MATCHES + 1).await?;
            if n == 0 {
                return Ok((Vec::new(), None));
            }
            if n <= FEW_MATCHES {
                Matches::Listed(query)
            } else {
                Matches::Checked(query)
            }
        }
        None => Matches::All,
    };
    let mut rows = reads::page(read, matches, filter, limit + 1).await?;
    let next = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    });
    Ok((rows, next.flatten()))
}

/// One event in full, with the incidents it is linked to.
pub async fn detail(read: &SqlitePool, id: i64) -> Result<Option<EventDetail>, sqlx::Error> {
    let Some(stored) = reads::stored(read, id).await? else {
        return Ok(None);
    };
    let links = reads::linked_incidents(read, id)
        .await?
        .into_iter()
        .map(|i| (i.id, i.title))
        .collect();
    let payload = stored.payload;
    Ok(Some(EventDetail {
        event: stored.event,
        received_at: stored.received_at,
        request_id: stored.request_id,
        // A cut payload is no longer JSON: shown as stored.
        payload: serde_json::from_str::<serde_json::Value>(&payload)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or(payload),
        truncated: stored.truncated,
        fingerprint: stored.fingerprint,
        file_name: stored.file_name,
        links,
    }))
}

/// Events that may be evidence for an incident: in its time window (from
/// an hour before it was declared to its end, or now), holding one of
/// its request ids or one of its runbook's tags, not linked to it yet.
pub async fn suggest(
    read: &SqlitePool,
    window: (DateTime<Utc>, DateTime<Utc>),
    request_ids: &[String],
    tags: &[String],
    incident: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let words: Vec<String> = tags
        .iter()
        .flat_map(|t| super::db::tokens(t).collect::<Vec<_>>())
        .map(|t| format!("\"{t}\""))
        .collect();
    if request_ids.is_empty() && words.is_empty() {
        return Ok(Vec::new());
    }
    reads::suggestions(read, window, request_ids, &words, incident, limit).await
}
