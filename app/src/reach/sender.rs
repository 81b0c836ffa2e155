//! The sender: delivers what is due in the outbox, keeps each channel
//! within its rate (counted from the delivery log, so a restart does not
//! reset it), and records every attempt in the same transaction that
//! moves the message on. A message is sent at least once: one written
//! before a crash is still pending after it, and goes out then; its key
//! (webhook-id, Message-ID) lets a receiver drop a repeat.
use super::CUSTOMERS_ONLY_NOTICES;
use super::{
    db::{self, Due, Stored},
    send::{self, Outgoing},
    State,
};
use crate::{error::AppError, sealing::SecretKey, state::Db};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Messages looked at per run.
const BATCH: i64 = 100;

pub struct Sender {
    http: reqwest::Client,
    sealing: SecretKey,
    outbound: crate::outbound::Outbound,
}

impl Sender {
    /// `outbound` says where it may connect (public addresses, and the
    /// networks an admin allows).
    pub fn new(sealing: SecretKey, outbound: crate::outbound::Outbound) -> Self {
        Self {
            http: send::client(&outbound),
            sealing,
            outbound,
        }
    }

    /// Delivers every message due at `now`, as far as each channel's
    /// rate allows. Returns how many were tried.
    pub async fn run_due(&self, db: &Db, now: DateTime<Utc>) -> Result<usize, AppError> {
        let mut conn = db.read.acquire().await?;
        let due = db::due(&mut conn, now, BATCH).await?;
        let mut channels: HashMap<i64, (Stored, Option<String>, i64)> = HashMap::new();
        let mut tried = 0;
        for d in due {
            if let std::collections::hash_map::Entry::Vacant(slot) = channels.entry(d.channel_id) {
                let Some(stored) = db::get(&mut conn, d.channel_id).await? else {
                    continue;
                };
                let secret = db::secret(&mut conn, d.channel_id, &self.sealing).await?;
                let minute_ago = now - chrono::Duration::seconds(60);
                let used = db::attempts_since(&mut conn, d.channel_id, minute_ago).await?;
                slot.insert((stored, secret, used));
            }
            let Some((stored, secret, used)) = channels.get_mut(&d.channel_id) else {
                continue;
            };
            // Over its rate: it waits for the next run.
            if *used >= stored.channel.per_minute {
                continue;
            }
            *used += 1;
            tried += 1;
            self.attempt(db, &d, stored, secret.as_deref(), now).await?;
        }
        drop(conn);
        if tried > 0 {
            let mut tx = db.write.begin().await?;
            db::prune(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(tried)
    }

    /// Delivers one pending message now, whatever its due time (a
    /// channel's test button): its state and answer afterwards.
    pub async fn deliver_now(
        &self,
        db: &Db,
        outbox_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(State, String), AppError> {
        let mut conn = db.read.acquire().await?;
        let Some(d) = db::pending(&mut conn, outbox_id).await? else {
            let settled = db::settled(&mut conn, outbox_id).await?;
            return Ok((
                State::parse(&settled.state),
                if settled.note.is_empty() {
                    settled.answer
                } else {
                    settled.note
                },
            ));
        };
        let stored = db::get(&mut conn, d.channel_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The channel".into()))?;
        if !stored.channel.enabled {
            return Ok((
                State::Pending,
                "held: the channel is off; it goes when the channel is turned on".into(),
            ));
        }
        let secret = db::secret(&mut conn, d.channel_id, &self.sealing).await?;
        drop(conn);
        self.attempt(db, &d, &stored, secret.as_deref(), now).await
    }

    async fn attempt(
        &self,
        db: &Db,
        d: &Due,
        stored: &Stored,
        secret: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(State, String), AppError> {
        let out = Outgoing {
            channel: stored,
            secret,
            now: now.timestamp(),
            outbound: &self.outbound,
        };
        // A customer channel gets approved notices and nothing else (no
        // call, no link into Muster), whatever put the message here.
        let refused = |answer: &str| db::Attempt {
            delivered: false,
            code: None,
            answer: answer.into(),
            permanent: true,
        };
        // A call's acknowledge key is made now and only its hash kept; a
        // call that is over (acknowledged, moved on, resolved) is not sent.
        let mut keyed;
        let mut d = d;
        if let Some(call) = d.call_id {
            let mut tx = db.write.begin().await?;
            let key = super::route::key_for_sending(&mut tx, call).await?;
            tx.commit().await?;
            if let Some(key) = key {
                keyed = d.clone();
                keyed.body = keyed.body.replace(super::route::ACK_KEY, &key);
                d = &keyed;
            }
        }
        let attempt = if stored.channel.for_customers && d.purpose != "notice" {
            refused(CUSTOMERS_ONLY_NOTICES)
        } else if d.body.contains(super::route::ACK_KEY) {
            refused(
                "not sent: the call is over (acknowledged, passed on, or its incident resolved)",
            )
        } else {
            send::deliver(&self.http, &out, d).await
        };
        let mut tx = db.write.begin().await?;
        let state = db::finish(&mut tx, d, &attempt, now).await?;
        // The incident's timeline hears how a notice went, and of a call
        // that could not be delivered.
        // Everyone who reads the incident reads these lines: the answer's
        // status only, never the receiver's words (admins see those on the
        // channel's page).
        let name = &stored.channel.name;
        let answer = super::answer_for_everyone(&attempt.answer);
        let line = match (d.incident_id, d.purpose.as_str(), state) {
            (Some(_), "notice", State::Sent) => {
                Some(format!("The notice reached {name}: {answer}"))
            }
            (Some(_), "notice", State::Failed) => Some(format!(
                "The notice could not be delivered to {name}: {answer}"
            )),
            (Some(_), "call", State::Failed) => Some(format!(
                "The call to {} by {name} could not be delivered: {answer}",
                d.recipient
            )),
            _ => None,
        };
        if let (Some(incident), Some(line)) = (d.incident_id, line) {
            super::route::note(&mut tx, incident, line, now).await?;
        }
        tx.commit().await?;
        if state == State::Failed {
            tracing::warn!(channel = %stored.channel.name, message = d.id, answer = %attempt.answer, "a message could not be delivered");
        }
        Ok((state, attempt.answer))
    }

    /// Runs for as long as Muster serves: what is due, every second.
    pub async fn run(self, db: Db, clock: crate::clock::Clock) {
        loop {
            if let Err(e) = self.run_due(&db, clock.now()).await {
                tracing::warn!(error = %e, "the sender could not run");
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}
