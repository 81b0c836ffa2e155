//! Sealing secrets (TOTP seeds, webhook and channel secrets, event
//! fingerprint keys) with a key that lives outside the database
//! (XChaCha20-Poly1305): a copy of the database alone opens none of them.
use chacha20poly1305::{
    aead::{Aead, AeadCore, KeyInit, OsRng},
    XChaCha20Poly1305, XNonce,
};
use std::fmt;

/// 32 bytes from the settings. Its Debug never shows it.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(redacted)")
    }
}

const NONCE: usize = 24;

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn generate() -> Self {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&key);
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A fresh random nonce followed by the ciphertext.
    pub fn seal(&self, plaintext: &[u8]) -> Option<Vec<u8>> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(cipher.encrypt(&nonce, plaintext).ok()?);
        Some(out)
    }

    /// `None` when the data was not sealed with this key or was altered.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE);
        XChaCha20Poly1305::new((&self.0).into())
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_unaltered() {
        let key = SecretKey::generate();
        let sealed = key.seal(b"totp secret").unwrap();
        assert!(
            !sealed.windows(11).any(|w| w == b"totp secret"),
            "not in clear"
        );
        assert_eq!(key.open(&sealed).unwrap(), b"totp secret");
        assert_eq!(SecretKey::generate().open(&sealed), None);
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(key.open(&altered), None);
        assert_ne!(
            key.seal(b"totp secret").unwrap(),
            sealed,
            "a new nonce each time"
        );
        assert_eq!(format!("{key:?}"), "SecretKey(redacted)");
    }
}
