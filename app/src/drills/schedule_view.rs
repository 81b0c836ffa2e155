//! The schedule part of the drills page: drills coming up and overdue,
//! the schedules with the form that adds one, and the person's calendar
//! address. Plain forms, drawn on the server.
use super::{
    schedule::{DrillDate, ScheduleLine, PRESETS},
    AddSchedule, NewCalendarKey, RemoveSchedule,
};
use crate::ui::{returned_error, when, DataTable};
use leptos::prelude::*;

/// Where a drill date leads: its run, or the schedules.
fn date_link(d: &DrillDate) -> String {
    d.run_id.map_or_else(
        || "/drills#schedules".to_owned(),
        |r| format!("/drills/runs/{r}"),
    )
}

/// A list of drill dates, or what an empty one means.
pub fn dates(id: &'static str, list: Vec<DrillDate>, empty: &'static str) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty" id=id>{empty}</p> }.into_any();
    }
    view! {
        <ul class="drill-dates" id=id>
            {list.into_iter().map(|d| view! {
                <li>
                    <span class="when">{when(d.at)}</span>" "
                    <a href=date_link(&d)>{d.title.clone()}</a>
                    {if d.run_id.is_some() { " (planned run)" } else { " (schedule)" }}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

pub fn section(
    schedules: Vec<ScheduleLine>,
    upcoming: Vec<DrillDate>,
    overdue: Vec<DrillDate>,
    scenarios: Vec<(i64, String)>,
    editor: bool,
    // The page takes it before it loads anything (see the drills page).
    address: Option<String>,
) -> impl IntoView {
    let add = ServerAction::<AddSchedule>::new();
    let remove = ServerAction::<RemoveSchedule>::new();
    let key = ServerAction::<NewCalendarKey>::new();
    view! {
        <h2 id="upcoming-title">"Coming up"</h2>
        {dates("upcoming", upcoming, "No drills coming up: add a schedule or plan one.")}
        <h2 id="overdue-title">"Overdue"</h2>
        {dates("overdue", overdue, "Nothing overdue.")}
        <h2 id="schedules">"Schedules"</h2>
        {returned_error(add)}
        {returned_error(remove)}
        {if schedules.is_empty() {
            view! { <p class="empty">"No schedules yet."</p> }.into_any()
        } else {
            view! {
                <DataTable id="schedule-list" headers=&["Scenario", "Repeats", "From", "Next", "Overdue since", ""]>
                    {schedules.into_iter().map(|s| view! {
                        <tr data-schedule=s.id>
                            <td><a href=format!("/drills/scenarios/{}", s.scenario_id)>{s.scenario.clone()}</a></td>
                            <td><code>{s.rule_text()}</code></td>
                            <td>{format!("{} · {} min", when(s.starts_at), s.duration_minutes)}</td>
                            <td>{s.next.map(when).unwrap_or_else(|| "no more".into())}</td>
                            <td class="overdue">{s.overdue_since.map(when)}</td>
                            <td>{editor.then(|| view! {
                                <ActionForm action=remove attr:class="inline">
                                    <input type="hidden" name="id" value=s.id/>
                                    <button type="submit" class="small">"Remove"</button>
                                </ActionForm>
                            })}</td>
                        </tr>
                    }).collect_view()}
                </DataTable>
            }.into_any()
        }}
        {(editor && !scenarios.is_empty()).then(|| view! {
            <ActionForm action=add attr:id="add-schedule" attr:class="stacked">
                <label>"Scenario "
                    <select name="scenario">
                        {scenarios.into_iter().map(|(id, title)| view! { <option value=id>{title}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Repeats "
                    <select name="every">
                        {PRESETS.into_iter().map(|(name, _)| view! { <option value=name selected=name == "quarterly">{name}</option> }).collect_view()}
                        <option value="custom">"custom rule (below)"</option>
                    </select>
                </label>
                <label>"Custom rule (RFC 5545) " <input type="text" name="recurrence" placeholder="FREQ=MONTHLY;INTERVAL=3;BYDAY=1TH" maxlength="200"/></label>
                <label>"First drill (UTC) " <input type="text" name="starts" placeholder="2026-12-03 14:00" required/></label>
                <label>"Minutes (blank: the scenario's own) " <input type="text" name="minutes" inputmode="numeric"/></label>
                <button type="submit">"Add the schedule"</button>
            </ActionForm>
        })}
        <h2 id="calendar">"Your calendar"</h2>
        {returned_error(key)}
        <p>"Subscribe to the drills in your calendar app with your own secret address. Anyone with the address sees the drill dates, so keep it to yourself; making a new one stops the old."</p>
        {address.map(|a| view! {
            <p class="secret" id="calendar-address">"Your calendar address (shown once): "<code>{a}</code></p>
        })}
        <ActionForm action=key attr:id="calendar-key" attr:class="inline">
            <button type="submit">"Make my calendar address"</button>
        </ActionForm>
    }
}
