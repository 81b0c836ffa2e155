//! Demo data loaded into a new database when asked, so a first start shows
//! a working example rather than empty pages: notes, and one account per
//! role whose passwords are printed on the command line (never in a page)
//! and kept in a file readable only by its owner beside the database.
use app::{
    audit::{self, NewEntry, Outcome},
    auth::{password::Hasher, sessions::new_token, users, Email, Role},
    notes::{db as notes, NoteBody},
    state::Db,
};
use chrono::{Duration, Utc};
use std::path::{Path, PathBuf};

const NOTES: &[(i64, &str)] = &[
    (
        180,
        "Stripe webhooks were retried for 20 minutes this morning; the backlog cleared by 06:40 UTC.",
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

/// Where the demo passwords are kept for later starts.
pub fn accounts_file(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".demo-accounts");
    PathBuf::from(name)
}

/// Inserts the demo rows in one transaction: all or nothing.
pub async fn load(db: &Db, hasher: &Hasher) -> Result<Vec<DemoAccount>, String> {
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
    insert(db, &hashes).await.map_err(|e| e.to_string())?;
    Ok(accounts)
}

async fn insert(db: &Db, hashes: &[String]) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    let mut tx = db.write.begin().await?;
    for ((email, name, role), hash) in ACCOUNTS.iter().zip(hashes) {
        let email = Email::parse(email).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        users::create(&mut *tx, &email, name, hash, *role).await?;
        let entry = NewEntry::new(
            "demo",
            "user.create",
            format!("user:{}", email.as_str()),
            Outcome::Allowed,
        )
        .because("demo data");
        audit::db::record(&mut tx, entry, "").await?;
    }
    insert_roster(&mut tx).await?;
    insert_plans(&mut tx).await?;
    for (minutes_ago, text) in NOTES {
        let body = NoteBody::parse(text).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        notes::insert(&mut *tx, &body, now - Duration::minutes(*minutes_ago)).await?;
    }
    tx.commit().await
}

async fn insert_roster(tx: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    use app::roster::{db, Person};
    let mut ids = std::collections::HashMap::new();
    for (name, team, email, phone, chat) in PEOPLE {
        let user: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?;
        let person = Person {
            id: 0,
            name: (*name).into(),
            team: (*team).into(),
            email: (*email).into(),
            phone: (*phone).into(),
            chat: (*chat).into(),
            account: None,
        };
        let id = db::save_person(&mut *tx, None, &person, user.map(|(id,)| id))
            .await?
            .ok_or_else(|| sqlx::Error::Protocol("demo person not saved".into()))?;
        ids.insert(*name, id);
    }
    for (role, names) in COVER {
        let (role_id,): (i64,) = sqlx::query_as("SELECT id FROM incident_roles WHERE name = ?")
            .bind(role)
            .fetch_one(&mut *tx)
            .await?;
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
async fn insert_plans(tx: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    use app::{
        plans::transfer,
        versions::{db, Kind},
    };
    let editor = account(tx, "editor@demo.muster").await?;
    let admin = account(tx, "admin@demo.muster").await?;
    let checked = transfer::check(tx, include_str!("demo_plans.json"))
        .await
        .map_err(|problems| sqlx::Error::Protocol(problems.join("; ")))?;
    transfer::store(tx, checked, &editor, &mut |_, _, _| {}).await?;
    for id in db::titles(tx, Kind::Template).await?.into_keys() {
        db::approve(tx, id, 1, &admin).await?;
    }
    Ok(())
}

async fn account(
    tx: &mut sqlx::SqliteConnection,
    email: &str,
) -> Result<app::versions::db::Author, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = ?")
        .bind(email)
        .fetch_one(&mut *tx)
        .await?;
    Ok(app::versions::db::Author {
        name: email.to_owned(),
        id: Some(id),
    })
}
