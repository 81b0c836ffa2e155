//! Reviews in SQLite. A review is read with its incident's timeline and
//! the audit events the timeline links; writing one never touches either.
use super::{Cited, Line, Moment, Review, State, SECTIONS};
use crate::{
    error::AppError,
    incidents::IncidentView,
    timeline::{self, Data, Subject},
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use std::collections::HashMap;

/// The way to publication: reviewers, comments, moves and versions.
pub mod flow;

/// How many timeline entries a review reads.
pub const MAX_LINES: i64 = 2_000;

const COLUMNS: &str =
    "id, incident_id, title, state, version, summary, impact, factors, went_well, \
                       lucky, hard, lessons, updated_by, updated_at, published_at, revision";

/// A review as stored: its state still text, its sections in columns.
#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: i64,
    incident_id: i64,
    title: String,
    state: String,
    version: i64,
    summary: String,
    impact: String,
    factors: String,
    went_well: String,
    lucky: String,
    hard: String,
    lessons: String,
    updated_by: String,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
    revision: i64,
}

fn review(r: ReviewRow) -> Result<Review, AppError> {
    Ok(Review {
        id: r.id,
        incident_id: r.incident_id,
        title: r.title,
        state: State::parse("State", &r.state)?,
        version: r.version,
        sections: vec![
            r.summary,
            r.impact,
            r.factors,
            r.went_well,
            r.lucky,
            r.hard,
            r.lessons,
        ],
        updated_by: r.updated_by,
        updated_at: r.updated_at,
        published_at: r.published_at,
        revision: r.revision,
    })
}

pub async fn get(conn: &mut SqliteConnection, id: i64) -> Result<Option<Review>, AppError> {
    let row: Option<ReviewRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM reviews WHERE id = ?"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(review).transpose()
}

/// The review, if it can still be written: a published review is
/// reopened before anything in it changes.
pub async fn writable(conn: &mut SqliteConnection, id: i64) -> Result<Review, AppError> {
    let review = get(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That review".into()))?;
    if review.state == State::Published {
        return Err(AppError::Conflict(
            "This review is published: reopen it to change it.".into(),
        ));
    }
    Ok(review)
}

pub async fn of_incident(
    conn: &mut SqliteConnection,
    incident: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM reviews WHERE incident_id = ?")
        .bind(incident)
        .fetch_optional(conn)
        .await
}

/// Whether a drill run has ended: its incident's review may start then.
/// Read here, not through the drills' db, as drills and reviews are
/// peers and import neither each other.
pub async fn drill_ended(conn: &mut SqliteConnection, run: i64) -> Result<bool, sqlx::Error> {
    let state: String = sqlx::query_scalar("SELECT state FROM drill_runs WHERE id = ?")
        .bind(run)
        .fetch_one(conn)
        .await?;
    Ok(state == "ended")
}

/// The customer impact section as a review starts it: how long, how bad,
/// and every notice that went out.
pub fn impact_draft(v: &IncidentView) -> String {
    let i = &v.incident;
    let end = i.resolved_at.unwrap_or(v.now);
    let mut out = format!(
        "- Duration: {} (declared {}, resolved {})\n- Severity: {}\n- Impact as declared: {}\n",
        crate::clock::elapsed(i.declared_at, end),
        crate::ui::when(i.declared_at),
        crate::ui::when(end),
        i.severity.as_str().to_uppercase(),
        if i.impact.is_empty() {
            "(none written)"
        } else {
            &i.impact
        }
    );
    let published: Vec<_> = v
        .notices
        .iter()
        .filter(|n| n.published_at.is_some())
        .collect();
    if published.is_empty() {
        out.push_str("- Notices published: none\n");
    } else {
        out.push_str("- Notices published:\n");
        for n in published {
            out.push_str(&format!(
                "  - {} ({}) at {}: {}\n",
                n.stage.title(),
                n.channel.as_str(),
                n.published_at.map(crate::ui::when).unwrap_or_default(),
                n.subject
            ));
        }
    }
    out
}

/// Starts the review of an incident: its title, and the impact section
/// drafted from the record.
pub async fn start(
    conn: &mut SqliteConnection,
    v: &IncidentView,
    (author, author_id): (&str, Option<i64>),
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let title = format!("Review: {}", v.incident.title.trim_start_matches("DRILL: "));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reviews (incident_id, title, state, impact, created_by, created_by_id, created_at, updated_by, updated_at) \
         VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(v.incident.id)
    .bind(title.chars().take(140).collect::<String>())
    .bind(impact_draft(v))
    .bind(author)
    .bind(author_id)
    .bind(now)
    .bind(author)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Saves one section (by its place in [`SECTIONS`]).
pub async fn save_section(
    conn: &mut SqliteConnection,
    id: i64,
    index: usize,
    text: &str,
    author: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (column, _, _) = SECTIONS
        .get(index)
        .ok_or_else(|| AppError::internal("a section index out of range"))?;
    // The column name comes from SECTIONS, never from the caller.
    sqlx::query(&format!(
        "UPDATE reviews SET {column} = ?, updated_by = ?, updated_at = ?, revision = revision + 1 WHERE id = ?"
    ))
    .bind(text)
    .bind(author)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// How the review shows one entry of its incident's timeline.
pub async fn mark(
    conn: &mut SqliteConnection,
    review: &Review,
    entry: i64,
    hidden: bool,
    note: &str,
    moment: Option<Moment>,
) -> Result<(), AppError> {
    if !timeline::db::holds(&mut *conn, Subject::Incident(review.incident_id), entry).await? {
        return Err(AppError::NotFound("That entry of this incident".into()));
    }
    sqlx::query(
        "INSERT INTO review_entries (review_id, entry_id, hidden, note, moment) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (review_id, entry_id) DO UPDATE SET hidden = excluded.hidden, note = excluded.note, moment = excluded.moment",
    )
    .bind(review.id)
    .bind(entry)
    .bind(hidden)
    .bind(note)
    .bind(moment.map(Moment::as_str))
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE reviews SET revision = revision + 1 WHERE id = ?")
        .bind(review.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How the review shows one entry (none stored: shown, no note, no key
/// moment); the moment still text.
#[derive(Clone, Default, sqlx::FromRow)]
struct Mark {
    entry_id: i64,
    hidden: bool,
    note: String,
    moment: Option<String>,
}

/// The review's timeline: every entry of its incident (up to
/// [`MAX_LINES`]), oldest first, with how the review shows it and the
/// audit event it links.
pub async fn lines(conn: &mut SqliteConnection, review: &Review) -> Result<Vec<Line>, AppError> {
    let entries = timeline::db::after(
        &mut *conn,
        Subject::Incident(review.incident_id),
        0,
        MAX_LINES,
    )
    .await?;
    let marks: HashMap<i64, Mark> = sqlx::query_as::<_, Mark>(
        "SELECT entry_id, hidden, note, moment FROM review_entries WHERE review_id = ?",
    )
    .bind(review.id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|m| (m.entry_id, m))
    .collect();
    let events = cited(&mut *conn, &timeline::linked_events(&entries)).await?;
    entries
        .into_iter()
        .map(|entry| {
            let Mark {
                hidden,
                note,
                moment,
                ..
            } = marks.get(&entry.id).cloned().unwrap_or_default();
            let event = match entry.data {
                Some(Data::Evidence { event }) => events.get(&event).cloned(),
                _ => None,
            };
            Ok(Line {
                hidden,
                note,
                moment: Moment::parse("Moment", moment.as_deref().unwrap_or(""))?,
                event,
                entry,
            })
        })
        .collect()
}

/// What the review's sections cite: the entries (of its incident only)
/// and the audit events, by id.
pub async fn citations(
    conn: &mut SqliteConnection,
    review: &Review,
) -> Result<(HashMap<i64, super::cite::CitedEntry>, HashMap<i64, Cited>), AppError> {
    citations_in(conn, review.incident_id, &review.sections).await
}

/// What `texts` cite: the entries (of `incident` only) and the audit
/// events, by id.
pub async fn citations_in(
    conn: &mut SqliteConnection,
    incident: i64,
    texts: &[String],
) -> Result<(HashMap<i64, super::cite::CitedEntry>, HashMap<i64, Cited>), AppError> {
    use super::cite::{find, CitedEntry, Target};
    let (mut entry_ids, mut event_ids) = (Vec::new(), Vec::new());
    for text in texts {
        for (target, _) in find(text) {
            match target {
                Target::Entry(id) => entry_ids.push(id),
                Target::Event(id) => event_ids.push(id),
            }
        }
    }
    let entries = timeline::db::briefs(&mut *conn, Subject::Incident(incident), &entry_ids)
        .await?
        .into_iter()
        .map(|e| {
            let kind = timeline::Kind::parse(&e.kind).map_or("Entry", timeline::Kind::label);
            (
                e.id,
                CitedEntry {
                    at: e.at,
                    kind,
                    text: e.text,
                },
            )
        })
        .collect();
    Ok((entries, cited(conn, &event_ids).await?))
}

/// Every audit event a review cites (`[[event:N]]` in any section, and in
/// reviewers' comments): evidence, kept past its source's retention as
/// linked events are.
pub async fn cited_event_ids(conn: &mut SqliteConnection) -> Result<Vec<i64>, sqlx::Error> {
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT summary || ' ' || impact || ' ' || factors || ' ' || went_well || ' ' || lucky || ' ' \
         || hard || ' ' || lessons FROM reviews UNION ALL SELECT text FROM review_comments",
    )
    .fetch_all(conn)
    .await?;
    let mut ids: Vec<i64> = texts
        .iter()
        .flat_map(|text| super::cite::events(text))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The audit events with these ids, by id.
pub async fn cited(
    conn: &mut SqliteConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Cited>, AppError> {
    let limit = i64::try_from(ids.len()).map_err(AppError::internal)?;
    Ok(crate::events::db::evidence(conn, ids, limit)
        .await?
        .into_iter()
        .map(|e| {
            (
                e.id,
                Cited {
                    id: e.id,
                    source: e.source,
                    occurred_at: e.occurred_at,
                    summary: e.summary,
                    fingerprint: e.fingerprint,
                },
            )
        })
        .collect())
}

/// One review as the list shows it, with its incident and how many of its
/// action items are still open.
#[derive(sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub version: i64,
    pub incident_id: i64,
    pub incident: String,
    pub drill: bool,
    pub updated_at: DateTime<Utc>,
    pub open_actions: i64,
}

/// The reviews changed last, newest first.
pub async fn list(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<Listed>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id, r.title, r.state, r.version, r.incident_id, i.title AS incident, \
         i.drill_run_id IS NOT NULL AS drill, r.updated_at, \
         (SELECT COUNT(*) FROM action_items a WHERE a.review_id = r.id \
          AND a.status IN ('open', 'in_progress')) AS open_actions \
         FROM reviews r JOIN incidents i ON i.id = r.incident_id \
         ORDER BY r.updated_at DESC, r.id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}
