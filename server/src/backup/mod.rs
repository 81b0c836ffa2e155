//! Backups: a consistent copy of the database while Muster serves,
//! compressed and sealed under a backup key that is kept apart from the
//! backups; checked by opening it whole (integrity, schema, the audit
//! chain against the anchor in its header); restored without ever leaving
//! a half-written database.
mod create;
mod db;
pub mod drill;
pub mod format;
mod open;
pub mod schedule;

pub use create::create;
pub use open::{restore, verify, Report};

use base64::{engine::general_purpose::STANDARD, Engine};
use format::Key;
use std::path::{Path, PathBuf};

/// The environment variable that holds the backup key (base64).
pub const KEY_VARIABLE: &str = "MUSTER_BACKUP_KEY";

/// Where a database's backup key lives unless told otherwise: beside the
/// database, never beside the backups.
pub fn default_key_file(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".backup-key");
    PathBuf::from(name)
}

fn decode(text: &str, from: &str) -> Result<Key, String> {
    crate::keys::decode_32(text, from).map(Key)
}

/// Where the key comes from, in order: `MUSTER_BACKUP_KEY`, the key file
/// named, the default key file. `made` is set when a new default key file
/// was written (only when `create_missing`).
pub struct KeySource<'a> {
    pub variable: Option<String>,
    pub file: Option<&'a Path>,
    pub default_file: Option<PathBuf>,
    pub create_missing: bool,
}

/// The backup key, and the file it was read from (none from the variable).
pub fn load_key(source: KeySource<'_>) -> Result<(Key, Option<PathBuf>, bool), String> {
    if let Some(text) = source.variable.filter(|t| !t.trim().is_empty()) {
        return Ok((decode(&text, KEY_VARIABLE)?, None, false));
    }
    let path = match (source.file, source.default_file) {
        (Some(f), _) => f.to_path_buf(),
        (None, Some(d)) => d,
        (None, None) => {
            return Err(format!(
                "no backup key: set {KEY_VARIABLE} or name the key file with --key-file"
            ))
        }
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((
            decode(&text, &path.display().to_string())?,
            Some(path),
            false,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && source.create_missing => {
            let mut bytes = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
            crate::keys::write_private(&path, &STANDARD.encode(bytes))
                .map_err(|e| format!("cannot write the backup key {}: {e}", path.display()))?;
            Ok((Key(bytes), Some(path), true))
        }
        Err(e) => Err(format!(
            "cannot read the backup key {}: {e}",
            path.display()
        )),
    }
}

/// Refuses a key file kept in the same folder as the backup: whoever
/// takes the backups would take the key with them.
pub fn check_apart(key_file: Option<&Path>, backup: &Path) -> Result<(), String> {
    let Some(key) = key_file else {
        return Ok(());
    };
    let folder = |p: &Path| {
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf())
    };
    if folder(key) == folder(backup) {
        return Err(format!(
            "the backup key {} is in the folder the backup goes to; keep the key apart from the backups \
             (another folder, or {KEY_VARIABLE})",
            key.display()
        ));
    }
    Ok(())
}

/// A path beside `path` with a suffix (`muster.db` → `muster.db.SUFFIX`).
pub(crate) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Scratch files beside `path` named `PATH.KIND-PID` (with `end` after
/// the pid) whose process is gone: a create, restore or drill that was
/// killed. Removed (a drill's is a folder); a live process's are left
/// alone. Only where /proc tells.
pub(crate) fn clear_stale(path: &Path, kind: &str, end: &str) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!("{}.{kind}-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let pid = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(end))
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    let _ = std::fs::remove_dir_all(e.path());
                } else {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Deletes a file when dropped, unless kept.
pub(crate) struct Scratch {
    pub path: PathBuf,
    pub keep: bool,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
            for end in ["-wal", "-shm", "-journal"] {
                let mut p = self.path.as_os_str().to_owned();
                p.push(end);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
    }
}
