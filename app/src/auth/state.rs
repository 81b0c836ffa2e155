//! The access domain's own part of the server's state, provided to every
//! request beside the base `AppState` (which names no domain): how long
//! sessions live, password hashing, sign-in throttles, secrets shown once,
//! the key that seals TOTP secrets, and whether two-step sign-in is
//! required.
use super::{password::Hasher, reveal::Reveals, sessions::SessionPolicy, throttle::Throttle};
use crate::{error::AppError, sealing::SecretKey};
use std::sync::{atomic::AtomicBool, Arc};

#[derive(Clone, Debug)]
pub struct AuthState {
    pub sessions: SessionPolicy,
    pub hasher: Hasher,
    pub throttle: Throttle,
    pub reveals: Reveals,
    /// Seals TOTP secrets; from the settings, never stored in the database.
    pub secret_key: SecretKey,
    /// Whether editors and admins must use two-step sign-in (mirrors the
    /// stored setting so no request has to read it).
    pub require_mfa: Arc<AtomicBool>,
    /// Refusals and failed sign-ins, counted so a flood writes a bounded
    /// number of audit entries.
    pub refusals: crate::audit::refusals::Refusals,
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<Vec<super::client::Cidr>>,
}

impl AuthState {
    /// Default policies with this sealing key: `muster serve` and the tests
    /// both start here, then set what their settings say.
    pub fn new(secret_key: SecretKey) -> Self {
        Self {
            sessions: SessionPolicy::default(),
            hasher: Hasher::default(),
            throttle: Throttle::default(),
            reveals: Reveals::default(),
            secret_key,
            require_mfa: Default::default(),
            refusals: Default::default(),
            trusted_proxies: Default::default(),
        }
    }

    /// The part provided to this request.
    pub fn current() -> Result<Self, AppError> {
        leptos::prelude::use_context::<Self>()
            .ok_or_else(|| AppError::internal("AuthState missing from the request context"))
    }
}
