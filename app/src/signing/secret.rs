//! Secrets for signed webhooks, in the form each scheme's senders expect:
//! made by Muster, or entered when the sender makes its own. Both webhook
//! sources (checking) and channels (signing) use them.
use super::Scheme;
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use rand::RngCore;

/// The longest secret accepted when entered.
pub const MAX_SECRET: usize = 200;
/// A new random secret in the form the scheme's senders expect.
pub fn generate(scheme: Scheme) -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    match scheme {
        // Standard Webhooks keys are the base64 after the prefix; Stripe's
        // are used whole, and look the same.
        Scheme::StandardWebhooks | Scheme::Stripe => format!("whsec_{}", STANDARD.encode(bytes)),
        Scheme::Github | Scheme::Slack | Scheme::Token => URL_SAFE_NO_PAD.encode(bytes),
    }
}

/// Checks a secret someone entered (what the sender's dashboard shows).
pub fn check_entered(scheme: Scheme, secret: &str) -> Result<(), String> {
    if secret.len() < 16 {
        return Err("too short (at least 16 characters)".into());
    }
    if secret.len() > MAX_SECRET {
        return Err(format!("too long (at most {MAX_SECRET} characters)"));
    }
    // Senders' secrets are printable ASCII (GitHub's may hold spaces).
    if !secret.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return Err("only letters, digits, spaces and punctuation".into());
    }
    match scheme {
        Scheme::Stripe if !secret.starts_with("whsec_") => {
            Err("a Stripe signing secret starts with whsec_".into())
        }
        Scheme::StandardWebhooks => match secret
            .strip_prefix("whsec_")
            .map(|b64| STANDARD.decode(b64))
        {
            Some(Ok(key)) if key.len() >= 16 => Ok(()),
            _ => Err("a Standard Webhooks secret is whsec_ and at least 16 bytes in base64".into()),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_secrets_have_their_schemes_shape_and_entered_ones_are_checked() {
        for scheme in Scheme::ALL {
            let made = generate(scheme);
            assert_eq!(check_entered(scheme, &made), Ok(()), "{scheme:?}");
            assert_ne!(made, generate(scheme));
        }
        assert!(generate(Scheme::StandardWebhooks).starts_with("whsec_"));
        assert_eq!(
            check_entered(Scheme::Stripe, "sk_live_0123456789abcdef"),
            Err("a Stripe signing secret starts with whsec_".into())
        );
        assert!(check_entered(Scheme::StandardWebhooks, "whsec_not base64!!!!").is_err());
        assert!(check_entered(Scheme::Token, "short")
            .unwrap_err()
            .contains("at least 16"));
        assert!(check_entered(Scheme::Token, &"x".repeat(201))
            .unwrap_err()
            .contains("at most 200"));
        assert_eq!(
            check_entered(Scheme::Github, "It's a Secret to Everybody"),
            Ok(())
        );
        assert!(check_entered(Scheme::Github, "a tab\tis not printable").is_err());
        assert!(check_entered(Scheme::Github, "ünïcödé sëcrët ïs nöt").is_err());
    }
}
