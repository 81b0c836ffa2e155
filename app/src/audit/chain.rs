//! The hash chain: each entry's hash covers its own content and the hash of
//! the entry before it, so changing or removing any earlier row breaks
//! every hash after it.
use super::Entry;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over the entry's canonical content: a JSON array of its fields
/// in a fixed order (JSON strings escape unambiguously, so no two
/// different entries share a canonical form).
pub fn hash(e: &Entry) -> String {
    let canonical = serde_json::json!([
        e.id,
        e.at,
        e.actor,
        e.action,
        e.target,
        e.request_id,
        e.outcome,
        e.reason,
        e.prev_hash
    ])
    .to_string();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Why an entry does not fit the chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Break {
    /// Its content no longer matches its hash (it was edited).
    Content,
    /// It does not follow the entry before it (an entry was removed,
    /// inserted or reordered).
    Link,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Content => "its content does not match its hash (it was changed)",
            Self::Link => {
                "it does not follow the entry before it (an entry was removed, added or moved)"
            }
        })
    }
}

/// Checks one entry against the previous one (or the start of the log).
pub fn check(prev: Option<&Entry>, e: &Entry) -> Result<(), Break> {
    let (expected_prev, expected_id) = match prev {
        Some(p) => (p.hash.as_str(), p.id + 1),
        None => (GENESIS, e.id),
    };
    if e.prev_hash != expected_prev || e.id != expected_id {
        return Err(Break::Link);
    }
    if hash(e) != e.hash {
        return Err(Break::Content);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, prev: &str, action: &str) -> Entry {
        let mut e = Entry {
            id,
            at: "2026-11-26T08:00:00.000000Z".into(),
            actor: "user:ic@example.com".into(),
            action: action.into(),
            target: "note:1".into(),
            request_id: "r-1".into(),
            outcome: "allowed".into(),
            reason: String::new(),
            prev_hash: prev.into(),
            hash: String::new(),
        };
        e.hash = hash(&e);
        e
    }

    #[test]
    fn a_chain_of_untouched_entries_checks_out() {
        let first = entry(1, GENESIS, "note.add");
        let second = entry(2, &first.hash, "user.sign_in");
        assert_eq!(check(None, &first), Ok(()));
        assert_eq!(check(Some(&first), &second), Ok(()));
        assert_eq!(first.hash.len(), 64);
    }

    #[test]
    fn an_edited_entry_no_longer_matches_its_hash() {
        let first = entry(1, GENESIS, "note.add");
        let mut edited = first.clone();
        edited.actor = "user:someone-else@example.com".into();
        assert_eq!(check(None, &edited), Err(Break::Content));
    }

    #[test]
    fn a_removed_entry_breaks_the_link_of_the_next() {
        let first = entry(1, GENESIS, "note.add");
        let second = entry(2, &first.hash, "note.add");
        let third = entry(3, &second.hash, "note.add");
        assert_eq!(check(Some(&first), &third), Err(Break::Link));
    }

    #[test]
    fn fields_cannot_be_shifted_between_columns() {
        let mut a = entry(1, GENESIS, "x");
        a.actor = "a\",\"b".into();
        a.hash = hash(&a);
        let mut b = entry(1, GENESIS, "x");
        b.actor = "a".into();
        b.action = "b\",\"x".into();
        assert_ne!(hash(&a), hash(&b));
    }
}
