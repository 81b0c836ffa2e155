//! The incident as a picture: status periods as coloured bands, and marks
//! for steps done, notices published and everything else, on one time
//! axis from declaration to resolution (or now). Drawn on the server as
//! SVG, so it shows without JavaScript.
use super::{Entry, EntryKind, IncidentView, Status};
use crate::ui::Axis;
use leptos::prelude::*;

const LEFT: f64 = 90.0;
const WIDTH: f64 = 900.0;

/// One mark on the chart: lane, x position, and what it says on hover.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub lane: usize,
    pub x: f64,
    pub label: String,
}

pub const LANES: [&str; 3] = ["Steps done", "Notices", "Notes, roles"];

/// Status periods: (status, from x, to x).
pub fn bands(v: &IncidentView) -> Vec<(Status, f64, f64)> {
    let axis = axis(v);
    let end = axis.end;
    let mut out = Vec::new();
    let mut current = (Status::Investigating, axis.start);
    for (when, to) in crate::timeline::status_changes(&v.marks) {
        let Ok(next) = Status::parse("status", to) else {
            continue;
        };
        out.push((current.0, axis.x(current.1), axis.x(when)));
        current = (next, when);
    }
    if current.0 != Status::Resolved || out.is_empty() {
        out.push((current.0, axis.x(current.1), axis.x(end)));
    }
    out
}

/// Everything the picture marks: steps, notices, roles and severity from
/// the whole history, and the notes of the page shown.
fn drawn(v: &IncidentView) -> impl Iterator<Item = &Entry> {
    let notes = v.timeline.iter().filter(|e| {
        matches!(
            e.kind,
            EntryKind::Note | EntryKind::Correction | EntryKind::EventLinked
        )
    });
    v.marks.iter().chain(notes)
}

pub fn marks(v: &IncidentView) -> Vec<Mark> {
    let axis = axis(v);
    let mut out: Vec<Mark> = drawn(v)
        .filter_map(|e| {
            let lane = match e.kind {
                EntryKind::StepDone => 0,
                EntryKind::NoticePublished => 1,
                EntryKind::Note
                | EntryKind::Correction
                | EntryKind::RoleAssigned
                | EntryKind::SeverityChange
                | EntryKind::EventLinked => 2,
                _ => return None,
            };
            let first_line = e.text.lines().next().unwrap_or_default();
            Some(Mark {
                lane,
                x: axis.x(e.when()),
                label: format!(
                    "{} {}: {first_line}",
                    crate::ui::hh_mm(e.when()),
                    e.kind.label()
                ),
            })
        })
        .collect();
    out.sort_by(|a, b| a.x.total_cmp(&b.x));
    out
}

/// From declaration (or the earliest entry drawn) to resolution or now
/// (or the latest entry drawn).
fn axis(v: &IncidentView) -> Axis {
    let start = v.incident.declared_at;
    let end = v.incident.resolved_at.unwrap_or(v.now);
    // Caught-up notes may be from before the declaration.
    let earliest = drawn(v).map(Entry::when).min().unwrap_or(start).min(start);
    let latest = drawn(v).map(Entry::when).max().unwrap_or(end).max(end);
    Axis::new(earliest, latest, LEFT, WIDTH)
}

fn colour(status: Status) -> &'static str {
    match status {
        Status::Investigating => "#dc2626",
        Status::Identified => "#d97706",
        Status::Monitoring => "#2563eb",
        Status::Resolved => "#16a34a",
    }
}

#[component]
pub fn TimelineChart(incident: IncidentView) -> impl IntoView {
    let axis = axis(&incident);
    let (start, end) = (axis.start, axis.end);
    let (left, right) = axis.ends();
    let bands = bands(&incident);
    let marks = marks(&incident);
    let summary = format!(
        "Timeline from {} to {}: {} status periods, {} steps done, {} notices published.",
        crate::ui::hh_mm(start),
        crate::ui::hh_mm(end),
        bands.len(),
        marks.iter().filter(|m| m.lane == 0).count(),
        marks.iter().filter(|m| m.lane == 1).count()
    );
    // Whole numbers in the picture: a 1000-wide drawing needs no finer, and
    // formatting floats would ship a float printer to every browser.
    let n = |v: f64| v.round() as i64;
    let lane_y = |lane: usize| 55 + 30 * lane as i64;
    view! {
        <figure class="timeline-figure">
            <svg class="timeline-chart" viewBox="0 0 1000 150" role="img" aria-label=summary.clone()>
                {bands.into_iter().map(|(status, from, to)| view! {
                    <rect x=n(from) y="8" width=n((to - from).max(1.0)) height="22" fill=colour(status)>
                        <title>{status.title()}</title>
                    </rect>
                    {(to - from > 70.0).then(|| view! { <text x=n(from) + 4 y="24" class="band-label">{status.title()}</text> })}
                }).collect_view()}
                {LANES.iter().enumerate().map(|(lane, name)| {
                    let y = lane_y(lane);
                    view! {
                        <text x="0" y=y + 4 class="lane-label">{*name}</text>
                        <line x1=n(left) y1=y x2=n(right) y2=y class="lane"/>
                    }
                }).collect_view()}
                {marks.into_iter().map(|m| view! {
                    <circle cx=n(m.x) cy=lane_y(m.lane) r="6" class=format!("mark lane-{}", m.lane)>
                        <title>{m.label}</title>
                    </circle>
                }).collect_view()}
                <text x=n(left) y="146" class="axis-label">{crate::ui::hh_mm(start)}</text>
                <text x=n(right) y="146" text-anchor="end" class="axis-label">{format!("{} UTC", crate::ui::hh_mm(end))}</text>
            </svg>
            <figcaption class="visually-hidden">{summary}</figcaption>
        </figure>
    }
}
