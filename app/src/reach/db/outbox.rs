//! The outbox, and the log of every delivery attempt.
use crate::environment::Environment;
use crate::reach::{
    answer_for_everyone, backoff, bounded, withheld_because, AttemptLine, Channel, Kind, Message,
    OutboxLine, State, MAX_ANSWER, MAX_ATTEMPTS, MAX_BODY, MAX_SUBJECT, OUTBOX_KEPT,
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Puts a message for `channel` in the outbox, in the caller's
/// transaction (the one that makes the change the message is about), so a
/// crash never loses it or sends it for a change that did not happen.
/// In a drill, the sandbox or staging it is stored withheld: "would have
/// sent to ...". Returns its id and whether it was withheld.
pub async fn enqueue(
    tx: &mut SqliteConnection,
    channel: &Channel,
    m: &Message,
    (environment, drill): (Environment, bool),
    now: DateTime<Utc>,
) -> Result<(i64, bool), sqlx::Error> {
    let to = if m.to.is_empty() {
        match channel.kind {
            Kind::Email => channel.recipients.join(", "),
            Kind::Webhook => channel.shown_address.clone(),
        }
    } else {
        m.to.clone()
    };
    let withheld = withheld_because(environment, drill);
    let (state, note) = match withheld {
        Some(why) => (
            State::Withheld,
            format!(
                "would have sent to {to} by {} (not sent: {why})",
                channel.name
            ),
        ),
        None => (State::Pending, String::new()),
    };
    let key = format!("msg_{:032x}", rand::random::<u128>());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (channel_id, incident_id, purpose, recipient, subject, body, link, key, state, note, \
         attempts, next_at, created_at, call_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING id",
    )
    .bind(channel.id)
    .bind(m.incident_id)
    .bind(m.purpose)
    .bind(&to)
    .bind(bounded(&m.subject, MAX_SUBJECT))
    .bind(bounded(&m.body, MAX_BODY))
    .bind(m.link.as_deref().unwrap_or(""))
    .bind(key)
    .bind(state.as_str())
    .bind(note)
    .bind(now)
    .bind(now)
    .bind(m.call_id)
    .fetch_one(tx)
    .await?;
    Ok((id, withheld.is_some()))
}

/// A message whose time to be sent has come.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub channel_id: i64,
    pub incident_id: Option<i64>,
    pub purpose: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub key: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    /// The call it is for (its key goes in when it is sent).
    pub call_id: Option<i64>,
}

/// The pending messages due at `now`, oldest first, on enabled channels.
pub async fn due(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.id, o.channel_id, o.incident_id, o.purpose, o.recipient, o.subject, o.body, o.link, o.key, o.attempts, o.created_at, o.call_id \
         FROM outbox o JOIN channels c ON c.id = o.channel_id \
         WHERE o.state = 'pending' AND o.next_at <= ? AND c.enabled ORDER BY o.next_at, o.id LIMIT ?",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One message if it is still pending, whatever its due time or its
/// channel's state (a channel's test button sends it now).
pub async fn pending(
    conn: &mut SqliteConnection,
    outbox_id: i64,
) -> Result<Option<Due>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, channel_id, incident_id, purpose, recipient, subject, body, link, key, attempts, created_at, call_id \
         FROM outbox WHERE id = ? AND state = 'pending'",
    )
    .bind(outbox_id)
    .fetch_optional(conn)
    .await
}

/// How a message that is no longer pending ended.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Settled {
    pub state: String,
    /// For withheld messages: "would have sent to ...".
    pub note: String,
    pub answer: String,
}

/// How a message ended (an error if there is no such message).
pub async fn settled(conn: &mut SqliteConnection, outbox_id: i64) -> Result<Settled, sqlx::Error> {
    sqlx::query_as("SELECT state, note, answer FROM outbox WHERE id = ?")
        .bind(outbox_id)
        .fetch_one(conn)
        .await
}

/// Attempts on a channel after `since`: what counts against its rate.
pub async fn attempts_since(
    conn: &mut SqliteConnection,
    channel_id: i64,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox_attempts WHERE channel_id = ? AND at > ?")
        .bind(channel_id)
        .bind(since)
        .fetch_one(conn)
        .await
}

/// What one attempt got back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub delivered: bool,
    /// HTTP status or SMTP reply code, when there was an answer.
    pub code: Option<i64>,
    /// A short answer (never a secret: receivers' words, bounded).
    pub answer: String,
    /// A refusal that trying again will not change (400, 401, 404, 550).
    pub permanent: bool,
}

/// Records an attempt, and moves the message on: sent; pending again
/// after a back-off; or failed after its last attempt or a permanent
/// refusal.
pub async fn finish(
    tx: &mut SqliteConnection,
    due: &Due,
    a: &Attempt,
    now: DateTime<Utc>,
) -> Result<State, sqlx::Error> {
    let attempts = due.attempts + 1;
    let answer = bounded(&a.answer, MAX_ANSWER);
    let state = if a.delivered {
        State::Sent
    } else if a.permanent || attempts >= MAX_ATTEMPTS {
        State::Failed
    } else {
        State::Pending
    };
    let outcome = match state {
        State::Sent => "sent",
        State::Pending => "retry",
        _ => "failed",
    };
    sqlx::query(
        "INSERT INTO outbox_attempts (outbox_id, channel_id, at, outcome, code, answer) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(due.id)
    .bind(due.channel_id)
    .bind(now)
    .bind(outcome)
    .bind(a.code)
    .bind(&answer)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE outbox SET state = ?, attempts = ?, answer = ?, next_at = ?, \
         done_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END WHERE id = ?",
    )
    .bind(state.as_str())
    .bind(attempts)
    .bind(&answer)
    .bind(now + backoff(attempts))
    .bind(state.as_str())
    .bind(now)
    .bind(due.id)
    .execute(&mut *tx)
    .await?;
    Ok(state)
}

/// Deletes finished messages beyond the newest `OUTBOX_KEPT`.
pub async fn prune(tx: &mut SqliteConnection) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM outbox WHERE state != 'pending' AND id <= \
         (SELECT id FROM outbox ORDER BY id DESC LIMIT 1 OFFSET ?)",
    )
    .bind(OUTBOX_KEPT)
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

/// An outbox line as stored, its state as text.
#[derive(sqlx::FromRow)]
struct LineRow {
    id: i64,
    channel: String,
    purpose: String,
    subject: String,
    recipient: String,
    state: String,
    note: String,
    attempts: i64,
    answer: String,
    created_at: DateTime<Utc>,
    done_at: Option<DateTime<Utc>>,
}

impl From<LineRow> for OutboxLine {
    fn from(r: LineRow) -> Self {
        OutboxLine {
            id: r.id,
            channel: r.channel,
            purpose: r.purpose,
            subject: r.subject,
            to: r.recipient,
            state: State::parse(&r.state),
            note: r.note,
            attempts: r.attempts,
            answer: r.answer,
            created_at: r.created_at,
            done_at: r.done_at,
        }
    }
}

/// The newest messages of a channel, or of an incident.
pub async fn lines(
    conn: &mut SqliteConnection,
    channel_id: Option<i64>,
    incident_id: Option<i64>,
    limit: i64,
) -> Result<Vec<OutboxLine>, sqlx::Error> {
    let rows: Vec<LineRow> = sqlx::query_as(
        "SELECT o.id, c.name AS channel, o.purpose, o.subject, o.recipient, o.state, o.note, o.attempts, \
         o.answer, o.created_at, o.done_at FROM outbox o JOIN channels c ON c.id = o.channel_id \
         WHERE (?1 IS NULL OR o.channel_id = ?1) AND (?2 IS NULL OR o.incident_id = ?2) \
         ORDER BY o.id DESC LIMIT ?3",
    )
    .bind(channel_id)
    .bind(incident_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(OutboxLine::from).collect())
}

/// How many messages failed for good in the last `since`: the admin
/// page's warning.
pub async fn failed_since(
    conn: &mut SqliteConnection,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'failed' AND done_at >= ?")
        .bind(since)
        .fetch_one(conn)
        .await
}

/// A message that failed for good: its channel and the answer it got.
#[derive(sqlx::FromRow)]
struct Failed {
    channel: String,
    answer: String,
}

/// The newest messages about an incident that failed for good, as
/// "channel: answer" (at most five): the incident page's warning.
pub async fn failed_for_incident(
    conn: &mut SqliteConnection,
    incident_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<Failed> = sqlx::query_as(
        "SELECT c.name AS channel, o.answer FROM outbox o JOIN channels c ON c.id = o.channel_id \
         WHERE o.incident_id = ? AND o.state = 'failed' ORDER BY o.id DESC LIMIT 5",
    )
    .bind(incident_id)
    .fetch_all(conn)
    .await?;
    // The incident's page is read by everyone: the status, not the words.
    Ok(rows
        .into_iter()
        .map(|f| format!("{}: {}", f.channel, answer_for_everyone(&f.answer)))
        .collect())
}

/// The newest attempts on a channel.
pub async fn attempts(
    conn: &mut SqliteConnection,
    channel_id: i64,
    limit: i64,
) -> Result<Vec<AttemptLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.at, a.outcome, a.code, a.answer, o.subject FROM outbox_attempts a \
         JOIN outbox o ON o.id = a.outbox_id WHERE a.channel_id = ? ORDER BY a.id DESC LIMIT ?",
    )
    .bind(channel_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}
