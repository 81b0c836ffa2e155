//! The key that seals TOTP secrets. It never goes in the database: it
//! comes from MUSTER_SECRET_KEY, or from a key file beside the database
//! that Muster creates on first start, readable by its owner only.
mod db;

use app::sealing::SecretKey;
use base64::{engine::general_purpose::STANDARD, Engine};
use std::path::{Path, PathBuf};

pub fn key_file(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// 32 bytes written in base64 (a key), or why not, naming where from.
pub(crate) fn decode_32(text: &str, from: &str) -> Result<[u8; 32], String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| format!("{from} is not base64"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{from} holds {} bytes; it must hold 32", b.len()))
}

fn decode(text: &str, from: &str) -> Result<SecretKey, String> {
    decode_32(text, from).map(SecretKey::from_bytes)
}

/// The configured key, the one in the key file, or a new one written there.
pub fn load(configured: Option<&str>, database: &Path) -> Result<SecretKey, String> {
    if let Some(text) = configured {
        return decode(text, "setting MUSTER_SECRET_KEY (--secret-key)");
    }
    let path = key_file(database);
    match std::fs::read_to_string(&path) {
        Ok(text) => decode(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretKey::generate();
            write_private(&path, &STANDARD.encode(key.as_bytes()))
                .map_err(|e| format!("cannot write the key file {}: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("cannot read the key file {}: {e}", path.display())),
    }
}

/// A sibling of the key file (`muster.db.key.new`, `.old`).
fn beside(key: &Path, suffix: &str) -> PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Seals every TOTP secret under a new key: the new key is written beside
/// the old (`.key.new`); in one transaction each secret is opened with the
/// old key, sealed with the new, and read back and opened again before
/// anything is committed; then the old key file becomes `.key.old`, the new
/// one takes its place and is read back from disk and checked against a
/// stored secret; only then is `.key.old` removed. A secret the old key
/// cannot open stops it all, with nothing changed. Returns how many
/// secrets were sealed anew.
pub async fn rotate(db: &app::state::Db, database: &Path) -> Result<usize, String> {
    let path = key_file(database);
    let shown = path.display().to_string();
    let old = match std::fs::read_to_string(&path) {
        Ok(text) => decode(&text, &shown)?,
        Err(e) => return Err(format!("cannot read the key file {shown}: {e}")),
    };
    let new = SecretKey::generate();
    let fresh = beside(&path, ".new");
    let kept = beside(&path, ".old");
    // A .new left by a rotation that stopped half-way is replaced.
    let _ = std::fs::remove_file(&fresh);
    write_private(&fresh, &STANDARD.encode(new.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", fresh.display()))?;
    let undo = |why: String| {
        let _ = std::fs::remove_file(&fresh);
        why
    };
    let sealed = reseal(db, &old, &new).await.map_err(undo)?;
    std::fs::rename(&path, &kept).map_err(|e| format!("cannot move {shown} aside: {e}"))?;
    std::fs::rename(&fresh, &path).map_err(|e| {
        format!(
            "cannot put the new key in place ({e}); the old key is in {}",
            kept.display()
        )
    })?;
    let on_disk = load(None, database)?;
    let check = app::auth::mfa::db::any_secret(&db.read)
        .await
        .map_err(|e| e.to_string())?;
    if check.is_some_and(|s| on_disk.open(&s).is_none()) {
        return Err(format!(
            "the new key file does not open the secrets; the old key is kept in {}",
            kept.display()
        ));
    }
    std::fs::remove_file(&kept).map_err(|e| format!("cannot remove {}: {e}", kept.display()))?;
    Ok(sealed)
}

async fn reseal(db: &app::state::Db, old: &SecretKey, new: &SecretKey) -> Result<usize, String> {
    use app::auth::mfa::db::{sealed_secrets, set_sealed_secret, SealedSecret};
    let fail = |e: sqlx::Error| format!("the database: {e}");
    let mut tx = db.write.begin().await.map_err(fail)?;
    let secrets = sealed_secrets(&mut tx).await.map_err(fail)?;
    for SealedSecret { user_id, sealed } in &secrets {
        let plain = old.open(sealed).ok_or_else(|| {
            format!(
                "the key file does not open the secret of account {user_id}; nothing was changed"
            )
        })?;
        let again = new
            .seal(&plain)
            .ok_or("sealing failed; nothing was changed")?;
        set_sealed_secret(&mut tx, *user_id, &again)
            .await
            .map_err(fail)?;
    }
    // Read back inside the transaction: every secret opens with the new key
    // to what the old one held.
    for (before, after) in secrets
        .iter()
        .zip(sealed_secrets(&mut tx).await.map_err(fail)?)
    {
        if new.open(&after.sealed) != old.open(&before.sealed) {
            return Err(format!(
                "the secret of account {} did not read back; nothing was changed",
                before.user_id
            ));
        }
    }
    let keys = reseal_keys(&mut tx, old, new).await?;
    let entry = app::audit::NewEntry::new(
        "cli",
        "keys.rotate",
        "key file",
        app::audit::Outcome::Allowed,
        chrono::Utc::now(),
    )
    .because(format!(
        "{} secret(s) and {keys} key(s) sealed under a new key",
        secrets.len()
    ));
    app::audit::db::record(&mut tx, entry, "")
        .await
        .map_err(fail)?;
    tx.commit().await.map_err(fail)?;
    Ok(secrets.len() + keys)
}

/// The keys Muster made for itself (the events' fingerprint key), sealed
/// anew and read back in the caller's transaction. How many.
async fn reseal_keys(
    tx: &mut sqlx::SqliteConnection,
    old: &SecretKey,
    new: &SecretKey,
) -> Result<usize, String> {
    let fail = |e: sqlx::Error| format!("the database: {e}");
    let keys = db::all(&mut *tx).await.map_err(fail)?;
    for db::SealedKey { name, sealed } in &keys {
        let plain = old.open(sealed).ok_or_else(|| {
            format!("the key file does not open the key {name}; nothing was changed")
        })?;
        let again = new
            .seal(&plain)
            .ok_or("sealing failed; nothing was changed")?;
        db::set(&mut *tx, name, &again).await.map_err(fail)?;
        let back = db::sealed(&mut *tx, name).await.map_err(fail)?;
        if new.open(&back).as_deref() != Some(plain.as_slice()) {
            return Err(format!(
                "the key {name} did not read back; nothing was changed"
            ));
        }
    }
    Ok(keys.len())
}

pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("m.db");
        let first = load(None, &db).unwrap();
        let again = load(None, &db).unwrap();
        assert_eq!(first.as_bytes(), again.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_file(&db))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_bad_configured_key_says_what_is_wrong_without_showing_it() {
        let err = load(Some("c2hvcnQ="), Path::new("x.db")).unwrap_err();
        assert_eq!(
            err,
            "setting MUSTER_SECRET_KEY (--secret-key) holds 5 bytes; it must hold 32"
        );
        assert!(!err.contains("c2hvcnQ"));
        let key = STANDARD.encode([7u8; 32]);
        assert_eq!(
            load(Some(&key), Path::new("x.db")).unwrap().as_bytes(),
            &[7u8; 32]
        );
    }
}
