//! The `muster` command line. Each subcommand is a thin layer over a
//! module that tests can call directly.
pub mod backup;
pub mod channel;
pub mod commands;
pub mod import;
pub mod source;

use crate::settings::RawSettings;
use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "muster",
    version,
    about = "Incident runbooks and tabletop drills for small teams"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the web server.
    Serve(RawSettings),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the app's own audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Export or import runbooks and notice templates (a plans file).
    #[command(subcommand)]
    Plans(PlansCommand),
    /// Manage the key that seals two-step sign-in secrets.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Import audit events from a file (Stripe, Zapier, Pipedream, GitHub,
    /// CloudTrail, generic logs; JSON, NDJSON, CSV or gzip), taking
    /// secrets out first.
    Import {
        #[command(flatten)]
        database: DatabaseArg,
        /// The file to import.
        file: std::path::PathBuf,
        /// stripe, zapier, zapier-tasks, pipedream, github, cloudtrail or
        /// generic [default: told from the file].
        #[arg(long)]
        format: Option<String>,
        /// For generic logs, where each field is:
        /// timestamp=COLUMN,actor=COLUMN,action=COLUMN (also target,
        /// outcome, request_id, environment, summary) [default: the
        /// fields' own names].
        #[arg(long, value_name = "FIELD=COLUMN,...")]
        map: Option<String>,
        /// Refuse a file that holds more records than this (gzip or not)
        /// [default: 20000000].
        #[arg(long, value_name = "N")]
        max_records: Option<u64>,
    },
    /// Manage webhook sources (senders that push signed events).
    #[command(subcommand)]
    Source(SourceCommand),
    /// Backups: sealed copies made while Muster serves, checked whole and
    /// restored without leaving a half-written database.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Channels that reach people: email over SMTP, outgoing webhooks.
    #[command(subcommand)]
    Channel(ChannelCommand),
}

/// Where the backup key is: MUSTER_BACKUP_KEY (base64 of 32 bytes), else
/// this file, else DATABASE.backup-key (made by the first backup).
#[derive(Args, Debug, Clone)]
pub struct KeyFileArg {
    /// The backup key file; keep it apart from the backups.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// Write a sealed backup: a consistent copy (safe while Muster serves),
    /// compressed and encrypted under the backup key, with a clear header
    /// (versions, time, the audit anchor, a checksum).
    Create {
        #[command(flatten)]
        database: DatabaseArg,
        /// The backup to write; it must not exist yet.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        #[command(flatten)]
        key: KeyFileArg,
    },
    /// Open a backup in a private temporary place and check it whole:
    /// integrity, schema, the audit chain against its anchor; print counts.
    Verify {
        /// The backup to check.
        file: std::path::PathBuf,
        #[command(flatten)]
        key: KeyFileArg,
    },
    /// Restore a backup as the database (checked first; an existing
    /// database is replaced only with --replace, and kept as
    /// DATABASE.replaced). Stop Muster first.
    Restore {
        /// The backup to restore.
        file: std::path::PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
        /// Replace the database if it exists.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        key: KeyFileArg,
    },
    /// Prove a backup opens: restore it into a temporary database (checked
    /// whole), serve it with a second Muster on a free loopback port, ask
    /// it for /healthz and the sign-in page, stop it. The result goes into
    /// the database's audit log. Run one monthly and after every upgrade.
    Drill {
        #[command(flatten)]
        database: DatabaseArg,
        /// The backup to drill [default: the newest in --backup-dir].
        #[arg(long, value_name = "FILE")]
        file: Option<std::path::PathBuf>,
        /// The scheduled backups' folder.
        #[arg(long, env = "MUSTER_BACKUP_DIR", value_name = "DIR")]
        backup_dir: Option<std::path::PathBuf>,
        #[command(flatten)]
        key: KeyFileArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum SourceCommand {
    /// Add a source; its secret is made (or read with --secret-stdin) and
    /// printed once.
    Add {
        #[command(flatten)]
        database: DatabaseArg,
        /// The last part of its address, /hooks/NAME.
        name: String,
        /// stripe, standard-webhooks, github, slack or token.
        #[arg(long)]
        scheme: String,
        /// Read the sender's own secret from the first line of standard
        /// input (Stripe and Slack make their own).
        #[arg(long)]
        secret_stdin: bool,
        /// A label for its events (live, test).
        #[arg(long)]
        environment: Option<String>,
        /// Client networks allowed to deliver (CIDR, space or comma
        /// separated) [default: any].
        #[arg(long)]
        networks: Option<String>,
        /// Days its unlinked events are kept [default: 90].
        #[arg(long)]
        retention: Option<i64>,
    },
    /// List the sources with their delivery counts.
    List {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Give a source a new secret (printed once); the old one keeps
    /// verifying for the overlap.
    Rotate {
        #[command(flatten)]
        database: DatabaseArg,
        name: String,
        /// Hours the old secret keeps verifying [default: 24; 0 stops it now].
        #[arg(long)]
        overlap_hours: Option<i64>,
        /// Read the new secret from standard input instead of making one.
        #[arg(long)]
        secret_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Seal every secret under a new key in the key file, in one
    /// transaction; the old key file is kept until the new one is checked.
    Rotate {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChannelCommand {
    /// Add a channel. A Standard Webhooks channel's signing secret is made
    /// and printed once, on the last line; an SMTP password is read from
    /// standard input with --password-stdin and sealed.
    Add {
        #[command(flatten)]
        database: DatabaseArg,
        /// Its name (letters, digits, - and _).
        name: String,
        /// email or webhook.
        #[arg(long)]
        kind: String,
        /// The SMTP server (host:port) or the webhook URL.
        #[arg(long)]
        address: String,
        /// Webhook shape: standard, slack or teams [default: standard].
        #[arg(long)]
        preset: Option<String>,
        /// Email encryption: starttls, tls, or plain (only to this
        /// machine) [default: starttls].
        #[arg(long)]
        security: Option<String>,
        /// Email: the SMTP user.
        #[arg(long)]
        user: Option<String>,
        /// Email: read the SMTP password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Email: the From address.
        #[arg(long)]
        from: Option<String>,
        /// Email: the channel's own recipients, comma separated.
        #[arg(long)]
        to: Option<String>,
        /// Published customer notices may go to this channel.
        #[arg(long)]
        for_customers: bool,
        /// At most this many messages a minute [default: 30].
        #[arg(long)]
        per_minute: Option<i64>,
        /// Networks beyond public addresses the channel may be in, as
        /// `muster serve` is told them.
        #[arg(long, env = "MUSTER_ALLOW_NETWORKS", value_name = "CIDR,...")]
        allow_network: Option<String>,
    },
    /// Turn a channel on again: the messages it held go out.
    Enable {
        #[command(flatten)]
        database: DatabaseArg,
        name: String,
    },
    /// Turn a channel off: its messages wait in the outbox.
    Disable {
        #[command(flatten)]
        database: DatabaseArg,
        name: String,
    },
    /// List the channels (never their secrets).
    List {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Send a clearly marked test message now and print the answer
    /// (withheld, like everything, unless --env is production).
    Test {
        #[command(flatten)]
        database: DatabaseArg,
        name: String,
        /// The instance's environment, as `muster serve` is told it.
        #[arg(long = "env", env = "MUSTER_ENV", value_name = "ENV")]
        environment: Option<String>,
        /// The address people use to reach Muster (for the message's link).
        #[arg(long, env = "MUSTER_PUBLIC_URL", value_name = "URL")]
        public_url: Option<String>,
        /// Networks beyond public addresses Muster may connect to, as
        /// `muster serve` is told them.
        #[arg(long, env = "MUSTER_ALLOW_NETWORKS", value_name = "CIDR,...")]
        allow_network: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum PlansCommand {
    /// Write every runbook and template (latest versions) as JSON.
    Export {
        #[command(flatten)]
        database: DatabaseArg,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Check a plans file and, only if nothing in it is wrong, store it.
    Import {
        #[command(flatten)]
        database: DatabaseArg,
        /// The plans file (JSON), as written by export.
        file: std::path::PathBuf,
        /// The account the new versions are written by (its owner then
        /// cannot approve the templates); "command line" otherwise.
        #[arg(long, value_name = "EMAIL")]
        author: Option<String>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArg {
    /// SQLite file [default: muster.db].
    #[arg(long, env = "MUSTER_DATABASE", value_name = "FILE")]
    pub database: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account. The password is asked for twice, or read from
    /// standard input with --password-stdin.
    Add {
        #[command(flatten)]
        database: DatabaseArg,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, editor, responder or viewer [default: viewer].
        #[arg(long, conflicts_with = "admin")]
        role: Option<String>,
        /// Shorthand for --role admin.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Turn off a person's two-step sign-in (for a lost phone, or a lost
    /// key file): they sign in with their password and can set it up again.
    ResetMfa {
        #[command(flatten)]
        database: DatabaseArg,
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk the hash chain and name the first entry that does not match;
    /// print the newest entry as an anchor (ID:HASH) to keep elsewhere.
    Verify {
        #[command(flatten)]
        database: DatabaseArg,
        /// An anchor printed before: fail if that entry is gone or changed
        /// (so removing the newest entries, or rebuilding the whole chain,
        /// is found too).
        #[arg(long, value_name = "ID:HASH")]
        expect: Option<String>,
    },
}
