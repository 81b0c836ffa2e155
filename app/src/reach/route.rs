//! Calls: who an incident reaches, and what happens when nobody answers.
//! Declaring calls the holder of each role the incident needs (its
//! commander, the roles its runbook lists, the roles its routing rules
//! name), the people the rules name, and posts to the channels they name.
//! A call carries a one-use acknowledge link; a role's call that is not
//! acknowledged in time goes to the role's next backup on the roster.
//! Every call, acknowledgement and escalation goes on the timeline. All of
//! it goes through the outbox, so a drill, the sandbox and staging call
//! nobody: the timeline then says whom they would have called.
use super::{db, Message, Place};
use crate::{error::AppError, roster, state::Db};
use chrono::{DateTime, Duration, Utc};
use sqlx::SqliteConnection;

pub use super::ack::{acknowledge, key_for_sending, look, new_ack_key, ACK_KEY};
pub use super::customers::to_customers;
pub(crate) use super::line::note;
pub use super::rules::{
    add_rule, remove_rule, routing, rules_for, Target, DEFAULT_ESCALATE_MINUTES,
};

/// How long an acknowledge link works.
pub const ACK_LINK_HOURS: i64 = 24;
/// Calls one declaration may make (roles, people and channels together).
pub const MAX_CALLS: usize = 30;

/// The incident a call is about, as its messages say it (never a payload
/// or a secret): a headline (severity and title, DRILL first in a drill)
/// and a few lines (severity, status, how long it has been open).
pub struct About {
    pub incident_id: i64,
    pub drill: bool,
    pub headline: String,
    pub text: String,
}

impl About {
    pub fn new(
        incident_id: i64,
        (title, severity, status): (&str, &str, &str),
        drill: bool,
        declared_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        let severity = severity.to_uppercase();
        Self {
            incident_id,
            drill,
            headline: format!("{}[{severity}] {title}", if drill { "DRILL " } else { "" }),
            text: format!(
                "Incident #{incident_id}: {title}\nSeverity {severity} · status {status} · open for {}",
                crate::clock::elapsed(declared_at, now)
            ),
        }
    }

    fn subject(&self, why: &str) -> String {
        format!("{}: {why}", self.headline)
    }
}

fn link(place: &Place<'_>, incident_id: i64) -> String {
    format!(
        "{}/incidents/{incident_id}",
        place.public_url.trim_end_matches('/')
    )
}

/// A role of the incident: its id, name and who holds it now.
#[derive(Clone, Debug)]
pub struct Held {
    pub role_id: i64,
    pub role: String,
    pub person: Option<i64>,
}

/// The channel calls to people go out on: the first enabled email channel
/// that is not for customers.
async fn people_channel(tx: &mut SqliteConnection) -> Result<Option<super::Channel>, sqlx::Error> {
    Ok(db::list(tx)
        .await?
        .into_iter()
        .find(|c| c.enabled && !c.for_customers && c.kind == super::Kind::Email))
}

/// How a call is asked for.
pub struct Ask<'a> {
    pub person_id: i64,
    /// The role it is for, and the person's rank among its holders.
    pub role: Option<(&'a Held, i64)>,
    pub reason: &'static str,
    /// Minutes until it goes to the next backup; none for no escalation.
    pub escalate_minutes: Option<i64>,
}

/// Calls one person: the call, its message in the outbox, and a line on
/// the timeline (or, when they cannot be reached, a line saying why).
pub async fn call(
    tx: &mut SqliteConnection,
    place: &Place<'_>,
    about: &About,
    ask: Ask<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(roster::db::Contact { name, email }) =
        roster::db::contact(&mut *tx, ask.person_id).await?
    else {
        return Ok(());
    };
    let role_name = ask.role.map(|(h, _)| h.role.clone()).unwrap_or_default();
    let as_role = if role_name.is_empty() {
        String::new()
    } else {
        format!(" as {role_name}")
    };
    let channel = people_channel(tx).await?;
    let Some(channel) = channel.filter(|_| !email.is_empty()) else {
        let why = if email.is_empty() {
            "they have no email address on the roster"
        } else {
            "no email channel is set up for people"
        };
        note(
            tx,
            about.incident_id,
            format!("Could not call {name}{as_role}: {why}."),
            now,
        )
        .await?;
        return Ok(());
    };
    // The key that acknowledges is made when the message is sent (see
    // `sender`): until then the call holds the hash of a key nobody has,
    // and the queued message a placeholder, so no key that can act is ever
    // stored, in the database or a backup.
    let (_, key_hash) = new_ack_key();
    let subject = about.subject(&format!("you are called{as_role}"));
    let ack = format!(
        "{}/ack?key={ACK_KEY}",
        place.public_url.trim_end_matches('/')
    );
    let body = format!(
        "{}\n\nAcknowledge this call (one use, for {ACK_LINK_HOURS} hours): {ack}{}",
        about.text,
        match ask.escalate_minutes {
            Some(m) => format!(
                "\nWithout an acknowledgement within {m} minutes, the next backup is called."
            ),
            None => String::new(),
        }
    );
    let (role_id, rank) = ask
        .role
        .map_or((None, 0), |(h, rank)| (Some(h.role_id), rank));
    let new_call = db::NewCall {
        incident_id: about.incident_id,
        person_id: ask.person_id,
        person_name: &name,
        role_id,
        role_name: &role_name,
        rank,
        reason: ask.reason,
        drill: about.drill,
        subject: &about.headline,
        about: &about.text,
        key_hash: &key_hash,
        escalate_minutes: ask.escalate_minutes.unwrap_or(DEFAULT_ESCALATE_MINUTES),
        escalate_at: ask.escalate_minutes.map(|m| now + Duration::minutes(m)),
        expires_at: now + Duration::hours(ACK_LINK_HOURS),
        created_at: now,
    };
    let call_id = db::add_call(tx, &new_call).await?;
    let message = Message {
        purpose: "call",
        incident_id: Some(about.incident_id),
        to: email.clone(),
        subject,
        body,
        link: Some(link(place, about.incident_id)),
        call_id: Some(call_id),
    };
    let (_, withheld) = db::enqueue(
        tx,
        &channel,
        &message,
        (place.environment, about.drill),
        now,
    )
    .await?;
    let text = match super::withheld_because(place.environment, about.drill) {
        Some(why) if withheld => format!(
            "Would have called {name}{as_role} at {email} by {} (not sent: {why}).",
            channel.name
        ),
        _ => format!("Calling {name}{as_role} at {email} by {}.", channel.name),
    };
    note(tx, about.incident_id, text, now).await?;
    Ok(())
}

/// Posts about an incident to a channel (a routing rule names it).
pub async fn post(
    tx: &mut SqliteConnection,
    place: &Place<'_>,
    about: &About,
    channel_id: i64,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(stored) = db::get(tx, channel_id).await? else {
        return Ok(());
    };
    if stored.channel.for_customers {
        // A rule saved before customer channels were refused as targets,
        // or a channel marked for customers since: never posted to.
        let text = format!(
            "Did not post to {}: a channel for customers receives only approved notices.",
            stored.channel.name
        );
        note(tx, about.incident_id, text, now).await?;
        return Ok(());
    }
    let message = Message {
        purpose: "call",
        incident_id: Some(about.incident_id),
        to: String::new(),
        subject: about.subject(why),
        body: about.text.clone(),
        link: Some(link(place, about.incident_id)),
        call_id: None,
    };
    let (_, withheld) = db::enqueue(
        tx,
        &stored.channel,
        &message,
        (place.environment, about.drill),
        now,
    )
    .await?;
    let text = match super::withheld_because(place.environment, about.drill) {
        Some(reason) if withheld => format!(
            "Would have posted to {} (not sent: {reason}).",
            stored.channel.name
        ),
        _ => format!("Posting to {}.", stored.channel.name),
    };
    note(tx, about.incident_id, text, now).await?;
    Ok(())
}

/// The holder's rank among the role's roster holders (0 when not there).
async fn rank_of(tx: &mut SqliteConnection, role_id: i64, person: i64) -> Result<i64, sqlx::Error> {
    let holders = roster::db::holders(&mut *tx, role_id).await?;
    Ok(holders.iter().position(|p| *p == person).unwrap_or(0) as i64)
}

/// Everyone a new incident reaches, in the declaring transaction:
/// `needed` are the roles it calls anyway (its commander, its runbook's
/// roles); the routing rules of its runbook or alert rule add more.
pub async fn on_declare(
    tx: &mut SqliteConnection,
    place: &Place<'_>,
    about: &About,
    held: &[Held],
    needed: &[i64],
    (runbook_id, alert_rule_id): (Option<i64>, Option<i64>),
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    // A Muster with no channel reaches nobody, and says nothing of it.
    if !db::any_channel(tx).await? {
        return Ok(());
    }
    let rules = rules_for(tx, runbook_id, alert_rule_id).await?;
    let mut roles: Vec<(i64, i64)> = needed
        .iter()
        .map(|r| (*r, DEFAULT_ESCALATE_MINUTES))
        .collect();
    for (target, minutes) in &rules {
        if let Target::Role(r) = target {
            match roles.iter_mut().find(|(id, _)| id == r) {
                Some(found) => found.1 = *minutes,
                None => roles.push((*r, *minutes)),
            }
        }
    }
    let mut made = 0;
    let mut called: Vec<i64> = Vec::new();
    for (role_id, minutes) in roles {
        let Some(h) = held.iter().find(|h| h.role_id == role_id) else {
            continue;
        };
        made += 1;
        if made > MAX_CALLS {
            break;
        }
        let Some(person) = h.person else {
            note(
                tx,
                about.incident_id,
                format!("Nobody holds {}: nobody to call.", h.role),
                now,
            )
            .await?;
            continue;
        };
        // A drill's players have no backups to escalate to.
        let rank = if about.drill {
            0
        } else {
            rank_of(tx, role_id, person).await?
        };
        called.push(person);
        let ask = Ask {
            person_id: person,
            role: Some((h, rank)),
            reason: "declared",
            escalate_minutes: (!about.drill).then_some(minutes),
        };
        call(tx, place, about, ask, now).await?;
    }
    for (target, _) in rules {
        made += 1;
        if made > MAX_CALLS {
            break;
        }
        match target {
            Target::Person(p) if !called.contains(&p) => {
                called.push(p);
                let ask = Ask {
                    person_id: p,
                    role: None,
                    reason: "rule",
                    escalate_minutes: None,
                };
                call(tx, place, about, ask, now).await?;
            }
            Target::Channel(c) => post(tx, place, about, c, "declared", now).await?,
            _ => {}
        }
    }
    Ok(())
}

/// Calls the new holder of a role handed over during an incident.
pub async fn on_handoff(
    tx: &mut SqliteConnection,
    place: &Place<'_>,
    about: &About,
    held: &Held,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(person) = held.person else {
        return Ok(());
    };
    if !db::any_channel(tx).await? {
        return Ok(());
    }
    // The calls for this role so far are over: the role has a new holder.
    db::close_role_calls(tx, about.incident_id, held.role_id).await?;
    let ask = Ask {
        person_id: person,
        role: Some((held, 0)),
        reason: "handoff",
        escalate_minutes: None,
    };
    call(tx, place, about, ask, now).await
}

/// Moves every call whose time ran out without an acknowledgement on to
/// the role's next backup (or says on the timeline that nobody is left).
/// Returns how many calls escalated.
pub async fn escalate_due(
    db: &Db,
    place: &Place<'_>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let due = db::calls_to_escalate(&db.read, now).await?;
    let mut moved = 0;
    for c in due {
        let mut tx = db.write.begin().await?;
        // Checked again as it is taken: the incident may have been resolved
        // since the read (resolving closes its calls, so this finds none).
        if !db::take_for_escalation(&mut tx, c.id).await? {
            continue;
        }
        moved += 1;
        let Some(role_id) = c.role_id else {
            tx.commit().await?;
            continue;
        };
        let holders = roster::db::holders(&mut *tx, role_id).await?;
        let next = holders.get(c.rank as usize + 1).copied();
        let missed = format!(
            "{} did not acknowledge the call as {} within {} minutes",
            c.person_name, c.role_name, c.escalate_minutes
        );
        match next {
            Some(person) => {
                let backup = roster::db::person_name(&mut *tx, person)
                    .await?
                    .unwrap_or_default();
                note(
                    tx.as_mut(),
                    c.incident_id,
                    format!("{missed}: calling {backup}, backup {}.", c.rank + 1),
                    now,
                )
                .await?;
                let held = Held {
                    role_id,
                    role: c.role_name.clone(),
                    person: Some(person),
                };
                let about = About {
                    incident_id: c.incident_id,
                    drill: c.drill,
                    headline: c.subject.clone(),
                    text: c.about.clone(),
                };
                let ask = Ask {
                    person_id: person,
                    role: Some((&held, c.rank + 1)),
                    reason: "escalated",
                    escalate_minutes: Some(c.escalate_minutes),
                };
                call(tx.as_mut(), place, &about, ask, now).await?;
            }
            None => {
                note(
                    tx.as_mut(),
                    c.incident_id,
                    format!("{missed}, and {} has no backup left to call.", c.role_name),
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(moved)
}
