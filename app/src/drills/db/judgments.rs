//! What a run released and how its expectations were judged: one row per
//! inject released and per expectation judged, each also told in the
//! run's own record.
use super::record;
use crate::{
    drills::{score::Verdict, Inject},
    error::AppError,
    timeline::{Data, Kind as EntryKind, NewEntry},
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// An inject a run released: when on the run's virtual clock, and whether
/// the facilitator released it before its time.
#[derive(Clone, Copy, Debug, sqlx::FromRow)]
pub struct Released {
    pub inject_id: u32,
    pub released_at: DateTime<Utc>,
    pub early: bool,
}

/// The injects a run released, in the order it released them.
pub async fn released(conn: &mut SqliteConnection, run: i64) -> Result<Vec<Released>, sqlx::Error> {
    sqlx::query_as(
        "SELECT inject_id, released_at, early FROM drill_releases WHERE run_id = ? ORDER BY released_at, inject_id",
    )
    .bind(run)
    .fetch_all(conn)
    .await
}

/// Releases an inject at virtual time `at`; false when it was released
/// already (a second release of the same inject is never made).
pub async fn release(
    conn: &mut SqliteConnection,
    run: i64,
    inject: &Inject,
    at: DateTime<Utc>,
    early: bool,
    author: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO drill_releases (run_id, inject_id, released_at, early) VALUES (?, ?, ?, ?) \
         ON CONFLICT (run_id, inject_id) DO NOTHING",
    )
    .bind(run)
    .bind(inject.id)
    .bind(at)
    .bind(early)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 0 {
        return Ok(false);
    }
    let how = if early { " (released early)" } else { "" };
    let text = format!(
        "+{} {}{how}",
        crate::drills::offset_text(inject.offset_s),
        inject.title
    );
    let entry = NewEntry::new(EntryKind::InjectReleased, text, author, at)
        .with_data(Data::Inject { inject: inject.id });
    record(conn, run, entry).await?;
    Ok(true)
}

/// A stored judgment of one expectation.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Judgment {
    pub inject_id: u32,
    pub expectation_id: u32,
    #[sqlx(try_from = "String")]
    pub state: StoredVerdict,
    pub at: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    pub evidence: Option<i64>,
    pub judged_by: String,
    pub comment: String,
}

/// A verdict as stored (never pending: pending has no row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredVerdict(pub Verdict);

impl TryFrom<String> for StoredVerdict {
    type Error = AppError;

    fn try_from(s: String) -> Result<Self, AppError> {
        Verdict::parse("Verdict", &s).map(StoredVerdict)
    }
}

pub async fn judgments(
    conn: &mut SqliteConnection,
    run: i64,
) -> Result<Vec<Judgment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT inject_id, expectation_id, state, at, met_at, evidence, judged_by, comment \
         FROM drill_judgments WHERE run_id = ? ORDER BY at, inject_id, expectation_id",
    )
    .bind(run)
    .fetch_all(conn)
    .await
}

/// What a judgment says, to store.
pub struct NewJudgment<'a> {
    pub inject: u32,
    pub expectation: u32,
    pub verdict: Verdict,
    pub at: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    pub evidence: Option<i64>,
    pub by: &'a str,
    pub comment: &'a str,
    /// The expectation in words, for the run's record.
    pub text: &'a str,
}

/// Stores a judgment (the facilitator's replaces an earlier one) and
/// records it in the run's timeline.
pub async fn judge(
    conn: &mut SqliteConnection,
    run: i64,
    j: &NewJudgment<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO drill_judgments (run_id, inject_id, expectation_id, state, at, met_at, evidence, judged_by, comment) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, inject_id, expectation_id) DO UPDATE SET \
         state = excluded.state, at = excluded.at, met_at = excluded.met_at, evidence = excluded.evidence, \
         judged_by = excluded.judged_by, comment = excluded.comment",
    )
    .bind(run)
    .bind(j.inject)
    .bind(j.expectation)
    .bind(j.verdict.as_str())
    .bind(j.at)
    .bind(j.met_at)
    .bind(j.evidence)
    .bind(j.by)
    .bind(j.comment)
    .execute(&mut *conn)
    .await?;
    let comment = if j.comment.is_empty() {
        String::new()
    } else {
        format!(": {}", j.comment)
    };
    let text = format!("{}: {}{comment}", j.verdict.as_str().to_uppercase(), j.text);
    let entry =
        NewEntry::new(EntryKind::ExpectationJudged, text, j.by, j.at).with_data(Data::Judged {
            inject: j.inject,
            expectation: j.expectation,
            state: j.verdict.as_str().to_owned(),
        });
    record(conn, run, entry).await?;
    Ok(())
}
