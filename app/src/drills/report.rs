//! The after-action report of a drill: the score with its coverage, each
//! expectation's time taken against its target, the drill incident's
//! measures (the same as a real incident's), a picture of the run, the
//! facilitator's strengths and areas to improve, and action items. As a
//! page (printable) and as Markdown.
use super::{
    lines::{ExpectationLine, InjectLine, RunLine},
    score::{Score, Verdict},
};
use crate::{clock::duration_text, timeline::Measures};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// An action item the drill brought up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    pub id: i64,
    pub text: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
}

/// Something a player did, seconds into the drill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseMark {
    pub at_s: i64,
    pub label: String,
    pub text: String,
}

/// An expectation on the picture, in seconds from the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub label: String,
    pub released_s: i64,
    pub deadline_s: Option<i64>,
    pub met_s: Option<i64>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub run: RunLine,
    pub scenario_version: i64,
    pub planned_s: i64,
    pub elapsed_s: i64,
    /// (role, person)
    pub players: Vec<(String, String)>,
    pub score: Score,
    pub measures: Measures,
    pub injects: Vec<InjectLine>,
    /// Seconds from the start each inject was released at (by id).
    pub released_s: Vec<(u32, i64)>,
    pub expectations: Vec<ExpectationLine>,
    pub spans: Vec<Span>,
    pub responses: Vec<ResponseMark>,
    pub strengths: String,
    pub improvements: String,
    pub actions: Vec<ActionItem>,
    pub facilitating: bool,
}

/// "4m 10s of 15 min" or "—".
pub fn taken_text(e: &ExpectationLine) -> String {
    let target = e
        .within_minutes
        .map(|m| format!(" (target {m} min)"))
        .unwrap_or_default();
    match e.taken_s {
        Some(s) => format!("{}{target}", duration_text(s)),
        None => format!("—{target}"),
    }
}

fn seconds(s: Option<i64>) -> String {
    s.map_or_else(|| "not reached".to_owned(), duration_text)
}

impl Report {
    /// The report as Markdown, for pasting into a wiki or a review.
    pub fn markdown(&self) -> String {
        // Typed HTML stays text in any wiki the file is pasted into.
        let md = crate::ui::markdown_text;
        let mut out = format!(
            "# After-action report: {}\n\nDRILL (practice only; nothing left Muster). Scenario version {}, facilitated by {}. \
             Ran {} of a planned {}.\n\n",
            md(&self.run.title),
            self.scenario_version,
            md(&self.run.facilitator),
            duration_text(self.elapsed_s),
            duration_text(self.planned_s)
        );
        if !self.players.is_empty() {
            out.push_str("Players: ");
            let players: Vec<String> = self
                .players
                .iter()
                .map(|(r, p)| format!("{}: {}", md(r), md(p)))
                .collect();
            out.push_str(&players.join(", "));
            out.push_str("\n\n");
        }
        out.push_str(&format!("## Score\n\n{}\n\n", self.score.summary()));
        out.push_str(&format!(
            "## Measures\n\n- Time to commander: {}\n- Time to first notice: {}\n- Checklist: {} of {} steps done\n\n",
            seconds(self.measures.to_commander),
            seconds(self.measures.to_first_notice),
            self.measures.steps_done,
            self.measures.steps_total
        ));
        out.push_str(
            "## Expectations\n\n| Inject | Expectation | State | Taken |\n|---|---|---|---|\n",
        );
        for e in &self.expectations {
            let comment = if e.comment.is_empty() {
                String::new()
            } else {
                format!(" ({})", cell(&e.comment))
            };
            out.push_str(&format!(
                "| {} | {} | {}{comment} | {} |\n",
                cell(&e.inject),
                cell(&e.text),
                e.verdict.as_str(),
                taken_text(e)
            ));
        }
        for (title, text) in [
            ("Strengths", &self.strengths),
            ("Areas for improvement", &self.improvements),
        ] {
            out.push_str(&format!("\n## {title}\n\n"));
            if text.is_empty() {
                out.push_str("(none written)");
            } else {
                out.push_str(&md(text));
            }
            out.push('\n');
        }
        out.push_str("\n## Action items\n\n");
        if self.actions.is_empty() {
            out.push_str("(none)\n");
        }
        for a in &self.actions {
            out.push_str(&format!(
                "- [ ] {} (owner: {}, due {})\n",
                md(&a.text),
                md(&a.owner),
                a.due_on
            ));
        }
        out
    }
}

/// A table cell: no pipes or line breaks to break the table.
fn cell(text: &str) -> String {
    crate::ui::markdown_text(text)
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

const LEFT: f64 = 110.0;
const WIDTH: f64 = 870.0;

/// The run as a picture on one axis of virtual time: injects as diamonds;
/// each expectation as a bar from its inject to its deadline, coloured by
/// how it stands, with a dot where it was met; and what the players did.
/// Drawn on the server as SVG, so it shows without JavaScript and prints.
#[component]
pub fn RunChart(report: Report) -> impl IntoView {
    let end = report
        .planned_s
        .max(report.elapsed_s)
        .max(
            report
                .spans
                .iter()
                .filter_map(|s| s.deadline_s)
                .max()
                .unwrap_or(0),
        )
        .max(60);
    let x = move |s: i64| (LEFT + WIDTH * s.clamp(0, end) as f64 / end as f64).round() as i64;
    let rows = report.spans.len();
    let bar_y = |i: usize| 62 + 16 * i as i64;
    let responses_y = bar_y(rows) + 14;
    let height = responses_y + 34;
    let summary = format!(
        "The drill over {}: {} injects released; expectations {} met, {} missed, {} waived, {} pending; {} responses.",
        duration_text(end),
        report.released_s.len(),
        report.score.met,
        report.score.missed,
        report.score.waived,
        report.score.pending,
        report.responses.len()
    );
    let verdict_class = |v: Verdict| format!("span {}", v.as_str());
    view! {
        <figure class="timeline-figure drill-figure">
            <svg class="timeline-chart" viewBox=format!("0 0 1000 {height}") role="img" aria-label=summary.clone()>
                <text x="0" y="30" class="lane-label">"Injects"</text>
                <line x1=x(0) y1="26" x2=x(end) y2="26" class="lane"/>
                {report.released_s.iter().map(|(id, at)| {
                    let cx = x(*at);
                    view! {
                        <path d=format!("M{} 18 L{} 26 L{} 34 L{} 26 Z", cx, cx + 8, cx, cx - 8) class="inject-mark">
                            <title>{format!("Inject {id} at {}", super::offset_text(u32::try_from(*at).unwrap_or(0)))}</title>
                        </path>
                    }
                }).collect_view()}
                <text x="0" y="56" class="lane-label">"Expectations"</text>
                {report.spans.iter().enumerate().map(|(i, s)| {
                    let y = bar_y(i);
                    let to = s.deadline_s.unwrap_or(end);
                    view! {
                        <rect x=x(s.released_s) y=y - 5 width=(x(to) - x(s.released_s)).max(2) height="10" class=verdict_class(s.verdict)>
                            <title>{format!("{}: {}", s.label, s.verdict.as_str())}</title>
                        </rect>
                        {s.met_s.map(|m| view! { <circle cx=x(m) cy=y r="5" class="met-mark"><title>{format!("Done at {}", super::offset_text(u32::try_from(m).unwrap_or(0)))}</title></circle> })}
                    }
                }).collect_view()}
                <text x="0" y=responses_y + 4 class="lane-label">"Responses"</text>
                <line x1=x(0) y1=responses_y x2=x(end) y2=responses_y class="lane"/>
                {report.responses.iter().map(|r| view! {
                    <circle cx=x(r.at_s) cy=responses_y r="5" class="mark lane-2">
                        <title>{format!("{} {}: {}", super::offset_text(u32::try_from(r.at_s).unwrap_or(0)), r.label, r.text)}</title>
                    </circle>
                }).collect_view()}
                <text x=x(0) y=height - 4 class="axis-label">"00:00"</text>
                <text x=x(end) y=height - 4 text-anchor="end" class="axis-label">{super::offset_text(u32::try_from(end).unwrap_or(0))}</text>
            </svg>
            <figcaption class="visually-hidden">{summary}</figcaption>
        </figure>
    }
}

/// The report of run `id` for `caller`: the facilitator's at any time,
/// everyone's once the drill has ended (before that it would give away
/// what is still to come).
#[cfg(feature = "ssr")]
pub async fn build(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    caller: &crate::auth::Caller,
    real: chrono::DateTime<chrono::Utc>,
) -> Result<Report, crate::error::AppError> {
    use crate::{
        error::AppError,
        incidents::EntryKind,
        timeline::{Data, Subject},
    };
    let run = super::db::get(&mut *conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That drill".into()))?;
    let v = super::run_view::run_view(&mut *conn, id, caller, real, true).await?;
    if !v.facilitating && run.state != super::RunState::Ended {
        return Err(AppError::Conflict(
            "The report opens to everyone when the drill has ended.".into(),
        ));
    }
    let start = run.clock.map(|c| c.start).unwrap_or(real);
    let secs = |t: chrono::DateTime<chrono::Utc>| (t - start).num_seconds().max(0);
    let released_s: Vec<(u32, i64)> = v
        .injects
        .iter()
        .filter_map(|i| i.released_at.map(|at| (i.id, secs(at))))
        .collect();
    let spans = v
        .expectations
        .iter()
        .filter_map(|e| {
            let released = released_s.iter().find(|(i, _)| *i == e.inject_id)?.1;
            Some(Span {
                label: e.text.clone(),
                released_s: released,
                deadline_s: e.within_minutes.map(|m| released + i64::from(m) * 60),
                met_s: e.taken_s.map(|t| released + t),
                verdict: e.verdict,
            })
        })
        .collect();
    let (measures, responses) = match run.incident_id {
        Some(incident) => {
            let measures = crate::incidents::db::load(&mut *conn, incident, real, None)
                .await?
                .map(|i| i.measures())
                .unwrap_or_default();
            let kinds = [
                EntryKind::RoleAssigned,
                EntryKind::StepDone,
                EntryKind::NoticePublished,
                EntryKind::Note,
            ];
            let entries =
                crate::timeline::db::of_kinds(&mut *conn, Subject::Incident(incident), &kinds)
                    .await?;
            let responses = entries
                .into_iter()
                .filter(|e| match (&e.kind, &e.data) {
                    (EntryKind::Note, _) => e.text.contains(super::DECISION_TAG),
                    (EntryKind::RoleAssigned, Some(Data::Role { to, .. })) => to.is_some(),
                    _ => true,
                })
                .map(|e| ResponseMark {
                    at_s: secs(e.when()),
                    label: e.kind.label().to_owned(),
                    text: e.text.lines().next().unwrap_or_default().to_owned(),
                })
                .collect();
            (measures, responses)
        }
        None => (Measures::default(), Vec::new()),
    };
    let notes = super::db::report_notes(&mut *conn, id).await?;
    let actions = crate::actions::db::of_run(&mut *conn, id)
        .await?
        .into_iter()
        .map(|a| ActionItem {
            id: a.id,
            text: a.title,
            owner: a.owner,
            due_on: a.due_on,
        })
        .collect();
    Ok(Report {
        run: v.run,
        scenario_version: v.scenario_version,
        planned_s: v.planned_s,
        elapsed_s: v.elapsed_s,
        players: v.players,
        score: v.score,
        measures,
        injects: v.injects,
        released_s,
        expectations: v.expectations,
        spans,
        responses,
        strengths: notes.strengths,
        improvements: notes.improvements,
        actions,
        facilitating: v.facilitating,
    })
}
