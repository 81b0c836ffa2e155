//! The demo payment outage's evidence and its published review. Stripe
//! events of the outage go through the real importer (redaction,
//! fingerprints, dedupe) and are linked to the incident; the review is
//! written from the record, cites entries and events, marks the key
//! moments, holds two action items, and is published by a named reviewer
//! who did not start it, as the approval rule asks.
use app::{
    actions::{db as actions, NewItem, Status},
    auth::db::users,
    error::AppError,
    events::import::{self, Options},
    reviews::{
        db::{self, flow},
        doc, Moment, State,
    },
    roster::db as roster,
    sealing::SecretKey,
    timeline::{db as timeline, Subject},
};
use chrono::{DateTime, Duration, Utc};
use sqlx::SqliteConnection;

const TITLE: &str = "Card payments failing at checkout";

/// The outage as Stripe told it: charges failing on the provider's side
/// from a little before the declaration, then succeeding again.
fn stripe_events(declared: DateTime<Utc>) -> String {
    let failed = [-9, -5, -1, 3, 7, 15, 24, 33, 41];
    let succeeded = [47, 58];
    let event = |n: usize, minutes: i64, ok: bool| {
        let at = (declared + Duration::minutes(minutes)).timestamp();
        let (kind, code, message, paid) = if ok {
            ("charge.succeeded", "null", "null", true)
        } else {
            (
                "charge.failed",
                "\"processing_error\"",
                "\"An error occurred while processing the card. Try again in a little bit.\"",
                false,
            )
        };
        format!(
            r#"{{"id":"evt_demo_outage_{n:02}","object":"event","api_version":"2024-06-20","created":{at},"type":"{kind}","livemode":true,"pending_webhooks":1,"request":{{"id":"req_demo_{n:02}","idempotency_key":"checkout-{n:02}"}},"data":{{"object":{{"id":"ch_demo_outage_{n:02}","object":"charge","amount":{amount},"currency":"eur","customer":"cus_demo_{n:02}","paid":{paid},"status":"{status}","failure_code":{code},"failure_message":{message},"outcome":{{"type":"{outcome}"}}}}}}}}"#,
            amount = 1900 + 100 * n,
            status = if ok { "succeeded" } else { "failed" },
            outcome = if ok {
                "authorized"
            } else {
                "issuer_not_available"
            },
        )
    };
    let all: Vec<String> = failed
        .iter()
        .map(|m| (*m, false))
        .chain(succeeded.iter().map(|m| (*m, true)))
        .enumerate()
        .map(|(n, (m, ok))| event(n, m, ok))
        .collect();
    format!("[{}]", all.join(",\n"))
}

/// Imports the outage's events, links five of them, and writes, reviews
/// and publishes the review.
pub async fn insert(
    db: &app::state::Db,
    sealing: &SecretKey,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let write = &db.write;
    let app::incidents::db::Titled {
        id: incident,
        declared_at: declared,
    } = app::incidents::db::titled(write, TITLE)
        .await
        .and_then(|found| found.ok_or(sqlx::Error::RowNotFound))
        .map_err(|e| e.to_string())?;
    let key = app::events::record::fingerprint_key(write, sealing).await?;
    let json = stripe_events(declared);
    let report = import::start(write, "stripe-outage-events.json", "demo", now, None)
        .await
        .map_err(|e| e.to_string())?
        .run(
            write,
            std::io::Cursor::new(json.into_bytes()),
            Options {
                format: None,
                mapping: Default::default(),
                key,
                now,
                max_records: app::events::import::DEFAULT_MAX_RECORDS,
            },
            |_| {},
        )
        .await
        .map_err(|e| e.to_string())?;
    if report.accepted != 11 {
        return Err(format!("the demo events: {} of 11 stored", report.accepted));
    }
    let mut tx = write.begin().await.map_err(|e| e.to_string())?;
    write_review(&mut tx, incident, declared)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}

/// What the demo wrote must be there: a lookup that finds nothing fails
/// as a query for one row would.
fn found(id: Option<i64>) -> Result<i64, AppError> {
    Ok(id.ok_or(sqlx::Error::RowNotFound)?)
}

async fn write_review(
    tx: &mut SqliteConnection,
    incident: i64,
    declared: DateTime<Utc>,
) -> Result<(), AppError> {
    let event = |n: usize| format!("evt_demo_outage_{n:02}");
    let mut events = Vec::new();
    for n in [0, 4, 6, 8, 9] {
        events.push(found(
            app::events::db::id_by_dedupe_key(tx, &event(n)).await?,
        )?);
    }
    let linked_at = declared + Duration::minutes(60);
    app::events::link::link(tx, incident, &events, "Sam Ortiz", linked_at).await?;
    let find = |text: &str| format!("{text}%");
    let mut ids = Vec::new();
    for text in [
        "Checkout errors at 38%",
        "status.stripe.com shows",
        "Retry worker paused",
        "Support had three tickets",
    ] {
        let id = timeline::first_like(tx, Subject::Incident(incident), &find(text)).await?;
        ids.push(found(id)?);
    }
    let (errors, status_page, paused, tickets) = (ids[0], ids[1], ids[2], ids[3]);
    let rae = found(users::id_by_email(&mut *tx, "responder@demo.muster").await?)?;
    let eli = found(users::id_by_email(&mut *tx, "editor@demo.muster").await?)?;
    // Written after the incident ended, reviewed and published the same day.
    let started = declared + Duration::minutes(110);
    let view = app::incidents::db::load(tx, incident, started, None)
        .await?
        .ok_or_else(|| AppError::NotFound("The demo incident".into()))?;
    let id = db::start(tx, &view, ("Rae Responder", Some(rae)), started).await?;
    let sections = [
        format!(
            "Card payments failed at checkout for about an hour and a half. Stripe's API answered a share of \
             charge requests with processing errors ([[event:{}]]), and about a third of checkouts failed. \
             The provider's status page confirmed the cause ([[entry:{status_page}]]); retries and dunning \
             emails were paused, three notices kept customers informed, and the failed charges were retried \
             once Stripe recovered ([[event:{}]]).",
            events[0], events[4]
        ),
        String::new(),
        "- Checkout depends on one payment provider, with no fallback path for renewals.\n\
         - The retry worker retried failed charges at once, adding load while the provider struggled.\n\
         - Dunning emails treated a provider error like a customer's declined card.\n\
         - Our alerting watched the checkout error rate, not the provider's error rate."
            .to_owned(),
        "- The runbook's first steps were done within twenty minutes.\n\
         - The first notice went out 16 minutes after the declaration, approved by a second person.\n\
         - Idempotency keys meant the retried charges caused no double charges."
            .to_owned(),
        "- Stripe's incident ended within the hour.\n\
         - It happened on a weekday morning, with the whole team online."
            .to_owned(),
        format!(
            "- Support heard about failing payments before our monitoring did ([[entry:{tickets}]]).\n\
             - Telling provider errors from card declines took reading raw events ([[event:{}]]).",
            events[2]
        ),
        "Alert on the provider's error rate as well as our own, and give renewals a fallback that does not \
         depend on one provider being up."
            .to_owned(),
    ];
    for (index, text) in sections.iter().enumerate() {
        if !text.is_empty() {
            db::save_section(tx, id, index, text, "Rae Responder", started).await?;
        }
    }
    let review = db::get(tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("The demo review".into()))?;
    for (entry, moment, note) in [
        (
            tickets,
            Moment::Detection,
            "Support noticed first, six minutes before the declaration.",
        ),
        (errors, Moment::Detection, ""),
        (status_page, Moment::Diagnosis, "The provider, not us."),
        (
            paused,
            Moment::Decision,
            "Stop retries and dunning until the provider recovers.",
        ),
    ] {
        db::mark(tx, &review, entry, false, note, Some(moment)).await?;
    }
    let today = started.date_naive();
    for (title, owner, days, priority, status) in [
        (
            "Alert on the payment provider's error rate, apart from card declines",
            "Sam Ortiz",
            14,
            "high",
            Status::InProgress,
        ),
        (
            "Write a renewal fallback for when the payment provider is down",
            "Priya Shah",
            30,
            "medium",
            Status::Open,
        ),
    ] {
        let owner = found(roster::person_id(&mut *tx, owner).await?)?;
        let due = (today + Duration::days(days)).to_string();
        let item = NewItem::checked(title, owner, &due, priority, "")?;
        let action = actions::add(
            tx,
            actions::Source::Review(id),
            &item,
            "Rae Responder",
            started,
        )
        .await?;
        if status != Status::Open {
            actions::set_status(tx, action, status, started).await?;
        }
    }
    flow::add_reviewer(tx, id, eli).await?;
    flow::set_state(tx, id, State::InReview, "Rae Responder", started).await?;
    let commented = declared + Duration::hours(3);
    flow::add_comment(
        tx,
        id,
        "factors",
        "Could we subscribe to the provider's status feed, so the diagnosis is not a person reading a page?",
        ("Eli Editor", Some(eli)),
        commented,
    )
    .await?;
    let published = declared + Duration::hours(4);
    let review = db::get(tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("The demo review".into()))?;
    let kept = doc::build(tx, &review, today, Some(("Eli Editor", published))).await?;
    let json = serde_json::to_string(&kept).map_err(AppError::internal)?;
    flow::keep_version(tx, id, review.version, &json, "Eli Editor", published).await?;
    flow::set_state(tx, id, State::Published, "Eli Editor", published).await
}
