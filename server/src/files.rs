//! Files Muster writes hold incidents, unredacted uploads and backups:
//! they are for the account Muster runs as alone. The process's file mode
//! mask is set once at start, before anything is opened, so every file it
//! creates (the database and its -wal and -shm, uploads, restored
//! databases, exports) is 0600 and every folder 0700, whatever the mask it
//! was started with.

/// Makes every file and folder this process creates from now on private
/// to its owner (mask 077). Called first thing in `main`.
pub fn private_from_now_on() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// The prefix of an upload's file while it is read (beside the database).
pub const UPLOAD_PREFIX: &str = ".muster-upload-";

/// Removes uploads left in `dir` by a Muster that was killed while it
/// read them (they hold unredacted payloads). Returns how many it removed.
pub fn clear_left_uploads(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(UPLOAD_PREFIX))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}
