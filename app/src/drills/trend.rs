//! The trend per runbook: time to commander and time to first notice
//! across its drills and its real incidents, newest last, so a team sees
//! whether practice shows in the real thing. Measured the same way for
//! both (a drill's in its own virtual time).
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How many incidents (drills and real) one runbook's chart shows.
pub const POINTS: i64 = 12;
/// How many runbooks get a chart.
pub const RUNBOOKS: i64 = 12;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub incident_id: i64,
    pub at: DateTime<Utc>,
    pub drill: bool,
    /// Seconds, when reached.
    pub to_commander: Option<i64>,
    pub to_first_notice: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunbookTrend {
    pub runbook_id: i64,
    pub title: String,
    /// Oldest first.
    pub points: Vec<Point>,
}

/// The runbooks that have been used, each with its newest incidents.
#[cfg(feature = "ssr")]
pub async fn trends(
    conn: &mut sqlx::SqliteConnection,
) -> Result<Vec<RunbookTrend>, crate::error::AppError> {
    use crate::incidents::db;
    let runbooks = db::used_runbooks(&mut *conn, RUNBOOKS).await?;
    let mut out = Vec::new();
    for runbook in runbooks {
        let rows = db::newest_of_runbook(&mut *conn, runbook.id, POINTS).await?;
        let mut points = Vec::new();
        for row in rows.into_iter().rev() {
            let (id, at) = (row.id, row.declared_at);
            // Only the marks, not the whole incident: the home page reads
            // this for every runbook.
            let marks = crate::timeline::db::of_kinds(
                &mut *conn,
                crate::timeline::Subject::Incident(id),
                &crate::incidents::MARK_KINDS,
            )
            .await?;
            let (to_commander, to_first_notice) = crate::timeline::first_times(at, &marks);
            points.push(Point {
                incident_id: id,
                at,
                drill: row.drill,
                to_commander,
                to_first_notice,
            });
        }
        out.push(RunbookTrend {
            runbook_id: runbook.id,
            title: runbook.title,
            points,
        });
    }
    Ok(out)
}

const W: f64 = 320.0;
const H: f64 = 120.0;
const LEFT: f64 = 36.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;

/// One runbook's trend as a small chart: minutes up, incidents along,
/// circles for time to commander and squares for time to first notice;
/// hollow marks are drills, filled ones real incidents. A measure never
/// reached sits on the top edge, marked "never".
#[component]
pub fn TrendChart(trend: RunbookTrend) -> impl IntoView {
    let minutes = |s: Option<i64>| s.map(|s| s as f64 / 60.0);
    let top = trend
        .points
        .iter()
        .flat_map(|p| [minutes(p.to_commander), minutes(p.to_first_notice)])
        .flatten()
        .fold(10.0_f64, f64::max)
        .ceil();
    let n = trend.points.len().max(1) as f64;
    let x = move |i: usize| LEFT + (i as f64 + 0.5) * (W - LEFT - 6.0) / n;
    let y = move |m: Option<f64>| match m {
        Some(m) => TOP + (H - TOP - BOTTOM) * (1.0 - m / top),
        None => TOP - 4.0,
    };
    let label = format!(
        "{}: time to commander and to first notice over the last {} incidents and drills",
        trend.title,
        trend.points.len()
    );
    let marks = trend
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let kind = if p.drill { "drill" } else { "real" };
            let say = |s: Option<i64>| s.map_or_else(|| "never".to_owned(), crate::clock::duration_text);
            let (cx, cy) = (x(i), y(minutes(p.to_commander)));
            let ny = y(minutes(p.to_first_notice));
            view! {
                <g class=format!("point {kind}")>
                    <circle class="commander" cx=format!("{cx:.1}") cy=format!("{cy:.1}") r="4">
                        <title>{format!("#{} ({kind}): commander after {}", p.incident_id, say(p.to_commander))}</title>
                    </circle>
                    <rect class="notice" x=format!("{:.1}", cx - 3.5) y=format!("{:.1}", ny - 3.5) width="7" height="7">
                        <title>{format!("#{} ({kind}): first notice after {}", p.incident_id, say(p.to_first_notice))}</title>
                    </rect>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="trend">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=label.clone() class="trend-chart">
                <title>{label.clone()}</title>
                <line class="axis" x1=LEFT y1=TOP x2=LEFT y2=H - BOTTOM/>
                <line class="axis" x1=LEFT y1=H - BOTTOM x2=W - 4.0 y2=H - BOTTOM/>
                <text x="2" y=TOP + 4.0 class="tick">{format!("{top:.0}m")}</text>
                <text x="2" y=H - BOTTOM class="tick">"0m"</text>
                <text x=LEFT y=H - 6.0 class="tick">"older → newer"</text>
                {marks}
            </svg>
            <figcaption>
                <a href=format!("/runbooks/{}", trend.runbook_id)>{trend.title.clone()}</a>
                " · ○ commander · □ first notice · hollow: drill, filled: real"
            </figcaption>
        </figure>
    }
}

/// Every runbook's chart, or what an empty list means.
pub fn charts(trends: Vec<RunbookTrend>) -> impl IntoView {
    if trends.is_empty() {
        return view! { <p class="empty" id="trends">"No incidents or drills on a runbook yet."</p> }.into_any();
    }
    view! {
        <div class="trends" id="trends">
            {trends.into_iter().map(|trend| view! { <TrendChart trend/> }).collect_view()}
        </div>
    }
    .into_any()
}
