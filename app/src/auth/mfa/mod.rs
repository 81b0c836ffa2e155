//! Two-step sign-in with TOTP: enrol with a QR code and confirm with a
//! code, recovery codes for a lost phone, a second step at sign-in, and an
//! admin switch that makes it mandatory for editors and admins.
mod api;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod recovery;
#[cfg(feature = "ssr")]
pub mod totp;
mod view;

pub use api::{ConfirmMfa, DisableMfa, MyMfa, SetRequireMfa, StartMfa, VerifyMfa};
pub use view::{MfaSection, MfaSignInPage, RequireMfaForm};

use super::User;
use serde::{Deserialize, Serialize};

/// Put on a request by the server when its session has passed the
/// password but not yet the second step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingMfa {
    pub session_id: i64,
    pub user: User,
}

/// Put on a request when the caller's role must use two-step sign-in and
/// they have not set it up: only their account page is open to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MfaSetupRequired;

/// Whether two-step sign-in is on for me, and whether admins require it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatus {
    pub enabled: bool,
    pub required: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSetup {
    pub secret_base32: String,
    pub qr_svg: String,
}
