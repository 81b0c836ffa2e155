//! What `muster user`, `muster audit` and `muster plans` do.
use crate::{cli::DatabaseArg, db, settings};
use app::{
    audit::{self, NewEntry, Outcome},
    auth::{check_new_password, parse_display_name, password::Hasher, users, Email, Role},
};
use std::path::PathBuf;

/// A command's failure: the message for the person, and the exit code.
pub struct Failure(pub String, pub u8);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string(), 1)
    }
}

pub(crate) fn database(arg: DatabaseArg) -> Result<std::path::PathBuf, Failure> {
    settings::parse_database(arg.database).map_err(|e| Failure(e.to_string(), 2))
}

pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    pub password_repeat: String,
}

pub async fn user_add(arg: DatabaseArg, new: NewUser) -> Result<String, Failure> {
    let path = database(arg)?;
    let email = Email::parse(&new.email).map_err(|e| Failure(e.to_string(), 2))?;
    let name = parse_display_name(&new.name).map_err(|e| Failure(e.to_string(), 2))?;
    check_new_password(&new.password, &new.password_repeat)
        .map_err(|e| Failure(e.to_string(), 2))?;
    let opened = db::open(&path).await?;
    let hash = Hasher::default().hash(new.password).await?;
    let now = chrono::Utc::now();
    let mut tx = opened.db.write.begin().await?;
    let Some(user) = users::create(&mut *tx, &email, &name, &hash, new.role, now).await? else {
        return Err(Failure(
            format!("{} already has an account", email.as_str()),
            1,
        ));
    };
    let entry = NewEntry::new(
        "cli",
        "user.create",
        format!("user:{}", user.email),
        Outcome::Allowed,
        now,
    )
    .because(format!("muster user add ({})", new.role));
    audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    opened.db.close().await;
    Ok(format!(
        "Created {} {} ({}).",
        new.role, user.email, user.display_name
    ))
}

pub async fn audit_verify(arg: DatabaseArg, expect: Option<String>) -> Result<String, Failure> {
    let expect = expect.as_deref().map(parse_anchor).transpose()?;
    let path = database(arg)?;
    let mut conn = db::open_read_only(&path).await?;
    let result = audit::db::verify(&mut conn).await?;
    if let Some((id, why)) = result.first_bad {
        return Err(Failure(
            format!("Audit log broken at entry {id}: {why}."),
            1,
        ));
    }
    if let Some((id, hash)) = &expect {
        match audit::db::hash_of(&mut conn, *id).await? {
            None => {
                return Err(Failure(
                    format!("Audit log does not reach the anchor: entry {id} is gone (newer entries were removed)."),
                    1,
                ))
            }
            Some(stored) if &stored != hash => {
                return Err(Failure(
                    format!("Audit log does not match the anchor: entry {id} has another hash (the log was changed and its chain rebuilt)."),
                    1,
                ))
            }
            Some(_) => {}
        }
    }
    let anchor = match result.anchor {
        Some((id, hash)) => format!("\nAnchor: {id}:{hash}"),
        None => String::new(),
    };
    let held = match expect {
        Some((id, _)) => format!(" Entry {id} matches the anchor."),
        None => String::new(),
    };
    Ok(format!(
        "Audit log intact: {} entries, every hash matches.{held}{anchor}",
        result.entries
    ))
}

/// `ID:HASH`, as `muster audit verify` prints it.
fn parse_anchor(text: &str) -> Result<(i64, String), Failure> {
    let bad = || {
        Failure(
            format!("--expect: '{text}' is not an anchor; write it as ID:HASH, as `muster audit verify` prints it (a number, a colon and 64 hex digits)"),
            2,
        )
    };
    let (id, hash) = text.trim().split_once(':').ok_or_else(bad)?;
    let id: i64 = id.parse().ok().filter(|id| *id > 0).ok_or_else(bad)?;
    let hash = hash.to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok((id, hash))
}

/// Clears a person's two-step sign-in (secret, recovery codes) and ends
/// their sessions, recorded as done by `cli`.
pub async fn user_reset_mfa(arg: DatabaseArg, email: String) -> Result<String, Failure> {
    let path = database(arg)?;
    let email = Email::parse(&email).map_err(|e| Failure(e.to_string(), 2))?;
    let opened = db::open(&path).await?;
    let mut tx = opened.db.write.begin().await?;
    let Some(found) = users::credentials(&mut *tx, &email).await? else {
        return Err(Failure(format!("{} has no account", email.as_str()), 1));
    };
    let user = found.user;
    let had = app::auth::mfa::db::is_enabled(&mut *tx, user.id).await?;
    app::auth::mfa::db::disable(&mut tx, user.id).await?;
    app::auth::sessions::delete_for_user(&mut *tx, user.id, None).await?;
    let entry = NewEntry::new(
        "cli",
        "mfa.reset",
        format!("user:{}", user.email),
        Outcome::Allowed,
        chrono::Utc::now(),
    )
    .because(if had {
        "muster user reset-mfa"
    } else {
        "muster user reset-mfa (it was not on)"
    });
    audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    opened.db.close().await;
    Ok(if had {
        format!(
            "Two-step sign-in is off for {}; their sessions are ended. They sign in with their password and can set it up again.",
            user.email
        )
    } else {
        format!(
            "{} had no two-step sign-in; their sessions are ended.",
            user.email
        )
    })
}

/// Re-seals every sealed secret under a new key (see `keys::rotate`),
/// recorded as done by `cli`.
pub async fn keys_rotate(arg: DatabaseArg) -> Result<String, Failure> {
    let path = database(arg)?;
    if std::env::var_os("MUSTER_SECRET_KEY").is_some() {
        return Err(Failure(
            "the key comes from MUSTER_SECRET_KEY, not a key file: Muster cannot replace it. Unset it to use the key file, or keep the configured key".into(),
            2,
        ));
    }
    let opened = db::open(&path).await?;
    let rotated = crate::keys::rotate(&opened.db, &path)
        .await
        .map_err(|e| Failure(e, 1))?;
    opened.db.close().await;
    Ok(format!(
        "Sealed {} secret(s) under a new key in {}; the old key is gone.",
        rotated,
        crate::keys::key_file(&path).display()
    ))
}

/// Writes the plans file to `out`, or returns it for standard output.
pub async fn plans_export(arg: DatabaseArg, out: Option<PathBuf>) -> Result<String, Failure> {
    let path = database(arg)?;
    let mut conn = db::open_read_only(&path).await?;
    let text = app::plan_file::transfer::export(&mut conn).await?;
    match out {
        None => Ok(text.trim_end().to_owned()),
        Some(file) => {
            std::fs::write(&file, &text)
                .map_err(|e| Failure(format!("cannot write {}: {e}", file.display()), 1))?;
            Ok(format!("Wrote {}.", file.display()))
        }
    }
}

/// Checks the whole file, then stores it in one transaction, printing each
/// plan as it goes; a file with any problem is reported and nothing stored.
pub async fn plans_import(
    arg: DatabaseArg,
    file: PathBuf,
    author: Option<String>,
) -> Result<String, Failure> {
    use app::{plan_file::transfer, plans::db::Author};
    let path = database(arg)?;
    let text = std::fs::read_to_string(&file)
        .map_err(|e| Failure(format!("cannot read {}: {e}", file.display()), 2))?;
    let opened = db::open(&path).await?;
    let mut tx = opened.db.write.begin().await?;
    let checked = transfer::check(&mut tx, &text).await.map_err(|problems| {
        Failure(
            format!(
                "{} has problems; nothing was imported:\n{}",
                file.display(),
                problems
                    .iter()
                    .map(|p| format!("  {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            1,
        )
    })?;
    let author = match author {
        None => Author {
            name: "command line".into(),
            id: None,
            at: chrono::Utc::now(),
        },
        Some(email) => {
            let email = Email::parse(&email).map_err(|e| Failure(format!("--author: {e}"), 2))?;
            let found = users::credentials(&opened.db.read, &email).await?;
            let user = found
                .ok_or_else(|| {
                    Failure(
                        format!("--author: no account has the email {}", email.as_str()),
                        2,
                    )
                })?
                .user;
            Author {
                name: user.email,
                id: Some(user.id),
                at: chrono::Utc::now(),
            }
        }
    };
    let report = transfer::store(&mut tx, checked, &author, &mut |done, total, title| {
        eprintln!("[{done}/{total}] {title}");
    })
    .await?;
    let entry = NewEntry::new("cli", "plans.import", "plans", Outcome::Allowed, author.at)
        .because(format!("muster plans import: {}", report.summary()));
    audit::db::record(&mut tx, entry, "").await?;
    tx.commit().await?;
    opened.db.close().await;
    Ok(format!(
        "Imported {}: {}.",
        file.display(),
        report.summary()
    ))
}
