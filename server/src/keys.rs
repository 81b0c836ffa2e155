//! The key that seals TOTP secrets. It never goes in the database: it
//! comes from MUSTER_SECRET_KEY, or from a key file beside the database
//! that Muster creates on first start, readable by its owner only.
use app::auth::mfa::crypto::SecretKey;
use base64::{engine::general_purpose::STANDARD, Engine};
use std::path::{Path, PathBuf};

pub fn key_file(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

fn decode(text: &str, from: &str) -> Result<SecretKey, String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| format!("{from} is not base64"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{from} holds {} bytes; it must hold 32", b.len()))?;
    Ok(SecretKey::from_bytes(bytes))
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

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
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
