//! The drill pages: scenarios and runs (with the form that plans a run),
//! one scenario with its injects and expectations, and one run: the
//! facilitator's console, or the players' view of the injects released
//! for their roles. Every control is a plain form, so the pages work
//! without WebAssembly.
use super::{
    api::{DrillsOverview, ExpectationLine, InjectLine, RunView},
    report::{taken_text, Report, RunChart},
    score::Verdict,
    AddAction, Audience, Check, DriveClock, JudgeExpectation, PlanRun, ReleaseInject, RunState,
    SaveReportNotes,
};
use crate::{
    auth::{caller_may, Role},
    clock::VirtualClock,
    fields::id_param,
    ui::{returned_error, when, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

fn loading() -> impl IntoView {
    view! { <p>"Loading…"</p> }
}

/// "12:30": virtual seconds as the console shows them.
fn clock_text(seconds: i64) -> String {
    super::offset_text(u32::try_from(seconds.max(0)).unwrap_or(u32::MAX))
}

#[component]
pub fn DrillsPage() -> impl IntoView {
    let plan = ServerAction::<PlanRun>::new();
    let error = returned_error(plan);
    let editor = caller_may(Role::Editor);
    view! {
        <Title text="Drills"/>
        <h1>"Drills"</h1>
        <p class="lede">"Tabletop drills rehearse a runbook on a drill incident with a virtual clock. Nothing a drill does leaves Muster."</p>
        {error}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match super::api::list_drills().await {
                    Ok(o) => overview(o, editor, plan).into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn overview(o: DrillsOverview, editor: bool, plan: ServerAction<PlanRun>) -> impl IntoView {
    let runs = if o.runs.is_empty() {
        view! { <p class="empty">"No drills yet."</p> }.into_any()
    } else {
        view! {
            <DataTable id="drill-runs" headers=&["Drill", "State", "Facilitator", "Planned for", "Drill incident"]>
                {o.runs.into_iter().map(|r| view! {
                    <tr data-run=r.id>
                        <td><a href=format!("/drills/runs/{}", r.id)>{r.title}</a></td>
                        <td class=format!("run-state {}", r.state.as_str())>{r.state.as_str()}</td>
                        <td>{r.facilitator}</td>
                        <td>{r.scheduled_for.map(when)}</td>
                        <td>{r.incident_id.map(|i| view! { <a href=format!("/incidents/{i}")>{format!("#{i}")}</a> })}</td>
                    </tr>
                }).collect_view()}
            </DataTable>
        }
        .into_any()
    };
    let scenarios = o.scenarios.clone();
    view! {
        <h2>"Runs"</h2>
        {runs}
        <h2>"Scenarios"</h2>
        <DataTable id="scenarios" headers=&["Scenario", "Tags", "Runbook", "Version", "Last change"]>
            {o.scenarios.into_iter().map(|s| view! {
                <tr>
                    <td><a href=format!("/drills/scenarios/{}", s.id)>{s.title}</a></td>
                    <td>{s.tags.join(", ")}</td>
                    <td>{s.label}</td>
                    <td><a href=format!("/drills/scenarios/{}/history", s.id)>{format!("v{}", s.latest)}</a></td>
                    <td>{format!("{} by {}", when(s.updated_at), s.updated_by)}</td>
                </tr>
            }).collect_view()}
        </DataTable>
        {(editor && !scenarios.is_empty()).then(|| view! {
            <h2>"Plan a drill"</h2>
            <ActionForm action=plan attr:id="plan-drill" attr:class="stacked">
                <label>"Scenario "
                    <select name="scenario">
                        {scenarios.into_iter().map(|s| view! { <option value=s.id>{s.title}</option> }).collect_view()}
                    </select>
                </label>
                <fieldset>
                    <legend>"Players (you facilitate)"</legend>
                    {o.roles.into_iter().map(|(id, role)| {
                        let people = o.people.clone();
                        view! {
                            <label>{role}" "
                                <select name=format!("players[{id}]")>
                                    <option value="">"(nobody)"</option>
                                    {people.into_iter().map(|(p, name)| view! { <option value=p>{name}</option> }).collect_view()}
                                </select>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <label>"Planned for (UTC, blank: now) " <input type="text" name="scheduled_for" placeholder="2026-12-03 14:00"/></label>
                <label>"Start now at "
                    <select name="start">
                        <option value="">"(do not start yet)"</option>
                        {["1x", "2x", "5x", "10x"].into_iter().map(|s| view! { <option value=s>{s}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Plan the drill"</button>
            </ActionForm>
        })}
    }
}

#[component]
pub fn RunPage() -> impl IntoView {
    let id = id_param();
    let clock = ServerAction::<DriveClock>::new();
    let release = ServerAction::<ReleaseInject>::new();
    let judge = ServerAction::<JudgeExpectation>::new();
    let errors = (
        returned_error(clock),
        returned_error(release),
        returned_error(judge),
    );
    view! {
        <Title text="Drill"/>
        {errors}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match super::api::get_run(id).await {
                    Ok(v) => run_page(v, clock, release, judge).into_any(),
                    Err(error) => view! { <h1>"Drill"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn run_page(
    v: RunView,
    clock: ServerAction<DriveClock>,
    release: ServerAction<ReleaseInject>,
    judge: ServerAction<JudgeExpectation>,
) -> impl IntoView {
    let id = v.run.id;
    let speed = v
        .clock
        .map(|c| VirtualClock::speed_label(c.speed_pct))
        .unwrap_or_default();
    let status = format!(
        "{} · {} of {} · {}",
        v.run.state.as_str(),
        clock_text(v.elapsed_s),
        clock_text(v.planned_s),
        if speed.is_empty() {
            "not started".to_owned()
        } else {
            speed
        }
    );
    let players: Vec<String> = v.players.iter().map(|(r, p)| format!("{r}: {p}")).collect();
    view! {
        <p class="drill-banner">"DRILL: practice only. Notices are never sent outside Muster and nobody is paged."</p>
        <h1>{v.run.title.clone()}</h1>
        <p class="lede" id="run-status" data-state=v.run.state.as_str()>{status}</p>
        <p class="meta">
            {format!("Facilitator: {} · ", v.run.facilitator)}
            <a href=format!("/drills/scenarios/{}/versions/{}", v.scenario_id, v.scenario_version)>{format!("Scenario version {}", v.scenario_version)}</a>
            {v.run.incident_id.map(|i| view! { " · " <a href=format!("/incidents/{i}") id="drill-incident">{format!("Drill incident #{i}")}</a> })}
            {(v.facilitating || v.run.state == RunState::Ended).then(|| view! { " · " <a href=format!("/drills/runs/{id}/report") id="report-link">"After-action report"</a> })}
        </p>
        <p class="meta" id="players">{if players.is_empty() { "No players.".to_owned() } else { format!("Players: {}", players.join(" · ")) }}</p>
        {(!v.facilitating).then(|| view! {
            <p class="meta" id="my-roles">{if v.my_roles.is_empty() { "You watch this drill.".to_owned() } else { format!("You play {}.", v.my_roles.join(" and ")) }}</p>
        })}
        {v.facilitating.then(|| controls(id, v.run.state, clock))}
        <h2>"Score"</h2>
        <p id="score">{v.score.summary()}</p>
        <h2>"Injects"</h2>
        {injects(id, v.injects, v.facilitating, release)}
        {v.facilitating.then(|| view! {
            <h2>"Expectations"</h2>
            {expectations(id, v.expectations, judge)}
            <h2>"The run's record"</h2>
            <ol class="timeline" id="run-record">
                {v.record.into_iter().map(|e| view! {
                    <li data-kind=e.kind.as_str()><span class="when">{when(e.at)}</span>" "<strong>{e.kind.label()}</strong>" "{e.text}" · "{e.author}</li>
                }).collect_view()}
            </ol>
        })}
    }
}

fn controls(id: i64, state: RunState, clock: ServerAction<DriveClock>) -> impl IntoView {
    let button = move |change: &'static str, label: &'static str| {
        view! {
            <ActionForm action=clock attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="speed" value=""/>
                <button type="submit" name="change" value=change>{label}</button>
            </ActionForm>
        }
    };
    let speed_form = move |change: &'static str, label: &'static str| {
        view! {
            <ActionForm action=clock attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <select name="speed">
                    {["0.5x", "1x", "2x", "5x", "10x"].into_iter().map(|s| view! { <option value=s selected=s == "10x">{s}</option> }).collect_view()}
                </select>
                <button type="submit" name="change" value=change>{label}</button>
            </ActionForm>
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

fn injects(
    id: i64,
    list: Vec<InjectLine>,
    facilitating: bool,
    release: ServerAction<ReleaseInject>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty" id="injects">"No injects for you yet."</p> }.into_any();
    }
    view! {
        <ol class="injects" id="injects">
            {list.into_iter().map(|i| {
                let released = i.released_at.is_some();
                view! {
                    <li class=if released { "inject released" } else { "inject upcoming" } data-inject=i.id>
                        <h3>{format!("+{} {}", i.offset, i.title)}</h3>
                        <p class="meta">
                            {format!("For {}", i.audience)}
                            {i.released_at.map(|t| format!(" · released {}{}", when(t), if i.early { " (early)" } else { "" }))}
                        </p>
                        {(released || facilitating).then(|| view! { <div class="inject-body" inner_html=i.html.clone()></div> })}
                        {(facilitating && !released).then(|| view! {
                            <ActionForm action=release attr:class="inline">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="inject" value=i.id/>
                                <button type="submit">"Release now"</button>
                            </ActionForm>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

fn expectations(
    id: i64,
    list: Vec<ExpectationLine>,
    judge: ServerAction<JudgeExpectation>,
) -> impl IntoView {
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
                        <ActionForm action=judge attr:class="inline">
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="inject" value=e.inject_id/>
                            <input type="hidden" name="expectation" value=e.id/>
                            <input type="text" name="comment" placeholder="comment" aria-label="Comment"/>
                            {Verdict::JUDGED.into_iter().map(|v| view! { <button type="submit" name="verdict" value=v.as_str()>{v.as_str()}</button> }).collect_view()}
                        </ActionForm>
                    </td>
                </tr>
            }).collect_view()}
        </DataTable>
    }
}

#[component]
pub fn ScenarioPage() -> impl IntoView {
    let id = id_param();
    let version = leptos_router::hooks::use_params_map()
        .with_untracked(|p| p.get("version").and_then(|v| v.parse::<i64>().ok()));
    view! {
        <Title text="Scenario"/>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match super::api::get_scenario(id, version).await {
                    Ok(s) => scenario_page(s).into_any(),
                    Err(error) => view! { <h1>"Scenario"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn scenario_page(s: super::api::ScenarioView) -> impl IntoView {
    let role = |id: &i64| {
        s.roles
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("role #{id}"))
    };
    let c = &s.content;
    view! {
        <h1>{c.title.clone()}</h1>
        <p class="meta">
            {format!("Version {} of {} · planned {} min · rehearses {} · roles: {} · ", s.version, s.latest, c.planned_minutes,
                if s.runbook.is_empty() { "no runbook".to_owned() } else { s.runbook.clone() },
                c.roles.iter().map(role).collect::<Vec<_>>().join(", "))}
            <a href=format!("/drills/scenarios/{}/history", s.id)>"History"</a>
        </p>
        <div class="markdown" inner_html=s.description_html.clone()></div>
        <ol class="injects" id="scenario-injects">
            {c.injects.iter().zip(s.bodies_html.iter()).map(|(i, body)| view! {
                <li class="inject">
                    <h3>{format!("+{} {}", super::offset_text(i.offset_s), i.title)}</h3>
                    <p class="meta">{match &i.audience {
                        Audience::Everyone => "For everyone".to_owned(),
                        Audience::Roles(r) => format!("For {}", r.iter().map(role).collect::<Vec<_>>().join(", ")),
                    }}</p>
                    <div class="inject-body" inner_html=body.clone()></div>
                    <ul>
                        {i.expectations.iter().map(|e| view! {
                            <li>{format!("Expect: {}{} ({})", e.text,
                                e.within_minutes.map(|m| format!(", within {m} min")).unwrap_or_default(),
                                check_text(&e.check))}</li>
                        }).collect_view()}
                    </ul>
                </li>
            }).collect_view()}
        </ol>
    }
}

/// How an expectation is recognised, in words.
fn check_text(check: &Check) -> String {
    match check {
        Check::RoleAssigned { role } => format!("recognised when someone holds {role}"),
        Check::NoticePublished { stage: Some(s) } => {
            format!("recognised when a {} notice is published", s.as_str())
        }
        Check::NoticePublished { stage: None } => "recognised when a notice is published".into(),
        Check::StepDone { step } => format!("recognised when runbook step {step} is done"),
        Check::Decision => format!("recognised by a note tagged {}", super::DECISION_TAG),
        Check::Manual => "judged by the facilitator".into(),
    }
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let id = id_param();
    let notes = ServerAction::<SaveReportNotes>::new();
    let action = ServerAction::<AddAction>::new();
    let errors = (returned_error(notes), returned_error(action));
    view! {
        <Title text="After-action report"/>
        {errors}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match super::api::get_report(id).await {
                    Ok(r) => {
                        let people = if r.facilitating {
                            super::api::list_drills().await.map(|o| o.people).unwrap_or_default()
                        } else {
                            Vec::new()
                        };
                        report_page(r, people, notes, action).into_any()
                    }
                    Err(error) => view! { <h1>"After-action report"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn report_page(
    r: Report,
    people: Vec<(i64, String)>,
    notes: ServerAction<SaveReportNotes>,
    action: ServerAction<AddAction>,
) -> impl IntoView {
    let id = r.run.id;
    let m = r.measures.clone();
    let measure =
        |s: Option<i64>| s.map_or_else(|| "not reached".to_owned(), crate::clock::duration_text);
    let players: Vec<String> = r
        .players
        .iter()
        .map(|(role, p)| format!("{role}: {p}"))
        .collect();
    view! {
        <article class="report" id="report">
            <p class="drill-banner">"DRILL: practice only. Nothing left Muster."</p>
            <h1>{format!("After-action report: {}", r.run.title)}</h1>
            <p class="meta">
                {format!("Scenario version {} · facilitated by {} · ran {} of a planned {} · {}",
                    r.scenario_version, r.run.facilitator,
                    crate::clock::duration_text(r.elapsed_s), crate::clock::duration_text(r.planned_s),
                    r.run.state.as_str())}
                " · " <a href=format!("/drills/runs/{id}/report.md") id="report-markdown">"Markdown"</a>
                " · " <a href=format!("/drills/runs/{id}")>"The run"</a>
            </p>
            <p class="meta">{players.join(" · ")}</p>
            <h2>"Score"</h2>
            <p id="report-score" class="score">{r.score.summary()}</p>
            <h2>"Measures"</h2>
            <ul id="report-measures">
                <li>{format!("Time to commander: {}", measure(m.to_commander))}</li>
                <li>{format!("Time to first notice: {}", measure(m.to_first_notice))}</li>
                <li>{format!("Checklist: {} of {} steps done", m.steps_done, m.steps_total)}</li>
            </ul>
            <h2>"The run"</h2>
            <RunChart report=r.clone()/>
            <h2>"Expectations"</h2>
            <DataTable id="report-expectations" headers=&["Inject", "Expectation", "State", "Taken"]>
                {r.expectations.iter().map(|e| view! {
                    <tr class=format!("verdict {}", e.verdict.as_str())>
                        <td>{e.inject.clone()}</td>
                        <td>{e.text.clone()}</td>
                        <td>{e.verdict.as_str()}{(!e.comment.is_empty()).then(|| format!(" ({})", e.comment))}</td>
                        <td>{taken_text(e)}</td>
                    </tr>
                }).collect_view()}
            </DataTable>
            <h2>"Strengths"</h2>
            <p id="report-strengths" class="prewrap">{if r.strengths.is_empty() { "(none written)".to_owned() } else { r.strengths.clone() }}</p>
            <h2>"Areas for improvement"</h2>
            <p id="report-improvements" class="prewrap">{if r.improvements.is_empty() { "(none written)".to_owned() } else { r.improvements.clone() }}</p>
            <h2>"Action items"</h2>
            <ul id="report-actions">
                {r.actions.iter().map(|a| view! { <li>{format!("{} (owner: {}, due {})", a.text, a.owner, a.due_on)}</li> }).collect_view()}
            </ul>
            {r.actions.is_empty().then(|| view! { <p class="empty">"No action items."</p> })}
        </article>
        {r.facilitating.then(|| view! {
            <section class="no-print">
                <h2>"Write the report"</h2>
                <ActionForm action=notes attr:id="report-notes" attr:class="stacked">
                    <input type="hidden" name="id" value=id/>
                    <label>"Strengths" <textarea name="strengths" rows="4">{r.strengths.clone()}</textarea></label>
                    <label>"Areas for improvement" <textarea name="improvements" rows="4">{r.improvements.clone()}</textarea></label>
                    <button type="submit">"Save"</button>
                </ActionForm>
                <ActionForm action=action attr:id="report-action" attr:class="stacked">
                    <input type="hidden" name="id" value=id/>
                    <label>"Action item " <input type="text" name="text" required/></label>
                    <label>"Owner "
                        <select name="owner">
                            {people.into_iter().map(|(p, name)| view! { <option value=p>{name}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Due (YYYY-MM-DD) " <input type="date" name="due_on" required/></label>
                    <button type="submit">"Add the action item"</button>
                </ActionForm>
            </section>
        })}
    }
}
