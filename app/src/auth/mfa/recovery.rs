//! Recovery codes: ten one-time codes for when the phone is lost. High
//! entropy (60 bits each), so a plain SHA-256 is enough to store them.
use sha2::{Digest, Sha256};

pub const COUNT: usize = 10;
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

pub fn new_codes() -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..COUNT)
        .map(|_| {
            let chars: String = (0..12)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
        })
        .collect()
}

/// The stored form: dashes, spaces and case do not matter when typed.
pub fn hash(code: &str) -> Vec<u8> {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normal.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_readable_and_forgiving_when_typed() {
        let codes = new_codes();
        assert_eq!(codes.len(), COUNT);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 14 && c.matches('-').count() == 2),
            "{codes:?}"
        );
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), COUNT);
        assert_eq!(
            hash(&codes[0]),
            hash(&codes[0].to_uppercase().replace('-', " "))
        );
        assert_ne!(hash(&codes[0]), hash(&codes[1]));
    }
}
