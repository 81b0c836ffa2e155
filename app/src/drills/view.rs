//! The drill pages: scenarios and runs (with the form that plans a run),
//! one scenario with its injects and expectations, and one run: the
//! facilitator's console, or the players' view of the injects released
//! for their roles. Every control is a plain form, so the pages work
//! without WebAssembly.
use super::{
    api::{DrillsOverview, RunLive},
    report::{taken_text, Report, RunChart},
    AddAction, Audience, Check, DriveClock, JudgeExpectation, PlanRun, ReleaseInject,
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
pub(crate) fn clock_text(seconds: i64) -> String {
    super::offset_text(u32::try_from(seconds.max(0)).unwrap_or(u32::MAX))
}

#[component]
pub fn DrillsPage() -> impl IntoView {
    let plan = ServerAction::<PlanRun>::new();
    let error = returned_error(plan);
    let editor = caller_may(Role::Editor);
    // A calendar address just made is shown once: taken before anything
    // loads, so a render that is thrown away (the list below may render
    // more than once) cannot take it and show nothing.
    let address = super::schedule_api::take_calendar_address();
    view! {
        <Title text="Drills"/>
        <h1>"Drills"</h1>
        <p class="lede">"Tabletop drills rehearse a runbook on a drill incident with a virtual clock. Nothing a drill does leaves Muster."</p>
        {error}
        <Suspense fallback=loading>
            {move || {
                let address = address.clone();
                Suspend::new(async move {
                match super::api::list_drills().await {
                    Ok(o) => overview(o, editor, plan, address).into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}}
        </Suspense>
    }
}

fn overview(
    o: DrillsOverview,
    editor: bool,
    plan: ServerAction<PlanRun>,
    address: Option<String>,
) -> impl IntoView {
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
    let choices = o
        .scenarios
        .iter()
        .map(|s| (s.id, s.title.clone()))
        .collect();
    view! {
        {super::schedule_view::section(o.schedules, o.upcoming, o.overdue, choices, editor, address)}
        <h2>"Runs"</h2>
        {runs}
        <h2>"Scenarios"</h2>
        {editor.then(|| view! { <p><a href="/drills/scenarios/new" id="new-scenario">"New scenario"</a></p> })}
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
                <label>"Facilitator "
                    <select name="facilitator">
                        <option value="">"(me)"</option>
                        {o.facilitators.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </label>
                <fieldset>
                    <legend>"Players"</legend>
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
    // What a control's form post came back with.
    let errors = (
        returned_error(ServerAction::<DriveClock>::new()),
        returned_error(ServerAction::<ReleaseInject>::new()),
        returned_error(ServerAction::<JudgeExpectation>::new()),
    );
    view! {
        <Title text="Drill"/>
        {errors}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match super::api::get_run(id, false, String::new()).await {
                    Ok(live) => view! { <LiveRun live/> }.into_any(),
                    Err(error) => view! { <h1>"Drill"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The run page. Hydrated, it follows the run's live stream: when the run
/// moves on (an inject released, an expectation judged, the clock driven)
/// it fetches its view again, drawn on the server for the caller's roles,
/// with the injects that arrived since marked "New" and the newest named
/// in the tab's title: a cue without sound. Its clock ticks at the drill's
/// speed. Only this shell runs in the browser; the rest is HTML with plain
/// forms, which keeps the page's code small and works without it.
#[island]
pub fn LiveRun(live: RunLive) -> impl IntoView {
    let now = RwSignal::new(live.real_now);
    #[cfg(feature = "hydrate")]
    let (id, real_now) = (live.id, live.real_now);
    let state = RwSignal::new(live);
    let hydrated = crate::ui::hydrated_marker();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let refresh = move || {
            let seen = state.with_untracked(|v| {
                v.released
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            });
            leptos::task::spawn_local(async move {
                if let Ok(new) = super::api::get_run(id, true, seen).await {
                    // Fetches can finish out of order: never go back in time.
                    if new.revision < state.with_untracked(|v| v.revision) {
                        return;
                    }
                    if let (Some(newest), Some(document)) = (
                        new.arrived.last(),
                        web_sys::window().and_then(|w| w.document()),
                    ) {
                        document.set_title(&format!("New inject: {newest} · Drill"));
                    }
                    state.set(new);
                }
            });
        };
        crate::clock::tick(now, real_now, crate::clock::browser_ms, |real| real);
        crate::ui::listen(&format!("/drills/runs/{id}/live"), move |data| {
            if data
                .parse::<i64>()
                .is_ok_and(|r| r > state.with_untracked(|v| v.revision))
            {
                refresh();
            }
        });
    });
    let status = move || {
        state.with(|v| {
            let elapsed = v.clock.map_or(0, |c| c.elapsed_ms_at(now.get()) / 1000);
            let speed = v.clock.map_or_else(
                || "not started".to_owned(),
                |c| VirtualClock::speed_label(c.speed_pct),
            );
            format!(
                "{} · {} of {} · {speed}",
                v.state.as_str(),
                clock_text(elapsed),
                clock_text(v.planned_s)
            )
        })
    };
    view! {
        <div class="drill-run" data-hydrated=hydrated data-revision=move || state.with(|v| v.revision)>
            <p class="drill-banner">"DRILL: practice only. Notices are never sent outside Muster and nobody is paged."</p>
            <h1>{state.with_untracked(|v| v.title.clone())}</h1>
            <p class="lede" id="run-status" data-state=move || state.with(|v| v.state.as_str())>{status}</p>
            <div inner_html=move || state.with(|v| v.html.clone())></div>
        </div>
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
            {caller_may(Role::Editor).then(|| view! { " · " <a href=format!("/drills/scenarios/{}/edit", s.id) id="edit-scenario">"Edit"</a> })}
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

/// What higher layers offer on a drill's report (writing the review of
/// its drill incident): the shell gives it, so drills never name reviews.
pub type ReportOffers = fn(&Report) -> AnyView;

#[component]
pub fn ReportPage(#[prop(optional)] offers: Option<ReportOffers>) -> impl IntoView {
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
                        report_page(r, people, notes, action, offers).into_any()
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
    offers: Option<ReportOffers>,
) -> impl IntoView {
    let offers = offers.map(|offer| offer(&r));
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
            {offers}
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
