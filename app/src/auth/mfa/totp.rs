//! TOTP as RFC 6238 defines it: HMAC-SHA1, 30-second steps, 6 digits, and
//! one step of clock skew either way. The step a code matched is returned
//! so the caller can refuse a code that was already used.
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP: u64 = 30;
pub const DIGITS: usize = 6;
/// 160 bits, the length RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

pub fn new_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn totp(secret: &[u8], digits: usize) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, digits, 1, STEP, secret.to_vec()).ok()
}

pub fn code_at(secret: &[u8], unix_time: u64) -> Option<String> {
    totp(secret, DIGITS).map(|t| t.generate(unix_time))
}

/// Whether `code` is written as an authenticator app's code (six digits,
/// spaces allowed), not as a recovery code.
pub fn looks_like_app_code(code: &str) -> bool {
    let code = code.trim().replace(' ', "");
    code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// The time step whose code equals `code` (checking one step before and
/// after now), compared in constant time.
pub fn matching_step(secret: &[u8], code: &str, unix_time: u64) -> Option<u64> {
    if !looks_like_app_code(code) {
        return None;
    }
    let code = code.trim().replace(' ', "");
    let t = totp(secret, DIGITS)?;
    let now = unix_time / STEP;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|step| same(t.generate(step * STEP).as_bytes(), code.as_bytes()))
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The secret as authenticator apps type it in (base32).
pub fn base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// The secret back from its base32 form (as an app or a test reads it).
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    Secret::Encoded(text.trim().to_owned()).to_bytes().ok()
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn otpauth_url(secret_base32: &str, account: &str) -> String {
    let label: String = account
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!(
        "otpauth://totp/Muster:{label}?secret={secret_base32}&issuer=Muster&algorithm=SHA1&digits={DIGITS}&period={STEP}"
    )
}

/// The QR code of an address, as an SVG picture.
pub fn qr_svg(data: &str) -> String {
    qrcode::QrCode::new(data.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1, 8 digits.
        let rfc = totp(RFC_SECRET, 8).unwrap();
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(rfc.generate(time), code, "at {time}");
        }
        // Our six digits are the last six of the same value.
        assert_eq!(code_at(RFC_SECRET, 59).unwrap(), "287082");
    }

    #[test]
    fn a_code_matches_its_step_and_one_step_either_side() {
        let at = 1_111_111_111;
        let code = code_at(RFC_SECRET, at).unwrap();
        assert_eq!(matching_step(RFC_SECRET, &code, at), Some(at / STEP));
        assert_eq!(matching_step(RFC_SECRET, &code, at + STEP), Some(at / STEP));
        assert_eq!(matching_step(RFC_SECRET, &code, at - STEP), Some(at / STEP));
        assert_eq!(matching_step(RFC_SECRET, &code, at + 2 * STEP), None);
        assert_eq!(matching_step(RFC_SECRET, "12345", at), None);
        assert_eq!(matching_step(RFC_SECRET, "abcdef", at), None);
    }

    #[test]
    fn the_setup_address_and_picture_carry_the_secret() {
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
            RFC_SECRET
        );
        let url = otpauth_url(&base32(RFC_SECRET), "ic@example.com");
        assert!(
            url.starts_with("otpauth://totp/Muster:ic%40example.com?secret=GEZDGNBV"),
            "{url}"
        );
        let svg = qr_svg(&url);
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
        assert_eq!(new_secret().len(), SECRET_BYTES);
        assert_ne!(new_secret(), new_secret());
    }
}
