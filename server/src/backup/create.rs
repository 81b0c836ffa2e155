//! `muster backup create`: SQLite's `VACUUM INTO` makes a consistent copy
//! while Muster serves (a file copy of a live WAL database is not one),
//! beside the database so the plain copy never leaves its folder; the
//! copy is checked, hashed, compressed and sealed into `OUT.partial`,
//! synced, and only then renamed to OUT. Killed at any point, it leaves
//! no OUT, and the database and earlier backups as they were.
use super::{
    beside,
    db::{schema_of, vacuum_into},
    format::{self, Header, Key, Sealer},
    sync_dir, Scratch,
};
use crate::{cli::commands::Failure, db};
use sha2::{Digest, Sha256};
use std::{
    io::{Read, Write},
    path::Path,
};

/// What a backup holds, as its header says.
pub struct Made {
    pub header: Header,
    pub bytes: u64,
}

/// Writes a sealed backup of `database` to `out` (which must not exist).
/// `progress` hears the plain bytes sealed so far.
pub async fn create(
    database: &Path,
    out: &Path,
    key: &Key,
    mut progress: impl FnMut(u64, u64),
) -> Result<Made, Failure> {
    if out.exists() {
        return Err(Failure(
            format!("{} already exists; name a new file", out.display()),
            2,
        ));
    }
    super::clear_stale(database, "backup", ".tmp");
    let copy = Scratch {
        path: beside(database, &format!("backup-{}.tmp", std::process::id())),
        keep: false,
    };
    let _ = std::fs::remove_file(&copy.path);
    let target = copy
        .path
        .to_str()
        .ok_or_else(|| Failure("the database path must be UTF-8".into(), 2))?
        .to_owned();
    let mut conn = db::open_read_only(database).await?;
    vacuum_into(&mut conn, &target).await?;
    drop(conn);

    let mut checked = db::open_read_only(&copy.path).await?;
    let schema = schema_of(&mut checked).await?;
    let audit = app::audit::db::verify(&mut checked).await?;
    drop(checked);
    if let Some((id, _)) = audit.first_bad {
        return Err(Failure(
            format!("the database's audit log is broken at entry {id}: run `muster audit verify` on it; no backup was written"),
            1,
        ));
    }
    let (bytes, sha) = hash_file(&copy.path)?;
    let mut nonce = [0u8; 19];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    let header = Header {
        format: format::FORMAT,
        muster: env!("CARGO_PKG_VERSION").to_owned(),
        schema,
        created_at: chrono::Utc::now(),
        audit_anchor: audit.anchor,
        audit_entries: audit.entries as u64,
        database_bytes: bytes,
        database_sha256: sha,
        compression: "gzip".into(),
        cipher: "xchacha20poly1305-stream-be32".into(),
        nonce: hex::encode(nonce),
        key_id: key.id(),
    };
    let partial = Scratch {
        path: beside(out, "partial"),
        keep: false,
    };
    // A partial file left by a create that was killed is never a backup.
    let _ = std::fs::remove_file(&partial.path);
    let written = seal(
        &copy.path,
        &partial.path,
        key,
        &header,
        &nonce,
        &mut progress,
    )
    .map_err(|e| Failure(format!("cannot write {}: {e}", partial.path.display()), 1))?;
    std::fs::rename(&partial.path, out)
        .map_err(|e| Failure(format!("cannot put {} in place: {e}", out.display()), 1))?;
    if let Some(dir) = out.parent() {
        sync_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        });
    }
    Ok(Made {
        header,
        bytes: written,
    })
}

fn hash_file(path: &Path) -> Result<(u64, String), Failure> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex::encode(hasher.finalize())))
}

/// Compresses and seals the copy into `to`, synced; its size.
fn seal(
    from: &Path,
    to: &Path,
    key: &Key,
    header: &Header,
    nonce: &[u8; 19],
    progress: &mut impl FnMut(u64, u64),
) -> std::io::Result<u64> {
    let mut input = std::fs::File::open(from)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    let aad = format::header_bytes(header);
    file.write_all(&aad)?;
    let sealer = Sealer::new(std::io::BufWriter::new(file), key, nonce, aad);
    let mut gz = flate2::write::GzEncoder::new(sealer, flate2::Compression::default());
    let mut buf = vec![0; 1 << 20];
    let mut done = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        gz.write_all(&buf[..n])?;
        done += n as u64;
        progress(done, header.database_bytes);
    }
    let file = gz
        .finish()?
        .finish()?
        .into_inner()
        .map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}
