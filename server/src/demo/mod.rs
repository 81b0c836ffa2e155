//! Demo data loaded into a new database when asked, so a first start shows
//! a working example rather than empty pages: notes, and one account per
//! role whose passwords are printed on the command line (never in a page)
//! and kept in a file readable only by its owner beside the database.
mod drills;
mod review;

use app::{
    audit::{self, NewEntry, Outcome},
    auth::{password::Hasher, sessions::new_token, users, Email, Role},
    notes::{db as notes, NoteBody},
    state::Db,
};
use chrono::{DateTime, Duration, Utc};
use std::path::{Path, PathBuf};

const NOTES: &[(i64, &str)] = &[
    (
        180,
        "Stripe webhooks were retried for 20 minutes; the backlog cleared by {at-5} UTC.",
    ),
    (
        95,
        "The Zapier 'new order → Slack' zap uses a personal API key. Rotation is on the security board.",
    ),
    (
        20,
        "Quarterly tabletop drill next Thursday: payment provider outage. Comms lead is Priya.",
    ),
];

/// Name, team, email, phone, chat handle.
const PEOPLE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Ada Admin",
        "Platform",
        "admin@demo.muster",
        "+44 20 7946 0101",
        "@ada",
    ),
    (
        "Priya Shah",
        "Support",
        "priya@demo.muster",
        "+44 20 7946 0102",
        "@priya",
    ),
    (
        "Sam Ortiz",
        "Platform",
        "sam@demo.muster",
        "+44 20 7946 0103",
        "@sam",
    ),
    (
        "Lee Wong",
        "Security",
        "lee@demo.muster",
        "+44 20 7946 0104",
        "@lee",
    ),
    (
        "Rae Responder",
        "Payments",
        "responder@demo.muster",
        "+44 20 7946 0105",
        "@rae",
    ),
    (
        "Eli Editor",
        "Payments",
        "editor@demo.muster",
        "+44 20 7946 0106",
        "@eli",
    ),
    (
        "Noor Haddad",
        "Support",
        "noor@demo.muster",
        "+44 20 7946 0107",
        "@noor",
    ),
];

/// Role and its holders in order (primary first). Sam covers two roles on
/// purpose: the roster page shows that warning.
const COVER: &[(&str, &[&str])] = &[
    ("Incident Commander", &["Ada Admin", "Eli Editor"]),
    ("Communications Lead", &["Priya Shah", "Noor Haddad"]),
    ("Scribe", &["Noor Haddad", "Rae Responder"]),
    ("Operations Lead", &["Sam Ortiz", "Rae Responder"]),
    ("Security Lead", &["Lee Wong", "Sam Ortiz"]),
];

const ACCOUNTS: &[(&str, &str, Role)] = &[
    ("admin@demo.muster", "Ada Admin", Role::Admin),
    ("editor@demo.muster", "Eli Editor", Role::Editor),
    ("responder@demo.muster", "Rae Responder", Role::Responder),
    ("viewer@demo.muster", "Vic Viewer", Role::Viewer),
];

/// A demo account and its password.
pub struct DemoAccount {
    pub email: &'static str,
    pub role: Role,
    pub password: String,
}

/// A clock time as the demo's notes write it: "06:10" (UTC).
fn hh_mm(at: DateTime<Utc>) -> String {
    at.format("%H:%M").to_string()
}

/// Where the demo passwords are kept for later starts.
pub fn accounts_file(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".demo-accounts");
    PathBuf::from(name)
}

/// Inserts the demo rows in one transaction: all or nothing. Then the
/// outage's events go through the importer (which runs its own
/// transactions) and its review is written and published in one more.
///
/// Every date in the demo is counted from `now` (the state's clock), so a
/// test that sets the clock sees the same demo whatever the real date.
pub async fn load(
    db: &Db,
    hasher: &Hasher,
    sealing: &app::sealing::SecretKey,
    now: DateTime<Utc>,
) -> Result<Vec<DemoAccount>, String> {
    let mut accounts = Vec::new();
    let mut hashes = Vec::new();
    for (email, _, role) in ACCOUNTS {
        let password = new_token()[..20].to_owned();
        hashes.push(
            hasher
                .hash(password.clone())
                .await
                .map_err(|e| e.to_string())?,
        );
        accounts.push(DemoAccount {
            email,
            role: *role,
            password,
        });
    }
    insert(db, &hashes, now).await.map_err(|e| e.to_string())?;
    crate::demo::review::insert(db, sealing, now).await?;
    Ok(accounts)
}

async fn insert(db: &Db, hashes: &[String], now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = db.write.begin().await?;
    for ((email, name, role), hash) in ACCOUNTS.iter().zip(hashes) {
        let email = Email::parse(email).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        users::create(&mut *tx, &email, name, hash, *role, now).await?;
        let entry = NewEntry::new(
            "demo",
            "user.create",
            format!("user:{}", email.as_str()),
            Outcome::Allowed,
            now,
        )
        .because("demo data");
        audit::db::record(&mut tx, entry, "").await?;
    }
    insert_roster(&mut tx, now).await?;
    insert_plans(&mut tx, now).await?;
    insert_incident(&mut tx, now).await?;
    crate::demo::drills::insert_completed(&mut tx, now).await?;
    app::alerts::db::add_demo_rules(&mut tx, "demo", now)
        .await
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    for (minutes_ago, text) in NOTES {
        let at = now - Duration::minutes(*minutes_ago);
        // "{at-5}" in a note is a clock time five minutes before the note:
        // demo text follows the demo's own times, never a fixed hour.
        let text = text.replace("{at-5}", &hh_mm(at - Duration::minutes(5)));
        let body = NoteBody::parse(&text).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        notes::insert(&mut *tx, &body, at).await?;
    }
    tx.commit().await
}

async fn insert_roster(
    tx: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    use app::roster::{db, Person};
    let mut ids = std::collections::HashMap::new();
    for (name, team, email, phone, chat) in PEOPLE {
        let user = users::id_by_email(&mut *tx, email).await?;
        let person = Person {
            id: 0,
            name: (*name).into(),
            team: (*team).into(),
            email: (*email).into(),
            phone: (*phone).into(),
            chat: (*chat).into(),
            account: None,
        };
        let id = db::save_person(&mut *tx, None, &person, user, now)
            .await?
            .ok_or_else(|| sqlx::Error::Protocol("demo person not saved".into()))?;
        ids.insert(*name, id);
    }
    for (role, names) in COVER {
        let role_id = db::role_id(&mut *tx, role)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let order: Vec<i64> = names.iter().filter_map(|n| ids.get(n).copied()).collect();
        db::set_holders(tx, role_id, &order).await?;
    }
    Ok(())
}

/// Writes the accounts beside the database, readable by the owner only.
pub fn save_accounts(path: &Path, accounts: &[DemoAccount]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    for a in accounts {
        writeln!(
            file,
            "{:<10} {:<24} {}",
            a.role.as_str(),
            a.email,
            a.password
        )?;
    }
    Ok(())
}

/// Three runbooks and the payment outage's notices, written by the demo
/// editor through the same import a team would use, and the notices
/// approved by the demo admin (a second person), so they are ready to use.
async fn insert_plans(
    tx: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    use app::{
        plan_file::transfer,
        plans::{db, Kind},
    };
    let editor = account(tx, "editor@demo.muster", now).await?;
    let admin = account(tx, "admin@demo.muster", now).await?;
    let checked = transfer::check(tx, include_str!("plans.json"))
        .await
        .map_err(|problems| sqlx::Error::Protocol(problems.join("; ")))?;
    transfer::store(tx, checked, &editor, &mut |_, _, _| {}).await?;
    for id in db::titles(tx, Kind::Template).await?.into_keys() {
        db::approve(tx, id, 1, &admin).await?;
    }
    crate::demo::drills::insert(tx, &editor).await
}

async fn account(
    tx: &mut sqlx::SqliteConnection,
    email: &str,
    at: DateTime<Utc>,
) -> Result<app::plans::db::Author, sqlx::Error> {
    let id = users::id_by_email(&mut *tx, email)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    Ok(app::plans::db::Author {
        name: email.to_owned(),
        id: Some(id),
        at,
    })
}

/// The payment outage of this morning, resolved, with the full timeline a
/// team would have written: roles, ticks, a handoff, a caught-up note, a
/// correction, and notices drafted, approved by a second person and published.
async fn insert_incident(
    tx: &mut sqlx::SqliteConnection,
    now: chrono::DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    use app::{
        incidents::{db, Status},
        notices::{engine, NoticeTemplate},
        plans::{db as store, Kind},
        roster::db as roster,
        runbooks::{Runbook, Severity},
        timeline::{db::append, Kind as EntryKind, NewEntry, Subject},
    };
    let start = now - Duration::hours(5);
    let at = |minutes: i64| start + Duration::minutes(minutes);
    let runbook_id = store::find_by_title(tx, Kind::Runbook, "Payment provider outage")
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let book = store::get::<Runbook>(tx, Kind::Runbook, runbook_id, None)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let id = db::declare(
        tx,
        &db::Declaration {
            title: "Card payments failing at checkout",
            severity: Severity::Sev1,
            impact: "About a third of card payments fail at checkout; no orders are lost.",
            runbook: Some((runbook_id, book.info.version, &book.content)),
            author: "Rae Responder",
            at: start,
            drill: None,
        },
    )
    .await?;
    let subject = Subject::Incident(id);
    let note = |minutes: i64, author: &'static str, text: &'static str| (minutes, author, text);
    let first = format!(
        "Checkout errors at 38% since {}; Stripe API returns 502s for charges.",
        hh_mm(at(-8))
    );
    for (minutes, author, text) in [
        (2, "Rae Responder", first.as_str()),
        note(
            4,
            "Ada Admin",
            "status.stripe.com shows 'Elevated API error rates'. It is the provider, not us.",
        ),
        note(
            9,
            "Sam Ortiz",
            "Retry worker paused; dunning emails switched off.",
        ),
    ] {
        append(
            tx,
            subject,
            NewEntry::new(EntryKind::Note, text, author, at(minutes)),
        )
        .await?;
    }
    let mut early = NewEntry::new(
        EntryKind::Note,
        "Support had three tickets about failed payments before we declared.",
        "Noor Haddad",
        at(15),
    );
    early.happened_at = Some(at(-6));
    let early = append(tx, subject, early).await?.entry.id;
    let mut correction = NewEntry::new(
        EntryKind::Correction,
        "Five tickets, not three: two more came in by email.",
        "Noor Haddad",
        at(21),
    );
    correction.corrects = Some(early);
    append(tx, subject, correction).await?;
    let steps: Vec<u32> = book.content.steps.iter().map(|s| s.id).collect();
    for (n, step) in steps.iter().enumerate().take(9) {
        let minutes = [3, 8, 12, 16, 19, 25, 48, 70, 85][n];
        let who = [
            "Ada Admin",
            "Sam Ortiz",
            "Ada Admin",
            "Sam Ortiz",
            "Priya Shah",
            "Priya Shah",
            "Sam Ortiz",
            "Sam Ortiz",
            "Noor Haddad",
        ][n];
        db::tick(tx, id, *step, true, who, at(minutes)).await?;
    }
    let sam = roster::person_id(&mut *tx, "Sam Ortiz")
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let ops = roster::role_id(&mut *tx, "Operations Lead")
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    db::assign_role(
        tx,
        id,
        ops,
        Some((sam, "Sam Ortiz".into())),
        "Ada Admin",
        at(5),
    )
    .await?;
    db::set_status(tx, id, Status::Identified, "Ada Admin", at(11)).await?;
    let values = |next: Option<chrono::DateTime<Utc>>, resolved: Option<chrono::DateTime<Utc>>| {
        let mut v = std::collections::BTreeMap::from([
            ("customer_name".to_owned(), "there".to_owned()),
            ("company_name".to_owned(), "Example Ltd".to_owned()),
            (
                "incident_title".to_owned(),
                "Card payments failing at checkout".to_owned(),
            ),
            ("started_at".to_owned(), app::ui::when(at(-8))),
            (
                "impact".to_owned(),
                "About a third of card payments fail at checkout; no orders are lost.".to_owned(),
            ),
            (
                "affected_services".to_owned(),
                "Checkout, subscription renewals".to_owned(),
            ),
            (
                "workaround".to_owned(),
                "Retry in a few minutes, or pay by bank transfer.".to_owned(),
            ),
            (
                "status_page_url".to_owned(),
                "https://status.example.com".to_owned(),
            ),
        ]);
        if let Some(t) = next {
            v.insert("next_update_at".into(), app::ui::when(t));
        }
        if let Some(t) = resolved {
            v.insert("resolved_at".into(), app::ui::when(t));
        }
        v
    };
    // (template, minutes after declaration, next update promised at, resolved at)
    let published = [
        ("Payment outage: investigating", 13, Some(43), None),
        ("Payment outage: monitoring", 50, Some(110), None),
        ("Payment outage: resolved", 95, None, Some(92)),
    ];
    for (title, minutes, next, resolved) in published {
        let values = values(next.map(at), resolved.map(at));
        let template_id = store::find_by_title(tx, Kind::Template, title)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let template = store::get::<NoticeTemplate>(tx, Kind::Template, template_id, Some(1))
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let (subject, body) =
            engine::render(&template.content, &values).map_err(sqlx::Error::Protocol)?;
        let notice = db::draft_notice(
            tx,
            id,
            &db::Draft {
                template_id,
                template_version: 1,
                template: &template.content,
                subject: &subject,
                body: &body,
                next_update_at: next.map(at),
                author: "Priya Shah",
                author_id: None,
            },
            at(minutes),
        )
        .await?;
        db::approve_notice(tx, id, notice, "Ada Admin", at(minutes + 2)).await?;
        db::publish_notice(tx, id, notice, "Priya Shah", at(minutes + 3)).await?;
        if minutes == 50 {
            db::set_status(tx, id, Status::Monitoring, "Ada Admin", at(45)).await?;
        }
    }
    db::set_status(tx, id, Status::Resolved, "Ada Admin", at(92)).await?;
    let last = "Stripe closed their incident; failed charges retried in batches with idempotency keys. No double charges found.";
    append(
        tx,
        subject,
        NewEntry::new(EntryKind::Note, last, "Ada Admin", at(100)),
    )
    .await?;
    Ok(())
}
