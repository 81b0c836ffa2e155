//! The run page's body, drawn on the server for one caller: the
//! facilitator's console (clock controls, every inject, the expectations
//! with their judging forms, the run's record) or a player's view (only
//! the released injects meant for their roles). The live island holds it
//! as HTML and swaps it when the run moves on, so none of this code goes
//! to the browser; every control is a plain form.
use super::{
    lines::{ExpectationLine, InjectLine, RunLive, RunView},
    score::Verdict,
    DriveClock, JudgeExpectation, ReleaseInject, RunState,
};
use crate::ui::{when, DataTable};
use leptos::{prelude::*, server_fn::ServerFn};

/// The run page's live view for the caller, its body drawn here as HTML.
/// `seen` names the injects the caller's page already showed released;
/// any released since are marked new (none on a first load).
pub fn live(v: RunView, seen: Option<&[u32]>) -> RunLive {
    let released: Vec<u32> = v
        .injects
        .iter()
        .filter(|i| i.released_at.is_some())
        .map(|i| i.id)
        .collect();
    let fresh: Vec<u32> = match seen {
        Some(seen) => released
            .iter()
            .copied()
            .filter(|i| !seen.contains(i))
            .collect(),
        None => Vec::new(),
    };
    let arrived = v
        .injects
        .iter()
        .filter(|i| fresh.contains(&i.id))
        .map(|i| i.title.clone())
        .collect();
    let html = Owner::new().with(|| run_body(&v, &fresh).to_html());
    RunLive {
        id: v.run.id,
        title: v.run.title,
        revision: v.revision,
        real_now: v.real_now,
        state: v.run.state,
        clock: v.clock,
        planned_s: v.planned_s,
        released,
        arrived,
        html,
    }
}

/// Everything on the run page below its status line.
fn run_body(v: &RunView, fresh: &[u32]) -> impl IntoView {
    let id = v.run.id;
    let players: Vec<String> = v.players.iter().map(|(r, p)| format!("{r}: {p}")).collect();
    view! {
        <p class="meta">
            {format!("Facilitator: {}", v.run.facilitator)}
            // Players are not shown the way to the whole scenario (what is
            // still to come) before the drill ends.
            {(v.facilitating || v.run.state == RunState::Ended).then(|| view! {
                " · " <a href=format!("/drills/scenarios/{}/versions/{}", v.scenario_id, v.scenario_version)>{format!("Scenario version {}", v.scenario_version)}</a>
            })}
            {v.run.incident_id.map(|i| view! { " · " <a href=format!("/incidents/{i}") id="drill-incident">{format!("Drill incident #{i}")}</a> })}
            {(v.facilitating || v.run.state == RunState::Ended).then(|| view! { " · " <a href=format!("/drills/runs/{id}/report") id="report-link">"After-action report"</a> })}
        </p>
        <p class="meta" id="players">{if players.is_empty() { "No players.".to_owned() } else { format!("Players: {}", players.join(" · ")) }}</p>
        {(!v.facilitating).then(|| view! {
            <p class="meta" id="my-roles">{if v.my_roles.is_empty() { "You watch this drill.".to_owned() } else { format!("You play {}.", v.my_roles.join(" and ")) }}</p>
        })}
        {v.facilitating.then(|| controls(id, v.run.state, v.clock.map(|c| c.speed_pct)))}
        <h2>"Score"</h2>
        <p id="score">{v.score.summary()}</p>
        <h2>"Injects"</h2>
        {injects(id, v.injects.clone(), v.facilitating, fresh)}
        {v.facilitating.then(|| view! {
            <h2>"Expectations"</h2>
            {expectations(id, v.expectations.clone())}
            <h2>"The run's record"</h2>
            <ol class="timeline" id="run-record">
                {v.record.iter().map(|e| view! {
                    <li data-kind=e.kind.as_str()><span class="when">{when(e.at)}</span>" "<strong>{e.kind.label()}</strong>" "{e.text.clone()}" · "{e.author.clone()}</li>
                }).collect_view()}
            </ol>
        })}
    }
}

/// The speeds the console offers, as the form sends them and in percent.
const SPEED_CHOICES: [(&str, u32); 5] = [
    ("0.5x", 50),
    ("1x", 100),
    ("2x", 200),
    ("5x", 500),
    ("10x", 1000),
];

/// `speed_pct` is the run's current speed (none before it starts): the
/// speed list shows it chosen, so "Set speed" without a look changes
/// nothing; a drill starts at 1x unless the facilitator picks another.
fn controls(id: i64, state: RunState, speed_pct: Option<u32>) -> impl IntoView {
    let current = speed_pct.unwrap_or(100);
    let button = move |change: &'static str, label: &'static str| {
        view! {
            <form method="post" action=DriveClock::url() class="inline">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="speed" value=""/>
                <button type="submit" name="change" value=change>{label}</button>
            </form>
        }
    };
    let speed_form = move |change: &'static str, label: &'static str| {
        view! {
            <form method="post" action=DriveClock::url() class="inline">
                <input type="hidden" name="id" value=id/>
                <label>"Speed "
                    <select name="speed">
                        {SPEED_CHOICES.into_iter().map(|(s, pct)| view! { <option value=s selected=pct == current>{s}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" name="change" value=change>{label}</button>
            </form>
        }
    };
    view! {
        <div class="drill-controls" id="drill-controls">
            {match state {
                RunState::Scheduled => speed_form("start", "Start").into_any(),
                RunState::Running => view! { {button("pause", "Pause")}{button("next", "Jump to next inject")}{speed_form("speed", "Set speed")}{button("end", "End the drill")} }.into_any(),
                RunState::Paused => view! { {button("resume", "Resume")}{button("next", "Jump to next inject")}{button("end", "End the drill")} }.into_any(),
                RunState::Ended => view! { <p>"This drill has ended."</p> }.into_any(),
            }}
        </div>
    }
}

fn injects(id: i64, list: Vec<InjectLine>, facilitating: bool, fresh: &[u32]) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty" id="injects">"No injects for you yet."</p> }.into_any();
    }
    view! {
        <ol class="injects" id="injects" aria-live="polite">
            {list.into_iter().map(|i| {
                let released = i.released_at.is_some();
                let new = released && fresh.contains(&i.id);
                let class = match (released, new) {
                    (true, true) => "inject released new",
                    (true, false) => "inject released",
                    _ => "inject upcoming",
                };
                view! {
                    <li class=class data-inject=i.id>
                        <h3>{new.then(|| view! { <span class="new-badge">"New"</span>" " })}{format!("+{} {}", i.offset, i.title)}</h3>
                        <p class="meta">
                            {format!("For {}", i.audience)}
                            {i.released_at.map(|t| format!(" · released {}{}", when(t), if i.early { " (early)" } else { "" }))}
                        </p>
                        {(released || facilitating).then(|| view! { <div class="inject-body" inner_html=i.html.clone()></div> })}
                        {(facilitating && !released).then(|| view! {
                            <form method="post" action=ReleaseInject::url() class="inline">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="inject" value=i.id/>
                                <button type="submit">"Release now"</button>
                            </form>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

fn expectations(id: i64, list: Vec<ExpectationLine>) -> impl IntoView {
    view! {
        <DataTable id="expectations" headers=&["Inject", "Expectation", "Target", "State", "Taken", "Judged by", "Judge"]>
            {list.into_iter().map(|e| view! {
                <tr data-expectation=format!("{}-{}", e.inject_id, e.id) class=format!("verdict {}", e.verdict.as_str())>
                    <td>{e.inject}</td>
                    <td>{e.text}</td>
                    <td>{e.within_minutes.map(|m| format!("{m} min"))}</td>
                    <td class="verdict-state">{e.verdict.as_str()}{e.evidence.map(|n| format!(" (entry {n})"))}</td>
                    <td>{e.taken_s.map(crate::clock::duration_text)}</td>
                    <td>{e.judged_by}{(!e.comment.is_empty()).then(|| format!(": {}", e.comment))}</td>
                    <td>
                        <form method="post" action=JudgeExpectation::url() class="inline">
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="inject" value=e.inject_id/>
                            <input type="hidden" name="expectation" value=e.id/>
                            <input type="text" name="comment" placeholder="comment" aria-label="Comment"/>
                            {Verdict::JUDGED.into_iter().map(|v| view! { <button type="submit" name="verdict" value=v.as_str()>{v.as_str()}</button> }).collect_view()}
                        </form>
                    </td>
                </tr>
            }).collect_view()}
        </DataTable>
    }
}
