//! Importing a million generic NDJSON events (~300 bytes each) with
//! redaction, fingerprints and the search index, against the same rows
//! stored raw through the same SQLite setup in the same run.
//!
//! `cargo bench -p server --bench events` (`-- N` for another count).
//! Prints events/s for both, their ratio, the import's peak memory, and
//! search and page latencies at the end size. Targets: 100,000 events/s,
//! at least 0.35 of raw, under 200 MB.
use app::events::{
    db,
    import::{self, Options, Progress},
    record::{NewEvent, Outcome, Source},
};
use std::{io::Write, path::Path, time::Instant};

// The allocator the `muster` binary runs with, so the import is measured
// as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn line(i: usize) -> String {
    format!(
        "{{\"timestamp\":{},\"actor\":\"svc-{}@example.com\",\"action\":\"payment.{}\",\"target\":\"inv_{i:08}\",\
         \"outcome\":\"{}\",\"request_id\":\"req_{i:012}\",\"detail\":\"card declined at the issuer; retry {} of 5 \
         scheduled, token sk_live_{:024x} rotated\"}}",
        1_795_011_600 + i as i64,
        i % 17,
        ["retry", "failed", "succeeded", "refunded"][i % 4],
        ["failed", "ok", "unknown"][i % 3],
        i % 5,
        i * 7919
    )
}

fn write_log(path: &Path, n: usize) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 0..n {
        writeln!(out, "{}", line(i)).expect("write");
    }
    out.flush().expect("flush");
    std::fs::metadata(path).expect("size").len()
}

/// The row the import would store, made without redaction or a
/// fingerprint: the baseline's raw cost of the same rows. Its dedupe key
/// is the same hash the import makes, so rows land in the same places of
/// the same indexes.
fn raw(i: usize) -> NewEvent {
    let text = line(i);
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("json");
    let at = chrono::DateTime::from_timestamp(1_795_011_600 + i as i64, 0).expect("time");
    NewEvent {
        source: Source::Generic,
        dedupe_key: app::events::record::hash_key(&parsed, Some(at)),
        occurred_at: at,
        actor: format!("svc-{}@example.com", i % 17),
        action: format!(
            "payment.{}",
            ["retry", "failed", "succeeded", "refunded"][i % 4]
        ),
        target: format!("inv_{i:08}"),
        outcome: [Outcome::Failure, Outcome::Success, Outcome::Unknown][i % 3],
        request_id: Some(format!("req_{i:012}")),
        environment: None,
        summary: format!("svc-{} payment inv_{i:08}", i % 17),
        payload: text,
        truncated: false,
        fingerprint: format!("{i:064x}"),
    }
}

/// Peak resident memory since the last reset, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Where the reading side's time goes, without the database.
fn stages(log: &Path, n: usize) {
    let mapping = Default::default();
    let rate = |label: &str, began: Instant| {
        println!(
            "stage    {label:<34} {:>10.0} events/s",
            n as f64 / began.elapsed().as_secs_f64()
        )
    };
    let run = |step: &mut dyn FnMut(serde_json::Value)| {
        let file = std::io::Read::take(std::fs::File::open(log).expect("open"), u64::MAX);
        let mut seen = 0;
        let _ = app::events::document::read(file, &mut |_, record| {
            seen += 1;
            if seen > n {
                return Err("enough".into());
            }
            step(record.expect("a record"));
            Ok(())
        });
    };
    let began = Instant::now();
    run(&mut |_| {});
    rate("read and parse", began);
    let began = Instant::now();
    run(&mut |v| {
        let _ = app::events::generic::event(v, &mapping);
    });
    rate("+ map to an event", began);
    let began = Instant::now();
    run(&mut |v| {
        let _ = app::events::generic::event(v, &mapping).map(|p| p.into_event(&[7; 32]));
    });
    rate("+ redact, fingerprint, bound", began);
}

/// Events/s storing the raw rows into a fresh database.
async fn store_raw(path: &Path, n: usize, search_index: bool) -> f64 {
    let raw_db = server::db::open(path).await.expect("db");
    let write = &raw_db.db.write;
    if !search_index {
        // A plain table of the same columns takes the index's place: the
        // text is still copied, but no words are indexed.
        sqlx::raw_sql(
            "DROP TRIGGER events_search_delete; DROP TABLE events_search; \
             CREATE TABLE events_search (summary, actor, action, target, payload)",
        )
        .execute(write)
        .await
        .expect("drop");
    }
    let id = db::begin_import(write, "raw", "bench", chrono::Utc::now(), None)
        .await
        .expect("begin");
    let now = chrono::Utc::now();
    let began = Instant::now();
    let mut i = 0;
    while i < n {
        let batch: Vec<NewEvent> = (i..(i + 4096).min(n)).map(raw).collect();
        let count = batch.len();
        db::store_batch(write, id, batch, now, &[], Progress::default())
            .await
            .expect("store");
        i += count;
    }
    n as f64 / began.elapsed().as_secs_f64()
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // `--import-only` runs the import alone, for a profiler.
    let import_only = std::env::args().any(|a| a == "--import-only");
    runtime.block_on(bench(n, import_only));
}

async fn bench(n: usize, import_only: bool) {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("events.ndjson");
    let size = write_log(&log, n);
    println!(
        "{n} events, {:.0} MB of NDJSON ({} bytes each on average)",
        size as f64 / 1e6,
        size / n as u64
    );

    if !import_only {
        stages(&log, n.min(200_000));
    }

    // The import: stream, parse, redact, fingerprint, store, index.
    let opened = server::db::open(&dir.path().join("import.db"))
        .await
        .expect("db");
    let write = &opened.db.write;
    reset_peak();
    let base_mb = peak_mb();
    let began = Instant::now();
    let started = import::start(
        write,
        "events.ndjson",
        "bench",
        chrono::Utc::now(),
        Some(size),
    )
    .await
    .expect("start");
    let options = Options {
        format: Some(import::Format::Generic),
        mapping: Default::default(),
        key: [7; 32],
        now: chrono::Utc::now(),
        max_records: import::DEFAULT_MAX_RECORDS,
    };
    let file = std::fs::File::open(&log).expect("open");
    let report = started
        .run(write, file, options, |_: Progress| {})
        .await
        .expect("import");
    // Includes merging the search index's segments once it is stored.
    let import_s = began.elapsed().as_secs_f64();
    let import_peak = peak_mb();
    assert_eq!(report.accepted as usize, n, "{report:?}");
    let import_rate = n as f64 / import_s;
    if import_only {
        println!(
            "import   {import_rate:>10.0} events/s  ({import_s:.1} s), {import_peak:.0} MB peak"
        );
        return;
    }

    // The baseline: the same rows, already made, through the same batches;
    // then again without the search index, to show what it costs.
    let raw_rate = store_raw(&dir.path().join("raw.db"), n, true).await;
    let unindexed_rate = store_raw(&dir.path().join("unindexed.db"), n, false).await;
    println!("import   {import_rate:>10.0} events/s  ({import_s:.1} s)");
    println!("raw      {raw_rate:>10.0} events/s");
    println!("raw, without the search index {unindexed_rate:>10.0} events/s");
    println!(
        "ratio    {:>10.2} of raw (target at least 0.35)",
        import_rate / raw_rate
    );
    println!(
        "memory   {import_peak:>10.0} MB peak during the import (target under 200; {base_mb:.0} MB before it)"
    );

    // The events page's queries at this size, on the imported database:
    // a search (a common word, a rare one, two words), a filter, and the
    // next page of each.
    let read = &opened.db.read;
    let cases = [
        ("search 'declined' (every event)", filter("declined", "")),
        ("search 'inv_00500000' (one)", filter("inv_00500000", "")),
        (
            "search 'payment refunded' (a quarter)",
            filter("payment refunded", ""),
        ),
        (
            "search 'nothing-matches-this'",
            filter("nothing-matches-this", ""),
        ),
        ("outcome = failure", filter("", "failure")),
        ("no filter", filter("", "")),
    ];
    for (label, mut f) in cases {
        let mut times = Vec::new();
        let mut shown = 0;
        let mut next = None;
        for _ in 0..20 {
            let began = Instant::now();
            let (rows, more) = app::events::query::list(read, &f, 50).await.expect("list");
            times.push(began.elapsed().as_secs_f64() * 1e3);
            shown = rows.len();
            next = more;
        }
        times.sort_by(f64::total_cmp);
        let began = Instant::now();
        f.after = next;
        let second = app::events::query::list(read, &f, 50)
            .await
            .expect("page 2")
            .0
            .len();
        let page_two = began.elapsed().as_secs_f64() * 1e3;
        println!(
            "page     {label:<40} {shown:>3} shown  p50 {:>6.1} ms  max {:>6.1} ms  next page ({second}) {page_two:>6.1} ms",
            times[times.len() / 2],
            times[times.len() - 1]
        );
    }
}

fn filter(words: &str, outcome: &str) -> app::events::Filter {
    app::events::Filter {
        words: words.into(),
        outcome: outcome.into(),
        ..Default::default()
    }
}
