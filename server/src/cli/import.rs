//! `muster import FILE`: audit events from a file, read as a stream (so a
//! file of any size fits in little memory), with a progress bar on a
//! terminal and a line every tenth of the file otherwise.
use crate::{
    cli::commands::{database, Failure},
    cli::DatabaseArg,
    db,
};
use app::events::{
    generic::Mapping,
    import::{self, Format, ImportError, Options},
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::{io::IsTerminal, path::PathBuf};

/// What to import and how to read it.
pub struct EventImport {
    pub file: PathBuf,
    /// The format's name; told from the file when absent.
    pub format: Option<String>,
    /// For generic logs: `timestamp=ts,actor=user,...`.
    pub map: Option<String>,
    /// The most records the file may hold; the default when absent.
    pub max_records: Option<u64>,
}

/// Imports a file and reports what was accepted, already there and
/// refused; a file refused whole stores nothing and exits 1.
pub async fn import_events(arg: DatabaseArg, what: EventImport) -> Result<String, Failure> {
    let usage = |e: String| Failure(e, 2);
    let path = database(arg)?;
    let format = what
        .format
        .as_deref()
        .map(Format::parse)
        .transpose()
        .map_err(|e| usage(format!("--format: {e}")))?;
    let mapping = what
        .map
        .as_deref()
        .map(Mapping::parse)
        .transpose()
        .map_err(|e| usage(format!("--map: {e}")))?
        .unwrap_or_default();
    let file = std::fs::File::open(&what.file)
        .map_err(|e| usage(format!("cannot read {}: {e}", what.file.display())))?;
    let size = file.metadata().map(|m| m.len()).ok();
    let configured = std::env::var("MUSTER_SECRET_KEY").ok();
    let key = crate::keys::load(configured.as_deref(), &path).map_err(usage)?;
    let opened = db::open(&path).await?;
    let name = what
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let now = chrono::Utc::now();
    let write = &opened.db.write;
    let fingerprints = match app::events::record::fingerprint_key(write, &key).await {
        Ok(k) => k,
        Err(why) => {
            opened.db.close().await;
            return Err(Failure(why, 1));
        }
    };
    let started = import::start(write, &name, "cli", now, size).await;
    let options = Options {
        format,
        mapping,
        key: fingerprints,
        now,
        max_records: what
            .max_records
            .unwrap_or(app::events::import::DEFAULT_MAX_RECORDS),
    };
    let mut bar = Bar::new(size.unwrap_or(0), "import");
    let report = match started {
        Ok(started) => {
            started
                .run(write, file, options, |p| {
                    let events = format!(
                        "{} accepted, {} already there, {} refused",
                        p.accepted, p.duplicates, p.rejected
                    );
                    bar.show(p.bytes_read, events)
                })
                .await
        }
        Err(e) => Err(e),
    };
    bar.end();
    opened.db.close().await;
    let shown = what.file.display();
    let report = match report {
        Ok(report) => report,
        Err(ImportError::Refused(why)) => {
            return Err(Failure(format!("{shown} was not imported: {why}"), 1))
        }
        Err(e @ ImportError::Busy) => return Err(Failure(format!("{shown}: {e}"), 1)),
        Err(ImportError::Database(e)) => return Err(e.into()),
    };
    let mut out = format!(
        "Imported {shown} ({}): {} accepted, {} already there, {} refused.",
        report.format, report.accepted, report.duplicates, report.rejected
    );
    for (place, why) in &report.refusals {
        out.push_str(&format!("\n  {place}: {why}"));
    }
    if report.rejected as usize > report.refusals.len() {
        out.push_str(&format!(
            "\n  ... and {} more.",
            report.rejected as usize - report.refusals.len()
        ));
    }
    Ok(out)
}

/// Progress on standard error: a bar on a terminal, else a line at each
/// tenth of the work ("import: 30% done; ...").
pub(crate) struct Bar {
    bar: Option<ProgressBar>,
    total: u64,
    tenths_shown: u64,
    what: &'static str,
}

impl Bar {
    pub(crate) fn new(total: u64, what: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {percent:>3}% {bytes}/{total_bytes} {msg} ({eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            bar,
            total,
            tenths_shown: 0,
            what,
        }
    }

    /// `done` bytes of the total, and what to say beside them.
    pub(crate) fn show(&mut self, done: u64, message: String) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(message);
            }
            None if self.total > 0 => {
                let tenths = (done * 10 / self.total).min(10);
                if tenths > self.tenths_shown {
                    self.tenths_shown = tenths;
                    eprintln!("{}: {}% done; {message}", self.what, tenths * 10);
                }
            }
            None => {}
        }
    }

    pub(crate) fn end(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
