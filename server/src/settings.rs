//! Typed settings, loaded once at start. Each flag has an environment
//! variable; a bad value stops start-up with a message naming the setting.
use app::environment::Environment;
use clap::Args;
use std::{net::SocketAddr, path::PathBuf};

/// What the command line and environment supply, before checking.
#[derive(Args, Debug, Default, Clone)]
pub struct RawSettings {
    /// SQLite file; created, with its schema, on first start.
    #[arg(long, env = "MUSTER_DATABASE", value_name = "FILE")]
    pub database: Option<String>,
    /// Address and port to listen on [default: 127.0.0.1:3000].
    #[arg(long, env = "MUSTER_BIND", value_name = "ADDR:PORT")]
    pub bind: Option<String>,
    /// Address people use to reach Muster, e.g. https://muster.example.com.
    #[arg(long, env = "MUSTER_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// production, staging or sandbox; anything but production is labelled on every page.
    #[arg(long = "env", env = "MUSTER_ENV", value_name = "ENV")]
    pub environment: Option<String>,
    /// Log lines as text or json.
    #[arg(long, env = "MUSTER_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Load demo data when the database is new (true or false).
    #[arg(long, env = "MUSTER_DEMO", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub demo: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub database: PathBuf,
    pub bind: SocketAddr,
    /// `None` means "derived from the address actually bound".
    pub public_url: Option<String>,
    pub environment: Environment,
    pub log_format: LogFormat,
    pub demo: bool,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("setting {variable} (--{flag}) {problem}")]
pub struct SettingError {
    pub variable: &'static str,
    pub flag: &'static str,
    pub problem: String,
}

fn bad(variable: &'static str, flag: &'static str, problem: String) -> SettingError {
    SettingError {
        variable,
        flag,
        problem,
    }
}

impl Settings {
    pub const DEFAULT_BIND: &'static str = "127.0.0.1:3000";
    pub const DEFAULT_DATABASE: &'static str = "muster.db";

    pub fn from_raw(raw: RawSettings) -> Result<Self, SettingError> {
        Ok(Self {
            database: parse_database(raw.database)?,
            bind: parse_bind(raw.bind)?,
            public_url: raw.public_url.map(parse_public_url).transpose()?,
            environment: match raw.environment {
                None => Environment::Production,
                Some(v) => v
                    .parse()
                    .map_err(|e: String| bad("MUSTER_ENV", "env", format!("is wrong: {e}")))?,
            },
            log_format: match raw.log_format.as_deref().map(str::trim) {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(bad(
                        "MUSTER_LOG_FORMAT",
                        "log-format",
                        format!("is wrong: '{other}' is not one of text, json"),
                    ))
                }
            },
            demo: raw.demo.map(parse_bool).transpose()?.unwrap_or(false),
        })
    }
}

fn parse_database(raw: Option<String>) -> Result<PathBuf, SettingError> {
    let path = PathBuf::from(raw.unwrap_or_else(|| Settings::DEFAULT_DATABASE.to_owned()));
    if path.as_os_str().is_empty() {
        return Err(bad(
            "MUSTER_DATABASE",
            "database",
            "is empty: give a file path".into(),
        ));
    }
    if path.is_dir() {
        return Err(bad(
            "MUSTER_DATABASE",
            "database",
            format!("is wrong: {} is a directory, not a file", path.display()),
        ));
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(bad(
            "MUSTER_DATABASE",
            "database",
            format!("is wrong: the directory {} does not exist", dir.display()),
        )),
        _ => Ok(path),
    }
}

fn parse_bind(raw: Option<String>) -> Result<SocketAddr, SettingError> {
    let raw = raw.unwrap_or_else(|| Settings::DEFAULT_BIND.to_owned());
    raw.trim().parse().map_err(|_| {
        bad(
            "MUSTER_BIND",
            "bind",
            format!("is wrong: '{raw}' is not an address:port such as 127.0.0.1:3000"),
        )
    })
}

fn parse_public_url(raw: String) -> Result<String, SettingError> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(url.to_owned()),
        _ => Err(bad(
            "MUSTER_PUBLIC_URL",
            "public-url",
            format!("is wrong: '{raw}' is not an http:// or https:// address"),
        )),
    }
}

fn parse_bool(raw: String) -> Result<bool, SettingError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(bad(
            "MUSTER_DEMO",
            "demo",
            format!("is wrong: '{raw}' is not true or false"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_a_local_production_server_without_demo_data() {
        let s = Settings::from_raw(RawSettings::default()).unwrap();
        assert_eq!(s.bind, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(s.database, PathBuf::from("muster.db"));
        assert_eq!(s.environment, Environment::Production);
        assert_eq!(s.log_format, LogFormat::Text);
        assert!(!s.demo);
        assert_eq!(s.public_url, None);
    }

    #[test]
    fn a_bad_bind_address_names_the_variable_and_the_value() {
        let raw = RawSettings {
            bind: Some("localhost".into()),
            ..Default::default()
        };
        let err = Settings::from_raw(raw).unwrap_err().to_string();
        assert_eq!(
            err,
            "setting MUSTER_BIND (--bind) is wrong: 'localhost' is not an address:port such as 127.0.0.1:3000"
        );
    }

    #[test]
    fn an_unknown_environment_lists_the_choices() {
        let raw = RawSettings {
            environment: Some("prod".into()),
            ..Default::default()
        };
        let err = Settings::from_raw(raw).unwrap_err().to_string();
        assert!(
            err.starts_with("setting MUSTER_ENV (--env) is wrong: 'prod'"),
            "{err}"
        );
        assert!(err.contains("production, staging, sandbox"), "{err}");
    }

    #[test]
    fn a_database_in_a_missing_directory_is_refused() {
        let raw = RawSettings {
            database: Some("/no/such/dir/muster.db".into()),
            ..Default::default()
        };
        let err = Settings::from_raw(raw).unwrap_err();
        assert_eq!(err.variable, "MUSTER_DATABASE");
        assert!(err.problem.contains("/no/such/dir"), "{}", err.problem);
    }

    #[test]
    fn public_url_must_be_http_and_loses_its_trailing_slash() {
        assert_eq!(
            parse_public_url("https://muster.example.com/".into()).unwrap(),
            "https://muster.example.com"
        );
        let err = parse_public_url("muster.example.com".into()).unwrap_err();
        assert_eq!(err.variable, "MUSTER_PUBLIC_URL");
    }

    #[test]
    fn log_format_and_demo_accept_their_words_only() {
        let raw = RawSettings {
            log_format: Some("json".into()),
            demo: Some("yes".into()),
            ..Default::default()
        };
        let s = Settings::from_raw(raw).unwrap();
        assert_eq!((s.log_format, s.demo), (LogFormat::Json, true));
        let raw = RawSettings {
            log_format: Some("xml".into()),
            ..Default::default()
        };
        assert_eq!(
            Settings::from_raw(raw).unwrap_err().variable,
            "MUSTER_LOG_FORMAT"
        );
        assert_eq!(
            parse_bool("maybe".into()).unwrap_err().variable,
            "MUSTER_DEMO"
        );
    }
}
