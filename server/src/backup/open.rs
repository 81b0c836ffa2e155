//! `muster backup verify` and `restore`: a backup is opened whole into a
//! file of its own, then held to its header: the database's SHA-256,
//! SQLite's integrity check, the schema version, and the audit chain
//! checked end to end against the anchor the header carries. Restore
//! opens it beside the target, so putting it in place is one rename; it
//! never replaces a database without `--replace`, and keeps the one it
//! replaces as `TARGET.replaced`.
use super::{
    beside,
    db::{holdings, integrity_check, schema_of, truncate_wal},
    format::{self, Header, Key, Opener, Refusal},
    sync_dir, Scratch,
};
use crate::{cli::commands::Failure, db};
use sha2::{Digest, Sha256};
use std::{
    io::{Read, Write},
    path::Path,
};

/// What a good backup holds.
#[derive(Debug)]
pub struct Report {
    pub header: Header,
    pub accounts: i64,
    pub runbooks: i64,
    pub incidents: i64,
    pub timeline_entries: i64,
    pub events: i64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = &self.header;
        write!(
            f,
            "Made {} by Muster {} (schema {}); the database ({} bytes) passes its integrity check and \
             its audit chain of {} entries holds to the anchor {}.\nHolds {} accounts, {} runbooks, \
             {} incidents, {} timeline entries, {} audit events.",
            app::ui::when(h.created_at),
            h.muster,
            h.schema,
            h.database_bytes,
            h.audit_entries,
            h.audit_anchor
                .as_ref()
                .map_or("(none: an empty log)".to_owned(), |(id, hash)| format!("{id}:{hash}")),
            self.accounts,
            self.runbooks,
            self.incidents,
            self.timeline_entries,
            self.events
        )
    }
}

fn refused(file: &Path, r: Refusal) -> Failure {
    Failure(format!("{}: {r}", file.display()), 1)
}

/// Opens `file` into `into` (a new file) and checks it against its header.
async fn open_into(file: &Path, key: &Key, into: &Path) -> Result<Report, Failure> {
    let mut input = std::io::BufReader::new(
        std::fs::File::open(file)
            .map_err(|e| Failure(format!("cannot read {}: {e}", file.display()), 1))?,
    );
    let (header, aad) = format::read_header(&mut input).map_err(|r| refused(file, r))?;
    let opener = Opener::new(input, key, &header, aad).map_err(|r| refused(file, r))?;
    let mut plain = flate2::read::GzDecoder::new(opener);
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(into)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = plain
            .read(&mut buf)
            .map_err(|e| match format::refusal_of(&e) {
                Some(r) => refused(file, r),
                None => Failure(
                    format!(
                        "{}: its content is not what Muster writes ({e})",
                        file.display()
                    ),
                    1,
                ),
            })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
    out.sync_all()?;
    drop(out);
    let sha = hex::encode(hasher.finalize());
    if total != header.database_bytes || sha != header.database_sha256 {
        return Err(Failure(
            format!(
                "{}: the database inside does not match its checksum ({total} bytes, SHA-256 {sha}; the header says {} bytes, {})",
                file.display(),
                header.database_bytes,
                header.database_sha256
            ),
            1,
        ));
    }
    check(file, into, header).await
}

/// Holds the opened database to the header.
async fn check(file: &Path, opened: &Path, header: Header) -> Result<Report, Failure> {
    let bad = |why: String| Failure(format!("{}: {why}", file.display()), 1);
    let mut conn = db::open_read_only(opened).await?;
    let integrity = integrity_check(&mut conn).await?;
    if integrity != "ok" {
        return Err(bad(format!(
            "the database inside fails SQLite's integrity check: {integrity}"
        )));
    }
    let schema = schema_of(&mut conn).await?;
    if schema != header.schema {
        return Err(bad(format!(
            "the database inside is at schema {schema}, the header says {}",
            header.schema
        )));
    }
    if schema > db::latest_known_version() {
        return Err(bad(format!(
            "it was made by a newer Muster (schema {schema}; this Muster knows up to {})",
            db::latest_known_version()
        )));
    }
    let audit = app::audit::db::verify(&mut conn).await?;
    if let Some((id, why)) = audit.first_bad {
        return Err(bad(format!("its audit log is broken at entry {id}: {why}")));
    }
    if audit.anchor != header.audit_anchor || audit.entries as u64 != header.audit_entries {
        return Err(bad(format!(
            "its audit log does not end at the anchor in its header ({} entries, last {:?}; the header says {} entries, last {:?})",
            audit.entries, audit.anchor, header.audit_entries, header.audit_anchor
        )));
    }
    let held = holdings(&mut conn).await?;
    Ok(Report {
        accounts: held.accounts,
        runbooks: held.runbooks,
        incidents: held.incidents,
        timeline_entries: held.timeline_entries,
        events: held.events,
        header,
    })
}

fn beside_raw(path: &Path, end: &str) -> std::path::PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(end);
    p.into()
}

/// Folds a database's WAL into its file, so the file alone is all of it.
async fn fold_wal(path: &Path) -> Result<(), Failure> {
    use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .map_err(|e| {
            Failure(
                format!("cannot open {} to set it aside: {e}", path.display()),
                1,
            )
        })?;
    truncate_wal(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Opens a backup in a private temporary folder and checks it whole.
pub async fn verify(file: &Path, key: &Key) -> Result<Report, Failure> {
    let dir = tempfile::Builder::new()
        .prefix("muster-verify-")
        .tempdir()
        .map_err(|e| Failure(format!("cannot make a temporary folder: {e}"), 1))?;
    open_into(file, key, &dir.path().join("verify.db")).await
}

/// Restores `file` to `target`. With `replace`, an existing target (and
/// its WAL files) is moved to `TARGET.replaced` first, and moved back if
/// the restored database does not open.
pub async fn restore(
    file: &Path,
    target: &Path,
    replace: bool,
    key: &Key,
) -> Result<Report, Failure> {
    let exists = target.exists();
    if exists && !replace {
        return Err(Failure(
            format!(
                "{} exists; restoring over it needs --replace (it is then kept as {})",
                target.display(),
                beside(target, "replaced").display()
            ),
            2,
        ));
    }
    super::clear_stale(target, "restoring", "");
    let mut restoring = Scratch {
        path: beside(target, &format!("restoring-{}", std::process::id())),
        keep: false,
    };
    let _ = std::fs::remove_file(&restoring.path);
    let report = open_into(file, key, &restoring.path).await?;
    let kept = beside(target, "replaced");
    if exists {
        // The old database is kept whole as TARGET.replaced (a second name
        // for the same file), its WAL folded in first; then one rename puts
        // the restored file in its place. Killed at any moment, TARGET is
        // either the old database or the restored one, never neither.
        fold_wal(target).await?;
        let _ = std::fs::remove_file(&kept);
        std::fs::hard_link(target, &kept)
            .or_else(|_| std::fs::copy(target, &kept).map(|_| ()))
            .map_err(|e| Failure(format!("cannot keep {} aside: {e}", target.display()), 1))?;
        for end in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(beside_raw(target, end));
        }
    }
    std::fs::rename(&restoring.path, target)
        .map_err(|e| Failure(format!("cannot put the restored database in place: {e}"), 1))?;
    restoring.keep = true;
    if let Some(dir) = target.parent() {
        sync_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        });
    }
    match db::open(target).await {
        Ok(opened) => {
            opened.db.close().await;
            Ok(report)
        }
        Err(e) => {
            if exists {
                let _ = std::fs::rename(&kept, target);
            } else {
                let _ = std::fs::remove_file(target);
            }
            Err(Failure(
                format!(
                    "the restored database does not open ({e}); {} is as it was",
                    target.display()
                ),
                1,
            ))
        }
    }
}
