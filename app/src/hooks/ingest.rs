//! Receiving a delivery: find its source, check the client's network and
//! the signature (before the body is read), read the body as an event,
//! clean and fingerprint it, and store it with its delivery log line.
//!
//! One writer task stores deliveries many at a time: each request waits
//! for the commit that holds its event, so a 2xx is only ever sent for an
//! event already in the database (a process killed right after loses
//! nothing it acknowledged), while a flood costs one transaction per
//! batch, not per event. The queue is bounded: when it is full the sender
//! is told to come back (503), and its delivery is not half stored.
use super::{
    body::{self, Body},
    db::{self, Line, Outcome},
    secret,
};
use crate::signing as signature;
use crate::{
    events::{record::NewEvent, redact},
    sealing::SecretKey,
    state::Db,
};
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use std::{net::IpAddr, sync::Arc, time::Duration};
use tokio::sync::{mpsc, oneshot, OnceCell};

/// Deliveries waiting for the writer, at most (each holds at most one
/// cleaned payload, 64 KiB).
pub const QUEUE: usize = 1024;
/// Deliveries stored in one transaction, at most.
pub const MAX_BATCH: usize = 512;
/// How long a delivery waits for room in the queue before the sender is
/// told to try again.
const WAIT_FOR_ROOM: Duration = Duration::from_secs(2);
/// The longest reason kept in the delivery log.
const MAX_REASON: usize = 200;

enum Job {
    Store {
        event: Box<NewEvent>,
        import_id: i64,
        line: Line,
        reply: oneshot::Sender<Result<Outcome, ()>>,
    },
    /// A refused delivery's log line: nobody waits for it.
    Log(Line),
}

/// The writer's door, held in the server's state.
#[derive(Clone, Debug)]
pub struct Ingest {
    jobs: mpsc::Sender<Job>,
    write: SqlitePool,
    /// The instance's fingerprint key, opened on first use.
    key: Arc<OnceCell<[u8; 32]>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// A delivery as the route hands it over.
pub struct Request<'a> {
    /// The source's name, from the address.
    pub source: &'a str,
    pub header: &'a (dyn Fn(&str) -> Option<String> + Sync),
    pub body: &'a [u8],
    pub client: Option<IpAddr>,
}

/// What the sender is told: a status and a few words, never the secret,
/// the signature or the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub text: String,
    /// Slack's URL check is answered with its challenge (as JSON).
    pub challenge: Option<String>,
}

impl Answer {
    fn new(status: u16, text: impl Into<String>) -> Self {
        Self {
            status,
            text: text.into(),
            challenge: None,
        }
    }
}

impl Ingest {
    /// Starts the writer on the current runtime.
    pub fn start(write: SqlitePool) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(write.clone(), rx));
        Self {
            jobs,
            write,
            key: Default::default(),
        }
    }

    /// Checks, reads and stores one delivery.
    pub async fn receive(
        &self,
        db: &Db,
        sealing: &SecretKey,
        req: Request<'_>,
        now: DateTime<Utc>,
    ) -> Answer {
        match self.try_receive(db, sealing, &req, now).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::error!(error = %e, "a webhook delivery could not be handled");
                Answer::new(503, "not stored; send it again later")
            }
        }
    }

    async fn try_receive(
        &self,
        db: &Db,
        sealing: &SecretKey,
        req: &Request<'_>,
        now: DateTime<Utc>,
    ) -> Result<Answer, crate::error::AppError> {
        let mut conn = db.read.acquire().await?;
        let found = db::find_for_delivery(&mut conn, req.source, now).await?;
        drop(conn);
        // Until a delivery is verified, every refusal answers alike (the
        // reason is in the source's delivery log for its admins): an
        // unknown, turned-off or fenced source and a missing, malformed,
        // stale or wrong signature cannot be told apart from outside, so
        // nobody learns which sources exist by trying names.
        let Some((source, sealed)) = found else {
            return Ok(not_verified());
        };
        let line = |outcome, status: u16, reason: Option<String>| Line {
            source_id: source.id,
            received_at: now,
            outcome,
            status,
            reason,
            client: req.client.map(|c| c.to_string()),
            delivery_id: None,
            fingerprint: None,
            event_id: None,
        };
        let refuse = |status: u16, told: &str, logged: String| {
            self.log(line(Outcome::Rejected, status, Some(logged)));
            Answer::new(status, told.to_owned())
        };
        // Logged with the status it stands for; answered as unverified.
        let unverified = |status: u16, logged: String| {
            self.log(line(Outcome::Rejected, status, Some(logged)));
            not_verified()
        };
        if !source.enabled {
            return Ok(unverified(404, "the source is turned off".into()));
        }
        if source.networks_unreadable {
            tracing::error!(source = %source.name, "a source's allowed networks cannot be read; every delivery is refused");
            let why = "the source's allowed networks cannot be read: every address is refused until an admin saves them again";
            return Ok(unverified(403, why.into()));
        }
        let allowed = source.networks.is_empty()
            || req
                .client
                .is_some_and(|c| super::networks::allows(&source.networks, c));
        if !allowed {
            let why = "the client's address is outside the allowed networks";
            return Ok(unverified(403, why.into()));
        }
        let secrets = secret::open_all(sealing, sealed)?;
        let keys: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let verified =
            match signature::verify(source.scheme, &keys, req.header, req.body, now.timestamp()) {
                Ok(verified) => verified,
                Err(refusal) => return Ok(unverified(refusal.status(), refusal.to_string())),
            };
        let read = body::read(
            &body::Delivery {
                source: &source.name,
                scheme: source.scheme,
                verified: &verified,
                header: req.header,
                received_at: now,
            },
            req.body,
        );
        let parsed = match read {
            Ok(Body::Event(parsed)) => parsed,
            Ok(Body::Challenge(challenge)) => {
                let mut l = line(
                    Outcome::Accepted,
                    200,
                    Some("Slack's check of the address".into()),
                );
                l.delivery_id = verified.delivery_id.clone();
                self.log(l);
                return Ok(Answer {
                    challenge: Some(challenge),
                    ..Answer::new(200, "checked")
                });
            }
            Err(why) => {
                let logged = bounded(&redact::text(&why));
                return Ok(refuse(
                    400,
                    "the body is not an event this source reads",
                    logged,
                ));
            }
        };
        let key = self
            .key
            .get_or_try_init(|| async {
                crate::events::record::fingerprint_key(&self.write, sealing)
                    .await
                    .map_err(crate::error::AppError::internal)
            })
            .await?;
        let mut event = parsed.into_event(key);
        if event.environment.is_none() && !source.environment.is_empty() {
            event.environment = Some(source.environment.clone());
        }
        let mut l = line(Outcome::Accepted, 200, None);
        l.delivery_id = verified
            .delivery_id
            .clone()
            .or_else(|| Some(event.dedupe_key.clone()));
        l.fingerprint = Some(event.fingerprint.clone());
        let (reply, stored) = oneshot::channel();
        let job = Job::Store {
            event: Box::new(event),
            import_id: source.import_id,
            line: l,
            reply,
        };
        match tokio::time::timeout(WAIT_FOR_ROOM, self.jobs.send(job)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => {
                tracing::warn!(source = %source.name, "the webhook queue is full");
                return Ok(Answer::new(503, "busy; send it again later"));
            }
        }
        Ok(match stored.await {
            Ok(Ok(Outcome::Duplicate)) => Answer::new(200, "already stored"),
            Ok(Ok(_)) => Answer::new(200, "accepted"),
            _ => Answer::new(503, "not stored; send it again later"),
        })
    }

    /// Logs a refused delivery without waiting; when the queue is full the
    /// line is dropped (a flood of refusals must not hold up events).
    fn log(&self, line: Line) {
        tracing::info!(
            source = line.source_id,
            status = line.status,
            reason = line.reason.as_deref().unwrap_or(""),
            "webhook delivery refused"
        );
        if self.jobs.try_send(Job::Log(line)).is_err() {
            tracing::warn!("a refused delivery was not logged: the queue is full");
        }
    }
}

/// The one answer to a delivery that was not verified, whatever the reason.
pub const NOT_VERIFIED: &str = "the signature does not match";

fn not_verified() -> Answer {
    Answer::new(401, NOT_VERIFIED)
}

fn bounded(text: &str) -> String {
    text.chars().take(MAX_REASON).collect()
}

/// Stores what comes in, a batch per transaction, until the server stops.
async fn writer(write: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        match commit(&write, &jobs).await {
            Ok(outcomes) => {
                let mut outcomes = outcomes.into_iter();
                for job in jobs.drain(..) {
                    if let Job::Store { reply, .. } = job {
                        let _ = reply.send(outcomes.next().ok_or(()));
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "webhook deliveries could not be stored");
                for job in jobs.drain(..) {
                    if let Job::Store { reply, .. } = job {
                        let _ = reply.send(Err(()));
                    }
                }
            }
        }
    }
}

/// One transaction: the events, their log lines and the refusals' lines,
/// the new events in the search index and in their rules' alerts. The stored events' outcomes,
/// in order.
async fn commit(write: &SqlitePool, jobs: &[Job]) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut tx = write.begin().await?;
    let before = crate::events::db::last_event_id(&mut tx).await?;
    let arrived: Vec<crate::events::db::Arrived> = jobs
        .iter()
        .filter_map(|job| match job {
            Job::Store {
                event,
                import_id,
                line,
                ..
            } => Some((&**event, line.received_at, *import_id)),
            Job::Log(_) => None,
        })
        .collect();
    let mut each = crate::events::db::store_each(&mut tx, &arrived)
        .await?
        .into_iter();
    let mut lines = Vec::with_capacity(jobs.len());
    let mut outcomes = Vec::with_capacity(arrived.len());
    let mut stored: Vec<(i64, &NewEvent)> = Vec::new();
    for job in jobs {
        match job {
            Job::Store { event, line, .. } => {
                let (id, new) = each.next().ok_or(sqlx::Error::RowNotFound)?;
                let outcome = if new {
                    stored.push((id, event));
                    Outcome::Accepted
                } else {
                    Outcome::Duplicate
                };
                outcomes.push(outcome);
                lines.push(Line {
                    outcome,
                    event_id: Some(id),
                    ..line.clone()
                });
            }
            Job::Log(line) => lines.push(line.clone()),
        }
    }
    db::log(&mut tx, &lines).await?;
    crate::events::db::index_since(&mut tx, before).await?;
    // New events count into their rules' alerts in the same transaction.
    if let Some(now) = lines.iter().map(|l| l.received_at).max() {
        if !stored.is_empty() {
            let rules = crate::alerts::db::active_rules(&mut tx).await?;
            crate::alerts::db::observe(&mut tx, &rules, &stored, now).await?;
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}
