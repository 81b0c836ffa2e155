//! The deployment label shown on every page. Staging and sandbox are labelled
//! loudly so nobody mistakes a rehearsal for the real thing.
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Production,
    Staging,
    Sandbox,
}

impl Environment {
    pub const ALL: [Environment; 3] = [Self::Production, Self::Staging, Self::Sandbox];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Staging => "staging",
            Self::Sandbox => "sandbox",
        }
    }

    /// The banner text, or `None` in production where no banner is shown.
    pub fn banner(self) -> Option<&'static str> {
        match self {
            Self::Production => None,
            Self::Staging => Some("STAGING: changes here do not affect production"),
            Self::Sandbox => Some("SANDBOX: practice data, nothing leaves Muster"),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "'{}' is not one of production, staging, sandbox",
                    crate::fields::shown(s)
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_label_whatever_its_case() {
        assert_eq!("Staging".parse::<Environment>(), Ok(Environment::Staging));
        assert_eq!(" sandbox ".parse::<Environment>(), Ok(Environment::Sandbox));
        assert_eq!(
            "production".parse::<Environment>(),
            Ok(Environment::Production)
        );
    }

    #[test]
    fn an_unknown_label_is_refused_with_the_choices() {
        let err = "prod".parse::<Environment>().unwrap_err();
        assert!(err.contains("'prod'") && err.contains("staging"), "{err}");
    }

    #[test]
    fn only_non_production_environments_have_a_banner() {
        assert_eq!(Environment::Production.banner(), None);
        assert!(Environment::Staging
            .banner()
            .unwrap_or_default()
            .starts_with("STAGING"));
        assert!(Environment::Sandbox
            .banner()
            .unwrap_or_default()
            .starts_with("SANDBOX"));
    }
}
