//! An import of one file, read as a stream: one thread reads, parses,
//! redacts and fingerprints records while this task stores them in short
//! batches through the single writer, so other writes (an incident's
//! notes) wait at most one batch, never the whole file.
//!
//! Nothing of an import is seen until it ends well: its events are hidden
//! while its row says `running`. If the file is refused at the end (junk
//! after the JSON, a truncated gzip) or the process is killed midway, the
//! stored rows are deleted (at once, or by the next import, which finds
//! the dead one's row still `running` and its lock released).
use super::{
    db,
    document::{self, Place, Top},
    generic::Mapping,
    record::NewEvent,
};
use crate::audit;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::SqlitePool;
use std::{
    io::Read,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

/// How many refusals a report lists (all are counted).
pub const MAX_LISTED: usize = 100;
/// Records stored per transaction.
const BATCH: usize = 4096;
/// How long an import waits for one that is ending to let go of the lease.
const LEASE_PATIENCE_MS: u64 = 3_000;
/// How many records may be read before the format must be known.
const DETECT_WITHIN: usize = 100;

pub use super::format::Format;

/// How an import reads its file.
#[derive(Clone, Debug)]
pub struct Options {
    /// The format, or `None` to tell it from the records.
    pub format: Option<Format>,
    /// Where generic logs keep each field.
    pub mapping: Mapping,
    /// The instance's fingerprint key.
    pub key: [u8; 32],
    /// When the import runs: the received-at time of its events.
    pub now: DateTime<Utc>,
    /// The most records a file may hold (`muster import --max-records`).
    pub max_records: u64,
}

/// How many records a file may hold unless told otherwise: far more than
/// any export we have seen, and a stop for a file (or a gzip bomb) that
/// would never end.
pub const DEFAULT_MAX_RECORDS: u64 = 20_000_000;

/// Stored with the import's row as it goes, so it lives with the store.
pub use super::db::Progress;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub format: String,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// The first [`MAX_LISTED`] refusals: where ("line 4", "record 2") and why.
    pub refusals: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Refused(String),
    #[error("another import is running; try again when it ends")]
    Busy,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The right to import into one database, held for an import's whole run
/// (an exclusive lock on a file beside the database). The system releases
/// it when a process dies, which is how a later import knows that an
/// import still marked running was killed.
#[derive(Debug)]
pub struct Lease(#[allow(dead_code)] std::fs::File);

impl Lease {
    pub fn take(write: &SqlitePool) -> Result<Self, ImportError> {
        let database = write.connect_options().get_filename().to_owned();
        let mut path = database.into_os_string();
        path.push(".import-lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| ImportError::Refused(format!("the import lock cannot be opened: {e}")))?;
        match file.try_lock() {
            Ok(()) => Ok(Self(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(ImportError::Busy),
            Err(std::fs::TryLockError::Error(e)) => Err(ImportError::Refused(format!(
                "the import lock cannot be taken: {e}"
            ))),
        }
    }
}

/// An import that has begun: its lease held, its row marked running.
#[derive(Debug)]
pub struct Started {
    _lease: Lease,
    pub id: i64,
    file_name: String,
    by: String,
}

/// Starts an import for `by` (who is recorded in the audit log): takes
/// the lease, deletes what imports killed midway left (recording that),
/// and marks this one running.
pub async fn start(
    write: &SqlitePool,
    file_name: &str,
    by: &str,
    at: DateTime<Utc>,
    bytes_total: Option<u64>,
) -> Result<Started, ImportError> {
    // An import that is just ending holds the lease a moment longer: wait
    // a little before saying another import is running.
    let mut waited = 0;
    let lease = loop {
        match Lease::take(write) {
            Err(ImportError::Busy) if waited < LEASE_PATIENCE_MS => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                waited += 50;
            }
            taken => break taken?,
        }
    };
    clear_with(write, &lease, by, at).await?;
    let id = db::begin_import(write, file_name, by, at, bytes_total).await?;
    Ok(Started {
        _lease: lease,
        id,
        file_name: file_name.to_owned(),
        by: by.to_owned(),
    })
}

/// Clears what imports killed midway left, if no import is running now
/// (otherwise that import clears them when it starts, or they are its own).
pub async fn clear_abandoned(
    write: &SqlitePool,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), ImportError> {
    match Lease::take(write) {
        Ok(lease) => clear_with(write, &lease, by, at).await,
        Err(ImportError::Busy) => Ok(()),
        Err(e) => Err(e),
    }
}

/// With the lease held, every import still marked running was killed.
async fn clear_with(
    write: &SqlitePool,
    _lease: &Lease,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), ImportError> {
    for dead in db::running_imports(write).await? {
        let gone = db::discard(write, dead).await?;
        let why = "stopped midway; what it had stored was deleted";
        let entry = audit::NewEntry::new(
            by,
            "events.import.cleared",
            format!("import:{dead}"),
            audit::Outcome::Allowed,
            at,
        )
        .because(format!("{gone} events of an import {why}"));
        let mut tx = write.begin().await?;
        db::conclude_import(
            &mut tx,
            dead,
            "",
            Progress::default(),
            Some(("abandoned", why)),
            at,
        )
        .await?;
        audit::db::record(&mut tx, entry, "").await?;
        tx.commit().await?;
    }
    Ok(())
}

/// A record read, and either the event to store or why it is refused.
type Read1 = (Place, Result<NewEvent, String>);

enum Message {
    Batch(Vec<Read1>),
    /// The file ended well (its format, if any record told it) or was
    /// refused whole.
    End(Result<Option<Format>, String>),
}

impl Started {
    /// Runs the import to its end; `progress` hears after each batch. The
    /// end, good or bad, is recorded in the audit log with the counts.
    pub async fn run(
        self,
        write: &SqlitePool,
        input: impl Read + Send + 'static,
        options: Options,
        mut progress: impl FnMut(Progress),
    ) -> Result<Report, ImportError> {
        let now = options.now;
        let bytes_read = Arc::new(AtomicU64::new(0));
        let counted = Counted {
            inner: input,
            read: bytes_read.clone(),
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let reader = tokio::task::spawn_blocking(move || produce(counted, options, &tx));
        let mut report = Report::default();
        let mut refusals = Vec::new();
        let counts = |report: &Report| Progress {
            bytes_read: bytes_read.load(Ordering::Relaxed),
            accepted: report.accepted,
            duplicates: report.duplicates,
            rejected: report.rejected,
        };
        let ended: Result<Option<Format>, ImportError> = loop {
            let Some(message) = rx.recv().await else {
                break Err(ImportError::Refused(
                    "the import stopped unexpectedly".into(),
                ));
            };
            let batch = match message {
                Message::Batch(batch) => batch,
                Message::End(end) => break end.map_err(ImportError::Refused),
            };
            let mut events = Vec::with_capacity(batch.len());
            for (place, read) in batch {
                match read {
                    Ok(event) => events.push(event),
                    Err(why) => {
                        report.rejected += 1;
                        if report.refusals.len() < MAX_LISTED {
                            // A reason may quote the record: it is redacted too.
                            let listed =
                                (place.to_string(), super::redact::text(&why).into_owned());
                            report.refusals.push(listed.clone());
                            refusals.push(listed);
                        }
                    }
                }
            }
            let count = events.len() as u64;
            let stored =
                db::store_batch(write, self.id, events, now, &refusals, counts(&report)).await;
            match stored {
                Ok(accepted) => {
                    report.accepted += accepted;
                    report.duplicates += count - accepted;
                    refusals.clear();
                    progress(counts(&report));
                }
                Err(e) => break Err(e.into()),
            }
        };
        drop(rx);
        let _ = reader.await;
        let end = counts(&report);
        let target = format!("import:{}", self.id);
        match ended {
            Ok(format) => {
                report.format = format.map(Format::as_str).unwrap_or("none").to_owned();
                let entry = audit::NewEntry::new(
                    &self.by,
                    "events.import",
                    target,
                    audit::Outcome::Allowed,
                    now,
                )
                .because(format!(
                    "{} ({}): {} accepted, {} duplicates, {} refused",
                    crate::fields::shown(&self.file_name),
                    report.format,
                    report.accepted,
                    report.duplicates,
                    report.rejected
                ));
                let mut tx = write.begin().await?;
                db::conclude_import(&mut tx, self.id, &report.format, end, None, now).await?;
                audit::db::record(&mut tx, entry, "").await?;
                tx.commit().await?;
                // The next import may start while the index is tidied.
                drop(self._lease);
                // Seen already; searches get fast again once this is done.
                let whole = db::brought_a_quarter(write, report.accepted).await?;
                db::tidy_search_index(write, whole).await?;
                Ok(report)
            }
            Err(error) => {
                let why = match &error {
                    ImportError::Refused(why) => super::redact::text(why).into_owned(),
                    _ => "the database refused a write".to_owned(),
                };
                db::discard(write, self.id).await?;
                let entry = audit::NewEntry::new(
                    &self.by,
                    "events.import",
                    target,
                    audit::Outcome::Failed,
                    now,
                )
                .because(format!(
                    "{}: refused whole: {why}",
                    crate::fields::shown(&self.file_name)
                ));
                let mut tx = write.begin().await?;
                db::conclude_import(&mut tx, self.id, "", end, Some(("refused", &why)), now)
                    .await?;
                audit::db::record(&mut tx, entry, "").await?;
                tx.commit().await?;
                Err(match error {
                    ImportError::Refused(_) => ImportError::Refused(why),
                    other => other,
                })
            }
        }
    }
}

/// Counts the bytes read, for progress.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads the file on a blocking thread, sending batches of parsed,
/// redacted events; ends with the file's verdict.
fn produce(input: impl Read, options: Options, tx: &tokio::sync::mpsc::Sender<Message>) {
    let mut reading = Reading {
        format: options.format,
        options: &options,
        waiting: Vec::new(),
        batch: Vec::with_capacity(BATCH),
        tx,
        records: 0,
    };
    let end = document::read(input, &mut |place, record| reading.take(place, record))
        .and_then(|top| reading.end(&top));
    let _ = tx.blocking_send(Message::End(end));
}

struct Reading<'a> {
    format: Option<Format>,
    options: &'a Options,
    /// Records read before the format was known.
    waiting: Vec<document::Placed>,
    batch: Vec<Read1>,
    tx: &'a tokio::sync::mpsc::Sender<Message>,
    /// Records read so far (good or bad).
    records: u64,
}

impl Reading<'_> {
    fn take(&mut self, place: Place, record: Result<Value, String>) -> Result<(), String> {
        self.records += 1;
        if self.records > self.options.max_records {
            return Err(format!(
                "the file holds more than {} records (stopped at {place}); to import it, raise the limit with 'muster import --max-records N'",
                self.options.max_records
            ));
        }
        self.take_counted(place, record)
    }

    fn take_counted(&mut self, place: Place, record: Result<Value, String>) -> Result<(), String> {
        let Some(format) = self.format else {
            self.format = record.as_ref().ok().and_then(Format::of);
            self.waiting.push((place, record));
            if self.format.is_some() {
                for (place, record) in std::mem::take(&mut self.waiting) {
                    self.take_counted(place, record)?;
                }
            } else if self.waiting.len() >= DETECT_WITHIN {
                return Err(undetected());
            }
            return Ok(());
        };
        let event = record
            .and_then(|r| format.event(r, self.options.now, &self.options.mapping))
            .map(|p| p.into_event(&self.options.key));
        self.batch.push((place, event));
        if self.batch.len() >= BATCH {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), String> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx
            .blocking_send(Message::Batch(batch))
            .map_err(|_| "the import was stopped".to_owned())
    }

    fn end(&mut self, top: &Top) -> Result<Option<Format>, String> {
        if self.format.is_none() {
            // A header alone still names its columns.
            if let Top::Csv(header) = top {
                let names: serde_json::Map<String, Value> =
                    header.iter().map(|h| (h.clone(), Value::Null)).collect();
                self.format = Format::of(&Value::Object(names));
            }
            if let Top::Object { rest, .. } = top {
                self.format = self.format.or(Format::of(&Value::Object(rest.clone())));
            }
        }
        match self.format {
            Some(format) => {
                format.holds(top)?;
                for (place, record) in std::mem::take(&mut self.waiting) {
                    self.take_counted(place, record)?;
                }
            }
            // Nothing to tell the format by (a header alone, an empty list):
            // refused with why, never "imported" as no format at all.
            None if self.waiting.is_empty() => return Err(
                "the format could not be told: the file holds no records to tell it by; name it"
                    .into(),
            ),
            None => return Err(undetected()),
        }
        if !self.batch.is_empty() {
            self.send()?;
        }
        Ok(self.format)
    }
}

fn undetected() -> String {
    "the format could not be told from the file: name it".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_from_their_records_and_judged_by_their_shape() {
        let (top, read) =
            document::all(&super::super::fixture("stripe/events-list.json")).expect("a list");
        let first = read[0].1.as_ref().expect("a record");
        assert_eq!(Format::of(first), Some(Format::Stripe));
        assert!(Format::Stripe.holds(&top).is_ok());
        assert!(Format::Cloudtrail.holds(&top).is_err());
        let (top, _) =
            document::all(b"{\"digestStartTime\": \"x\", \"logFiles\": []}").expect("a digest");
        assert_eq!(
            Format::Cloudtrail.holds(&top).unwrap_err(),
            "this is a CloudTrail digest file, not a log file"
        );
        assert_eq!(
            Format::Stripe.holds(&Top::Csv(vec![])).unwrap_err(),
            "stripe files are JSON, not CSV"
        );
        assert_eq!(Format::parse(" Zapier-Tasks "), Ok(Format::ZapierTasks));
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(names, super::super::FORMATS, "the page offers every format");
        assert!(Format::parse("excel").unwrap_err().contains("generic"));
    }
}
