//! Who is calling: accounts, roles, sessions, and the one guard every
//! server function and page goes through.
mod account;
mod admin;
mod api;
#[cfg(feature = "ssr")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod db;
pub mod guard;
pub mod mfa;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod reveal;
#[cfg(feature = "ssr")]
pub mod sessions;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
pub mod throttle;
mod tokens;
#[cfg(feature = "ssr")]
pub mod tokens_db;
mod view;

pub use account::{AccountPage, EndOtherSessions, MySessions};
pub use admin::{CreateAccount, ListAccounts, ResetPassword, SetDisabled, SetRole, UsersPage};
#[cfg(any(feature = "ssr", test))]
pub(crate) use api::safe_next;
#[cfg(feature = "ssr")]
pub(crate) use api::{record_refused, request_meta, start_session};
pub use api::{SetupFirstAdmin, SignIn, SignOut};
#[cfg(feature = "ssr")]
pub use db::users;
#[cfg(feature = "ssr")]
pub use state::AuthState;
pub use tokens::{CreateToken, ListTokens, RevokeToken, TokensPage};
pub use view::{caller_may, current_caller, Forbidden, SetupPage, SignInPage, UserMenu};

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Roles in increasing order of what they may do: each may do everything
/// the ones before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Responder,
    Editor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Viewer, Self::Responder, Self::Editor, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Responder => "responder",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("'{s}' is not one of admin, editor, responder, viewer"))
    }
}

/// A signed-in person, as pages and server functions see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// An account as the accounts page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user: User,
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_seen: Option<chrono::DateTime<chrono::Utc>>,
}

/// One of my sessions, as the sessions page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
    pub user_agent: String,
    pub client_addr: String,
    pub current: bool,
}

/// An API token as the tokens page lists it (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked: bool,
}

/// Who is making the request. Resolved once per request by the server and
/// read by the guard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Caller {
    #[default]
    Anonymous,
    User {
        user: User,
        session_id: i64,
    },
    /// An API token, acting with the role it was given, on behalf of the
    /// person who created it.
    Token {
        id: i64,
        name: String,
        role: Role,
        /// The account that created it (`None` for tokens whose creator's
        /// account no longer matches).
        owner: Option<i64>,
    },
}

impl Caller {
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Anonymous => None,
            Self::User { user, .. } => Some(user.role),
            Self::Token { role, .. } => Some(*role),
        }
    }

    pub fn user(&self) -> Option<&User> {
        match self {
            Self::User { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The person behind the call: the one signed in, or the one who
    /// created the token. Every rule about who did what uses this.
    pub fn person_id(&self) -> Option<i64> {
        match self {
            Self::Anonymous => None,
            Self::User { user, .. } => Some(user.id),
            Self::Token { owner, .. } => *owner,
        }
    }

    /// Who asks, for the two-person rule: only a person signed in approves.
    pub fn approver(&self) -> crate::approval::Approver {
        match self {
            Self::User { user, .. } => crate::approval::Approver::Person(user.id),
            _ => crate::approval::Approver::NotAPerson,
        }
    }

    /// How a timeline names this caller: a person by their display name
    /// (the audit log keeps the exact account), anything else as the audit
    /// log does.
    pub fn author(&self) -> String {
        match self {
            Self::User { user, .. } => user.display_name.clone(),
            other => other.audit_name(),
        }
    }

    /// How the audit log names this caller.
    pub fn audit_name(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".to_owned(),
            Self::User { user, .. } => format!("user:{}", user.email),
            Self::Token { name, .. } => format!("token:{name}"),
        }
    }
}

/// An email address, trimmed and checked for its basic shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let email = raw.trim();
        let bad = |why: &str| Err(AppError::invalid("Email", why));
        if email.is_empty() {
            return bad("enter an email address");
        }
        if email.len() > 254 || email.chars().any(char::is_whitespace) {
            return bad("is not a valid email address");
        }
        match email.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.') =>
            {
                Ok(Self(email.to_owned()))
            }
            _ => bad("is not a valid email address (it needs a name, an @ and a domain)"),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: what others see in rosters and timelines.
pub fn parse_display_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err(AppError::invalid(
            "Display name",
            "enter the name others should see",
        )),
        n if n > 100 => Err(AppError::invalid(
            "Display name",
            format!("is {n} characters long; the limit is 100"),
        )),
        _ => Ok(name.to_owned()),
    }
}

/// Checks a new password against the policy (length only: long passphrases
/// beat composition rules).
pub fn check_new_password(password: &str, confirm: &str) -> Result<(), AppError> {
    const MIN: usize = 12;
    const MAX: usize = 1024;
    let n = password.chars().count();
    if n < MIN {
        return Err(AppError::invalid(
            "Password",
            format!("must be at least {MIN} characters long (it has {n})"),
        ));
    }
    if n > MAX {
        return Err(AppError::invalid(
            "Password",
            format!("must be at most {MAX} characters long"),
        ));
    }
    if password != confirm {
        return Err(AppError::invalid(
            "Repeat password",
            "does not match the password",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_what_they_may_do() {
        assert!(
            Role::Admin > Role::Editor
                && Role::Editor > Role::Responder
                && Role::Responder > Role::Viewer
        );
        assert_eq!("Editor".parse::<Role>(), Ok(Role::Editor));
        assert!("owner"
            .parse::<Role>()
            .unwrap_err()
            .contains("admin, editor"));
    }

    #[test]
    fn emails_need_a_name_an_at_and_a_domain() {
        assert_eq!(
            Email::parse(" ops@example.com ").unwrap().as_str(),
            "ops@example.com"
        );
        for bad in [
            "",
            "ops",
            "ops@",
            "@example.com",
            "ops@example",
            "o ps@example.com",
            "ops@.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(err.to_string().starts_with("Email: "), "{bad}: {err}");
        }
    }

    #[test]
    fn passwords_need_twelve_characters_and_a_matching_repeat() {
        assert!(check_new_password("correct horse battery", "correct horse battery").is_ok());
        assert_eq!(
            check_new_password("short", "short")
                .unwrap_err()
                .to_string(),
            "Password: must be at least 12 characters long (it has 5)"
        );
        assert_eq!(
            check_new_password("long enough password", "long enough passw0rd")
                .unwrap_err()
                .to_string(),
            "Repeat password: does not match the password"
        );
    }

    #[test]
    fn callers_are_named_in_the_audit_log_without_secrets() {
        let caller = Caller::User {
            user: User {
                id: 1,
                email: "ic@example.com".into(),
                display_name: "IC".into(),
                role: Role::Admin,
            },
            session_id: 9,
        };
        assert_eq!(caller.audit_name(), "user:ic@example.com");
        assert_eq!(Caller::Anonymous.audit_name(), "anonymous");
    }
}
