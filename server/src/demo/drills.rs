//! The demo's three drill scenarios, one for each demo runbook, saved as
//! version 1 by the demo editor.
use app::{
    drills::{Audience, Check, Expectation, Inject, Scenario},
    notices::Stage,
    plans::{db, db::Author, Kind},
};
use std::collections::BTreeMap;

/// (offset in minutes, title, body, audience role names (empty: everyone),
/// expectations: (text, check, within minutes)).
type InjectSpec = (
    u32,
    &'static str,
    &'static str,
    &'static [&'static str],
    Vec<(&'static str, Check, Option<u32>)>,
);

const COMMANDER: &str = "Incident Commander";
const COMMS: &str = "Communications Lead";
const OPS: &str = "Operations Lead";
const SECURITY: &str = "Security Lead";

fn commander() -> Check {
    Check::RoleAssigned {
        role: COMMANDER.into(),
    }
}

fn notice(stage: Stage) -> Check {
    Check::NoticePublished { stage: Some(stage) }
}

/// (title, runbook title, minutes, roles, description, injects)
type ScenarioSpec = (
    &'static str,
    &'static str,
    u32,
    &'static [&'static str],
    &'static str,
    Vec<InjectSpec>,
);

fn scenarios() -> Vec<ScenarioSpec> {
    vec![
        (
            "Checkout down: the payment provider fails",
            "Payment provider outage",
            45,
            &[COMMANDER, COMMS, OPS, "Scribe"],
            "A Friday evening: card payments start failing at checkout. Rehearses confirming it \
             is the provider, stopping the retry storm and keeping customers informed.",
            vec![
                (
                    0,
                    "Alert: checkout error rate 38%",
                    "**PagerDuty** · `checkout-errors` fired at 18:02.\n\n> Error rate on \
                     `POST /checkout/charge`: 38% (threshold 5%). Stripe answers `502`.",
                    &[],
                    vec![("Commander assigned within 5 minutes", commander(), Some(5))],
                ),
                (
                    5,
                    "Customer email: my card was declined twice",
                    "From: jo@example.com\n\n> I tried to pay three times and got charged... \
                     or not? Is something wrong with your site?",
                    &[COMMS],
                    vec![(
                        "Communications Lead publishes an investigating notice within 15 minutes",
                        notice(Stage::Investigating),
                        Some(15),
                    )],
                ),
                (
                    12,
                    "Audit event: retry worker queue at 40,000",
                    "`payments.retry` queue depth 40,112 and rising; each retry calls Stripe again.",
                    &[OPS],
                    vec![
                        (
                            "Retry storm stopped (runbook step 4) within 10 minutes",
                            Check::StepDone { step: 4 },
                            Some(10),
                        ),
                        (
                            "A decision on degraded checkout is recorded (#decision)",
                            Check::Decision,
                            Some(15),
                        ),
                    ],
                ),
                (
                    30,
                    "Stripe status: fix deployed, monitoring",
                    "status.stripe.com: *A fix has been implemented and we are monitoring the results.*",
                    &[],
                    vec![(
                        "The team confirms recovery before the all-clear",
                        Check::Manual,
                        None,
                    )],
                ),
            ],
        ),
        (
            "A Stripe secret key leaks from a Zapier zap",
            "Leaked API key in an automation",
            40,
            &[COMMANDER, SECURITY, OPS, COMMS],
            "A secret key shows up in a shared zap's run history. Rehearses finding where the \
             key is used, rotating it without breaking automations, and checking for misuse.",
            vec![
                (
                    0,
                    "Chat message: is this key supposed to be in the zap log?",
                    "#automation · *Sam*: the run history of **Refund sync** shows `sk_live_…` \
                     in the request headers. Should it?",
                    &[],
                    vec![("Commander assigned within 5 minutes", commander(), Some(5))],
                ),
                (
                    8,
                    "Audit event: refunds created from an unknown IP",
                    "Stripe `charge.refunded` ×14 in 3 minutes, request from `203.0.113.9`, \
                     not one of the automation's addresses.",
                    &[SECURITY],
                    vec![
                        (
                            "Key revoked or rotated (runbook step 4) within 10 minutes",
                            Check::StepDone { step: 4 },
                            Some(10),
                        ),
                        (
                            "Decision on disclosure recorded (#decision)",
                            Check::Decision,
                            Some(20),
                        ),
                    ],
                ),
                (
                    20,
                    "Zapier: three zaps failing with 401",
                    "Refund sync, Invoice mailer and Churn report fail: `401 Invalid API Key`.",
                    &[OPS],
                    vec![(
                        "Automations updated (runbook step 5) within 15 minutes",
                        Check::StepDone { step: 5 },
                        Some(15),
                    )],
                ),
            ],
        ),
        (
            "A webhook loop floods the order system",
            "Webhook flood or misfire",
            30,
            &[COMMANDER, OPS, COMMS],
            "An automation answers its own webhooks: thousands of duplicate orders an hour. \
             Rehearses pausing the sender, stopping duplicate side effects and reconciling.",
            vec![
                (
                    0,
                    "Alert: 4,000 order webhooks in 10 minutes",
                    "`orders.created` webhook rate 400/min (normal: 6/min), one sender: Pipedream.",
                    &[],
                    vec![("Commander assigned within 5 minutes", commander(), Some(5))],
                ),
                (
                    6,
                    "Warehouse: the same order is being packed five times",
                    "From the warehouse lead: *we have 5 pick lists for order 10432*.",
                    &[OPS],
                    vec![(
                        "The source is paused (runbook step 4) within 10 minutes",
                        Check::StepDone { step: 4 },
                        Some(10),
                    )],
                ),
                (
                    15,
                    "Customer email: I was charged five times",
                    "From: alex@example.com\n\n> Five confirmation emails and five charges for one order.",
                    &[COMMS],
                    vec![(
                        "An investigating notice is published within 15 minutes",
                        notice(Stage::Investigating),
                        Some(15),
                    )],
                ),
            ],
        ),
    ]
}

/// Saves the scenarios, naming runbooks and roles by their demo titles.
pub async fn insert(tx: &mut sqlx::SqliteConnection, editor: &Author) -> Result<(), sqlx::Error> {
    let roles: BTreeMap<String, i64> = app::roster::db::role_names(&mut *tx)
        .await?
        .into_iter()
        .map(|(id, name)| (name, id))
        .collect();
    let role = |name: &str| {
        roles
            .get(name)
            .copied()
            .ok_or_else(|| sqlx::Error::Protocol(format!("no demo role {name}")))
    };
    for (title, runbook, minutes, players, description, injects) in scenarios() {
        let runbook = db::find_by_title(&mut *tx, Kind::Runbook, runbook).await?;
        let mut made = Vec::new();
        for (n, (offset, title, body, audience, expectations)) in injects.into_iter().enumerate() {
            made.push(Inject {
                id: n as u32 + 1,
                offset_s: offset * 60,
                title: title.into(),
                body: body.into(),
                audience: if audience.is_empty() {
                    Audience::Everyone
                } else {
                    Audience::Roles(audience.iter().map(|r| role(r)).collect::<Result<_, _>>()?)
                },
                expectations: expectations
                    .into_iter()
                    .enumerate()
                    .map(|(m, (text, check, within))| Expectation {
                        id: m as u32 + 1,
                        text: text.into(),
                        check,
                        within_minutes: within,
                    })
                    .collect(),
            });
        }
        let scenario = Scenario {
            title: title.into(),
            tags: vec!["demo".into()],
            description: description.into(),
            runbook,
            planned_minutes: minutes,
            roles: players.iter().map(|r| role(r)).collect::<Result<_, _>>()?,
            injects: made,
        }
        .checked()
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let runbook_title = match runbook {
            Some(id) => db::title(&mut *tx, Kind::Runbook, id)
                .await?
                .unwrap_or_default(),
            None => String::new(),
        };
        db::create(
            &mut *tx,
            Kind::Scenario,
            &scenario.index(&runbook_title),
            &scenario,
            editor,
            "Demo scenario",
        )
        .await?;
    }
    Ok(())
}

/// One completed drill of the webhook scenario two days ago, with what
/// its players did, how each expectation went, and its report: what the
/// drills page and its report look like after a real drill.
pub async fn insert_completed(
    tx: &mut sqlx::SqliteConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    use app::{
        drills::{
            db::{self as runs, ClockChange, NewRun},
            run::advance,
        },
        roster::db as roster,
    };
    use chrono::Duration;
    let failed = |e: app::error::AppError| sqlx::Error::Protocol(e.to_string());
    let scenario = db::find_by_title(
        &mut *tx,
        Kind::Scenario,
        "A webhook loop floods the order system",
    )
    .await?
    .ok_or(sqlx::Error::RowNotFound)?;
    let editor = app::auth::db::users::id_by_email(&mut *tx, "editor@demo.muster")
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let mut players = Vec::new();
    for (role, person) in [
        (COMMANDER, "Ada Admin"),
        (OPS, "Sam Ortiz"),
        (COMMS, "Priya Shah"),
    ] {
        let role = roster::role_id(&mut *tx, role).await?;
        let person = roster::person_id(&mut *tx, person).await?;
        players.push(role.zip(person).ok_or(sqlx::Error::RowNotFound)?);
    }
    let t0 = now - Duration::days(2);
    let real = |seconds: i64| t0 + Duration::seconds(seconds);
    let run = runs::create(
        &mut *tx,
        &NewRun {
            scenario_id: scenario,
            facilitator_id: editor,
            facilitator: "Eli Editor",
            players: &players,
            scheduled_for: Some(t0),
            author: "Eli Editor",
            at: t0 - Duration::days(3),
        },
    )
    .await
    .map_err(failed)?;
    let stored = runs::get(&mut *tx, run)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    // At 10x: a real minute is ten minutes of the drill.
    let incident = runs::start(
        &mut *tx,
        &stored,
        t0,
        1000,
        "Eli Editor",
        // The demo has no channels: its drill reaches nobody, and says so
        // nowhere.
        &app::reach::Place {
            environment: app::environment::Environment::Sandbox,
            public_url: "",
        },
    )
    .await
    .map_err(failed)?;
    advance(&mut *tx, run, real(0)).await.map_err(failed)?;
    advance(&mut *tx, run, real(36)).await.map_err(failed)?;
    let virtual_at = |minutes: i64| t0 + Duration::minutes(minutes);
    app::incidents::db::tick(&mut *tx, incident, 4, true, "Sam Ortiz", virtual_at(8)).await?;
    let decision = app::timeline::NewEntry::new(
        app::timeline::Kind::Note,
        "Pause the Pipedream workflow rather than rate-limit: it stops the duplicates at the source. #decision",
        "Ada Admin",
        virtual_at(9),
    );
    app::timeline::db::append(
        &mut *tx,
        app::timeline::Subject::Incident(incident),
        decision,
    )
    .await?;
    advance(&mut *tx, run, real(96)).await.map_err(failed)?;
    advance(&mut *tx, run, real(181)).await.map_err(failed)?;
    let stored = runs::get(&mut *tx, run)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    runs::change_clock(&mut *tx, &stored, ClockChange::End, real(181), "Eli Editor")
        .await
        .map_err(failed)?;
    advance(&mut *tx, run, real(181)).await.map_err(failed)?;
    runs::set_report_notes(
        &mut *tx,
        run,
        "Sam paused the source two minutes after the warehouse call, well inside the target.\nThe decision to pause rather than rate-limit was written down with its reason.",
        "Nobody published a customer notice: the communications lead waited for the commander's go-ahead.\nThe notice template for duplicate charges needs pre-approval.",
    )
    .await?;
    let priya = roster::person_id(&mut *tx, "Priya Shah")
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let item = app::actions::NewItem {
        title: "Write and pre-approve a 'duplicate charges: investigating' notice".into(),
        owner: priya,
        due_on: (now + Duration::days(14)).date_naive(),
        priority: app::actions::Priority::High,
        ticket_url: String::new(),
    };
    app::actions::db::add(
        &mut *tx,
        app::actions::db::Source::Run(run),
        &item,
        "user:editor@demo.muster",
        now - Duration::days(2),
    )
    .await
    .map_err(failed)?;
    Ok(())
}
