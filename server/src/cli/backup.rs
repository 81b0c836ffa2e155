//! The `muster backup` commands: a thin layer that finds the key and
//! reports, over [`backup::create`], [`backup::verify`] and [`backup::restore`].
use crate::backup::{self, check_apart, default_key_file, load_key, KeySource, KEY_VARIABLE};
use crate::cli::{commands::Failure, DatabaseArg};
use std::path::{Path, PathBuf};

fn key_from(
    file: Option<&Path>,
    default_file: Option<PathBuf>,
    create: bool,
) -> Result<(backup::format::Key, Option<PathBuf>, bool), Failure> {
    load_key(KeySource {
        variable: std::env::var(KEY_VARIABLE).ok(),
        file,
        default_file,
        create_missing: create,
    })
    .map_err(|e| Failure(e, 2))
}

pub async fn create(
    arg: DatabaseArg,
    out: PathBuf,
    key_file: Option<PathBuf>,
) -> Result<String, Failure> {
    let database = crate::cli::commands::database(arg)?;
    let (key, from, made) = key_from(key_file.as_deref(), Some(default_key_file(&database)), true)?;
    check_apart(from.as_deref(), &out).map_err(|e| Failure(e, 2))?;
    let mut bar: Option<crate::cli::import::Bar> = None;
    let made_backup = backup::create(&database, &out, &key, |done, total| {
        bar.get_or_insert_with(|| crate::cli::import::Bar::new(total, "backup"))
            .show(done, "sealed".into());
    })
    .await;
    if let Some(bar) = &bar {
        bar.end();
    }
    let m = made_backup?;
    let mut said = String::new();
    if made {
        if let Some(path) = &from {
            said.push_str(&format!(
                "Made a new backup key in {} (key id {}). Keep a copy of it somewhere safe and apart from the backups: without it no backup opens.\n",
                path.display(),
                key.id()
            ));
        }
    }
    said.push_str(&format!(
        "Wrote {} ({} bytes, sealed with backup key {}): a database of {} bytes at schema {}, audit anchor {}.",
        out.display(),
        m.bytes,
        key.id(),
        m.header.database_bytes,
        m.header.schema,
        m.header
            .audit_anchor
            .as_ref()
            .map_or("(an empty log)".to_owned(), |(id, hash)| format!("{id}:{hash}"))
    ));
    Ok(said)
}

pub async fn verify(file: PathBuf, key_file: Option<PathBuf>) -> Result<String, Failure> {
    let (key, _, _) = key_from(key_file.as_deref(), None, false)?;
    let report = backup::verify(&file, &key).await?;
    Ok(format!("{} is a good backup. {report}", file.display()))
}

pub async fn restore(
    file: PathBuf,
    arg: DatabaseArg,
    replace: bool,
    key_file: Option<PathBuf>,
) -> Result<String, Failure> {
    let target = crate::cli::commands::database(arg)?;
    let (key, _, _) = key_from(key_file.as_deref(), Some(default_key_file(&target)), false)?;
    let report = backup::restore(&file, &target, replace, &key).await?;
    Ok(format!(
        "Restored {} from {}. {report}",
        target.display(),
        file.display()
    ))
}

pub async fn drill(
    arg: DatabaseArg,
    file: Option<PathBuf>,
    backup_dir: Option<PathBuf>,
    key_file: Option<PathBuf>,
) -> Result<String, Failure> {
    let database = crate::cli::commands::database(arg)?;
    if !database.exists() {
        return Err(Failure(
            format!(
                "{} does not exist: a drill records its result in the database its backups protect",
                database.display()
            ),
            2,
        ));
    }
    let backup = match (file, backup_dir) {
        (Some(file), _) => file,
        (None, Some(dir)) => backup::drill::newest(&dir).ok_or_else(|| {
            Failure(
                format!("{} holds no scheduled backup (muster-*.mbk)", dir.display()),
                1,
            )
        })?,
        (None, None) => {
            return Err(Failure(
                "name the backup with --file, or the scheduled backups' folder with --backup-dir (MUSTER_BACKUP_DIR)".into(),
                2,
            ))
        }
    };
    let (key, _, _) = key_from(
        key_file.as_deref(),
        Some(default_key_file(&database)),
        false,
    )?;
    let opened = crate::db::open(&database).await?;
    let (ok, message, took) = backup::drill::run_and_record(
        &opened.db,
        &database,
        &backup,
        &key,
        ("cli", chrono::Utc::now()),
        crate::startup::router,
        |step| eprintln!("{step}"),
    )
    .await;
    opened.db.close().await;
    let took = took.num_milliseconds() as f64 / 1000.0;
    if ok {
        Ok(format!(
            "The restore drill on {} passed in {took:.1} s: {message}. Recorded in the audit log.",
            backup.display()
        ))
    } else {
        Err(Failure(
            format!(
                "The restore drill on {} failed after {took:.1} s: {message}. Recorded in the audit log.",
                backup.display()
            ),
            1,
        ))
    }
}
