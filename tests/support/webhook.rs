//! Signing deliveries as a sender does, computed here rather than with
//! Muster's own signer, so a fault in that cannot hide one in the checker.
use hmac::{Hmac, Mac};

/// Seconds since 1970, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64
}

/// `Stripe-Signature` for a body at time `t`, as Stripe computes it.
pub fn stripe_signature(secret: &str, body: &str, t: i64) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}
