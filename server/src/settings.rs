//! Typed settings, loaded once at start. Each flag has an environment
//! variable; a bad value stops start-up with a message naming the setting.
use app::{environment::Environment, fields::shown};
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
    /// Sign a session out after this long without use, e.g. 12h [default: 12h].
    #[arg(long, env = "MUSTER_SESSION_IDLE", value_name = "DURATION")]
    pub session_idle: Option<String>,
    /// Sign a session out this long after sign-in, e.g. 7d [default: 7d].
    #[arg(long, env = "MUSTER_SESSION_MAX", value_name = "DURATION")]
    pub session_max: Option<String>,
    /// Base64 of 32 random bytes that seals TOTP secrets [default: a key
    /// file created beside the database].
    #[arg(
        long,
        env = "MUSTER_SECRET_KEY",
        value_name = "BASE64",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
    /// Reverse proxies allowed to name the client in X-Forwarded-For:
    /// addresses or blocks, comma-separated, e.g. 127.0.0.1,10.0.0.0/8
    /// [default: none, so the header is ignored].
    #[arg(long, env = "MUSTER_TRUSTED_PROXY", value_name = "CIDR,...")]
    pub trusted_proxy: Option<String>,
    /// Networks Muster may connect to on its own behalf beyond public
    /// addresses (a webhook or mail server inside the network), CIDR
    /// blocks, comma-separated, e.g. 10.20.0.0/16,127.0.0.1 [default:
    /// none: loopback, private, link-local and the like are refused].
    #[arg(long, env = "MUSTER_ALLOW_NETWORKS", value_name = "CIDR,...")]
    pub allow_network: Option<String>,
    /// Load demo data when the database is new (true or false).
    #[arg(long, env = "MUSTER_DEMO", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub demo: Option<String>,
    /// Write a verified backup to this folder on a schedule [default: no
    /// scheduled backups]. Its key: MUSTER_BACKUP_KEY, --backup-key-file,
    /// or DATABASE.backup-key (never in this folder).
    #[arg(long, env = "MUSTER_BACKUP_DIR", value_name = "DIR")]
    pub backup_dir: Option<String>,
    /// How often to back up, e.g. 6h [default: 6h].
    #[arg(long, env = "MUSTER_BACKUP_EVERY", value_name = "DURATION")]
    pub backup_every: Option<String>,
    /// How many scheduled backups to keep [default: 28].
    #[arg(long, env = "MUSTER_BACKUP_KEEP", value_name = "N")]
    pub backup_keep: Option<String>,
    /// The backup key file for scheduled backups.
    #[arg(long, env = "MUSTER_BACKUP_KEY_FILE", value_name = "FILE")]
    pub backup_key_file: Option<String>,
}

/// Scheduled backups, as set (the key is found when the server starts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSettings {
    pub dir: PathBuf,
    pub every: chrono::Duration,
    pub keep: usize,
    pub key_file: Option<PathBuf>,
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
    pub session_idle: chrono::Duration,
    pub session_max: chrono::Duration,
    /// Checked when the server starts (it may name a key file).
    pub secret_key: Option<String>,
    pub trusted_proxies: Vec<app::auth::client::Cidr>,
    /// Where Muster may connect on its own behalf.
    pub outbound: app::outbound::Outbound,
    pub backups: Option<BackupSettings>,
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
                        format!("is wrong: '{}' is not one of text, json", shown(other)),
                    ))
                }
            },
            demo: raw.demo.map(parse_bool).transpose()?.unwrap_or(false),
            session_idle: parse_duration(
                raw.session_idle,
                "12h",
                "MUSTER_SESSION_IDLE",
                "session-idle",
            )?,
            session_max: parse_duration(
                raw.session_max,
                "7d",
                "MUSTER_SESSION_MAX",
                "session-max",
            )?,
            secret_key: raw.secret_key,
            trusted_proxies: app::auth::client::Cidr::parse_list(
                raw.trusted_proxy.as_deref().unwrap_or_default(),
            )
            .map_err(|e| {
                bad(
                    "MUSTER_TRUSTED_PROXY",
                    "trusted-proxy",
                    format!("is wrong: {e}"),
                )
            })?,
            outbound: parse_allowed_networks(raw.allow_network.as_deref())?,
            backups: parse_backups(
                raw.backup_dir,
                raw.backup_every,
                raw.backup_keep,
                raw.backup_key_file,
            )?,
        })
    }
}

/// `--allow-network` / `MUSTER_ALLOW_NETWORKS`: the networks beyond
/// public addresses that Muster may connect to (the channel commands read
/// it too).
pub fn parse_allowed_networks(raw: Option<&str>) -> Result<app::outbound::Outbound, SettingError> {
    app::hooks::networks::parse(raw.unwrap_or_default())
        .map(app::outbound::Outbound::allowing)
        .map_err(|e| {
            bad(
                "MUSTER_ALLOW_NETWORKS",
                "allow-network",
                format!("is wrong: {e}"),
            )
        })
}

fn parse_backups(
    dir: Option<String>,
    every: Option<String>,
    keep: Option<String>,
    key_file: Option<String>,
) -> Result<Option<BackupSettings>, SettingError> {
    let every = parse_duration(every, "6h", "MUSTER_BACKUP_EVERY", "backup-every")?;
    let keep = match keep.as_deref().map(str::trim) {
        None => 28,
        Some(n) => match n.parse::<usize>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => {
                return Err(bad(
                    "MUSTER_BACKUP_KEEP",
                    "backup-keep",
                    format!("is wrong: '{}' is not a count from 1 to 10000", shown(n)),
                ))
            }
        },
    };
    let Some(dir) = dir.filter(|d| !d.trim().is_empty()) else {
        return Ok(None);
    };
    let dir = PathBuf::from(dir);
    if !dir.is_dir() {
        return Err(bad(
            "MUSTER_BACKUP_DIR",
            "backup-dir",
            format!("is wrong: {} is not a folder", dir.display()),
        ));
    }
    Ok(Some(BackupSettings {
        dir,
        every,
        keep,
        key_file: key_file.filter(|k| !k.trim().is_empty()).map(PathBuf::from),
    }))
}

pub fn parse_database(raw: Option<String>) -> Result<PathBuf, SettingError> {
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
            format!(
                "is wrong: '{}' is not an address:port such as 127.0.0.1:3000",
                shown(&raw)
            ),
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
            format!(
                "is wrong: '{}' is not an http:// or https:// address",
                shown(&raw)
            ),
        )),
    }
}

/// A duration such as 90s, 30m, 12h or 7d.
fn parse_duration(
    raw: Option<String>,
    default: &str,
    variable: &'static str,
    flag: &'static str,
) -> Result<chrono::Duration, SettingError> {
    let raw = raw.unwrap_or_else(|| default.to_owned());
    let text = raw.trim();
    // The unit is the last character, whatever its width in bytes.
    let split = text.char_indices().last().map_or(0, |(at, _)| at);
    let (number, unit) = text.split_at(split);
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if n > 0 && seconds > 0 && n <= 3650 * 86_400 / seconds => {
            Ok(chrono::Duration::seconds(n * seconds))
        }
        _ => Err(bad(
            variable,
            flag,
            format!(
                "is wrong: '{}' is not a duration such as 30m, 12h or 7d",
                shown(&raw)
            ),
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
            format!("is wrong: '{}' is not true or false", shown(&raw)),
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
    fn scheduled_backups_need_a_folder_and_take_a_duration_and_a_count() {
        let dir = tempfile::tempdir().expect("dir");
        let raw = RawSettings {
            backup_dir: Some(dir.path().display().to_string()),
            backup_every: Some("30m".into()),
            backup_keep: Some("3".into()),
            ..Default::default()
        };
        let b = Settings::from_raw(raw)
            .expect("settings")
            .backups
            .expect("on");
        assert_eq!((b.every, b.keep), (chrono::Duration::minutes(30), 3));
        assert_eq!(
            Settings::from_raw(RawSettings::default())
                .expect("settings")
                .backups,
            None
        );
        let bad = |raw: RawSettings| Settings::from_raw(raw).unwrap_err().to_string();
        assert!(bad(RawSettings {
            backup_dir: Some("/no/such/folder".into()),
            ..Default::default()
        })
        .starts_with(
            "setting MUSTER_BACKUP_DIR (--backup-dir) is wrong: /no/such/folder is not a folder"
        ));
        assert!(bad(RawSettings {
            backup_keep: Some("0".into()),
            ..Default::default()
        })
        .contains("'0' is not a count from 1 to 10000"));
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
    fn session_timeouts_are_durations_with_a_unit() {
        let s = Settings::from_raw(RawSettings::default()).unwrap();
        assert_eq!(s.session_idle, chrono::Duration::hours(12));
        assert_eq!(s.session_max, chrono::Duration::days(7));
        let raw = RawSettings {
            session_idle: Some("45m".into()),
            ..Default::default()
        };
        assert_eq!(
            Settings::from_raw(raw).unwrap().session_idle,
            chrono::Duration::minutes(45)
        );
        let raw = RawSettings {
            session_max: Some("7 days".into()),
            ..Default::default()
        };
        let err = Settings::from_raw(raw).unwrap_err().to_string();
        assert_eq!(err, "setting MUSTER_SESSION_MAX (--session-max) is wrong: '7 days' is not a duration such as 30m, 12h or 7d");
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

    /// Every setting, given strange values: a message that names the
    /// setting, short enough to read, and never a panic.
    #[test]
    fn any_value_of_any_setting_gives_a_message_never_a_panic() {
        type Set = fn(&mut RawSettings, String);
        let fields: [(&str, Set); 9] = [
            ("MUSTER_DATABASE", |r, v| r.database = Some(v)),
            ("MUSTER_BIND", |r, v| r.bind = Some(v)),
            ("MUSTER_PUBLIC_URL", |r, v| r.public_url = Some(v)),
            ("MUSTER_ENV", |r, v| r.environment = Some(v)),
            ("MUSTER_LOG_FORMAT", |r, v| r.log_format = Some(v)),
            ("MUSTER_SESSION_IDLE", |r, v| r.session_idle = Some(v)),
            ("MUSTER_SESSION_MAX", |r, v| r.session_max = Some(v)),
            ("MUSTER_TRUSTED_PROXY", |r, v| r.trusted_proxy = Some(v)),
            ("MUSTER_DEMO", |r, v| r.demo = Some(v)),
        ];
        let mut texts = app::fields::strange_texts(10, 3_000);
        texts.extend(
            [
                "5é",
                "é",
                "12日",
                "99999999999999999999d",
                "-5m",
                "0s",
                "",
                "   ",
            ]
            .map(String::from),
        );
        for value in texts {
            for (variable, set) in fields {
                let mut raw = RawSettings::default();
                set(&mut raw, value.clone());
                if let Err(err) = Settings::from_raw(raw) {
                    let text = err.to_string();
                    assert_eq!(err.variable, variable, "{text}");
                    assert!(
                        text.chars().count() < 300,
                        "{variable}: a short message, got {} characters",
                        text.len()
                    );
                }
            }
        }
    }
}
