//! `/admin/backups`: the last backup and whether its verify passed, the
//! last restore drill with what it found, a button to run a drill now,
//! and the history of both as a strip (green passed, red failed) and a
//! table.
use super::{
    api::{get_backups, BackupsView},
    Kind, Run, Standing,
};
use crate::{
    fields::query,
    ui::{when, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 10 << 20 => format!("{} MB", b >> 20),
        b if b >= 10 << 10 => format!("{} KB", b >> 10),
        b => format!("{b} bytes"),
    }
}

fn kind_text(kind: Kind) -> &'static str {
    match kind {
        Kind::Scheduled => "backup",
        Kind::Drill => "restore drill",
    }
}

/// The newest scheduled backup and the newest drill, in sentences.
pub fn last_backup_text(s: &Standing) -> String {
    s.last_good.as_ref().map_or_else(
        || "No scheduled backup has succeeded yet.".to_owned(),
        |r| {
            format!(
                "Last good backup: {}, {}, verified, {}.",
                r.file,
                size(r.bytes),
                when(r.finished_at)
            )
        },
    )
}

pub fn last_drill_text(s: &Standing) -> String {
    s.last_drill.as_ref().map_or_else(
        || "No restore drill yet.".to_owned(),
        |d| {
            format!(
                "Last restore drill: {} on {}, {} (took {:.1} s). {}",
                if d.ok { "passed" } else { "failed" },
                d.file,
                when(d.finished_at),
                d.took_ms() as f64 / 1000.0,
                d.message
            )
        },
    )
}

fn strip(runs: &[Run]) -> impl IntoView {
    let n = runs.len();
    let marks = runs
        .iter()
        .rev()
        .enumerate()
        .map(|(i, r)| {
            let class = format!(
                "mark {} {}",
                if r.ok { "passed" } else { "failed" },
                r.kind.as_str()
            );
            // Drills stand taller, so the two kinds read apart at a glance.
            let (y, h) = if r.kind == Kind::Drill { (0, 24) } else { (6, 18) };
            view! { <rect class=class x=i * 12 y=y width="10" height=h><title>{format!("{} {} {}", when(r.finished_at), kind_text(r.kind), if r.ok { "passed" } else { "failed" })}</title></rect> }
        })
        .collect_view();
    view! {
        <svg class="backup-strip" role="img" aria-label=format!("The newest {n} backups and drills, oldest first: green passed, red failed, tall ones drills") viewBox=format!("0 0 {} 24", (n * 12).max(12)) width=(n * 12).max(12) height="24">
            {marks}
        </svg>
    }
}

fn runs_table(runs: Vec<Run>) -> impl IntoView {
    view! {
        <DataTable id="backup-runs" headers=&["Finished (UTC)", "Kind", "Backup", "Size", "Result", "Took", "What it found"]>
            {runs.into_iter().map(|r| {
                let class = format!("run-{}", if r.ok { "passed" } else { "failed" });
                let took = format!("{:.1} s", r.took_ms() as f64 / 1000.0);
                let found = if r.kind == Kind::Scheduled && r.pruned > 0 {
                    format!("{}; {} older pruned", r.message, r.pruned)
                } else {
                    r.message.clone()
                };
                view! {
                    <tr class=class data-kind=r.kind.as_str()>
                        <td>{when(r.finished_at)}</td>
                        <td>{kind_text(r.kind)}</td>
                        <td><code>{r.file}</code></td>
                        <td>{size(r.bytes)}</td>
                        <td>{if r.ok { "passed" } else { "failed" }}</td>
                        <td>{took}</td>
                        <td>{found}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}

fn page(v: BackupsView) -> impl IntoView {
    let Some(s) = v.standing else {
        return view! {
            <p class="empty" id="backups-none">
                "No backup or restore drill is recorded. Start Muster with "<code>"--backup-dir DIR"</code>
                " to take sealed backups on a schedule, or use "<code>"muster backup create"</code>"."
            </p>
        }
        .into_any();
    };
    view! {
        <section class="card" aria-labelledby="backups-standing">
            <h2 id="backups-standing">"Now"</h2>
            {s.backup_warning.clone().map(|w| view! { <p class="warn" id="backup-warning" role="alert">{w}</p> })}
            {s.drill_warning.clone().map(|w| view! { <p class="warn" id="drill-warning" role="alert">{w}</p> })}
            <p id="backup-last">{last_backup_text(&s)}</p>
            <p id="drill-last">{last_drill_text(&s)}</p>
        </section>
        <h2>"History"</h2>
        {strip(&v.runs)}
        {runs_table(v.runs)}
    }
    .into_any()
}

#[component]
pub fn BackupsPage() -> impl IntoView {
    let refused = query("error");
    view! {
        <Title text="Backups"/>
        <h1>"Backups"</h1>
        <p class="lede">
            "Sealed backups taken on a schedule, and restore drills that prove the newest one opens: restored into a temporary database, checked, and served by a second Muster on this machine. Run a drill at least every "
            {super::DRILL_EVERY_DAYS}" days and after every upgrade."
        </p>
        {(!refused.is_empty()).then(|| view! { <div class="error-notice" role="alert"><p>{refused}</p></div> })}
        <form method="post" action="/admin/backups/drill" id="drill-form">
            <button type="submit">"Run a restore drill now"</button>
        </form>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match get_backups().await {
                    Ok(v) => page(v).into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
