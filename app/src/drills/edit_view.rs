//! The scenario editor: the scenario's fields, and its injects in one box
//! as text (the format is on the page). A plain form; saving makes a new
//! version, so nothing stored is ever overwritten.
use super::{edit_api::get_scenario_edit, SaveScenario};
use crate::ui::{returned_error, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;

const FORMAT: &str = "+MM:SS Title [for everyone | Role, Role]
   Markdown body, indented: a mock alert, a customer email, a mock audit event
   expect role Incident Commander, 5 min: Commander assigned within 5 minutes
   expect notice investigating, 15 min: An investigating notice is published
   expect step 4, 10 min: The retry storm is stopped
   expect decision: A decision is recorded (a note tagged #decision)
   expect manual: Only the facilitator judges this";

#[component]
pub fn ScenarioEditPage() -> impl IntoView {
    let id = leptos_router::hooks::use_params_map()
        .with_untracked(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()));
    let save = ServerAction::<SaveScenario>::new();
    let error = returned_error(save);
    view! {
        <Title text="Edit scenario"/>
        {error}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match get_scenario_edit(id).await {
                    Ok(e) => view! {
                        <h1>{if e.id.is_some() { format!("Edit: {}", e.title) } else { "New scenario".to_owned() }}</h1>
                        {e.id.map(|_| view! { <p class="meta">{format!("Saving makes version {}.", e.version + 1)}</p> })}
                        <ActionForm action=save attr:id="scenario-form" attr:class="stacked">
                            <input type="hidden" name="id" value=e.id.map(|i| i.to_string()).unwrap_or_default()/>
                            <label>"Title " <input type="text" name="title" value=e.title.clone() required maxlength="120"/></label>
                            <label>"Tags (comma-separated) " <input type="text" name="tags" value=e.tags.clone()/></label>
                            <label>"Runbook it rehearses "
                                <select name="runbook">
                                    <option value="">"(none)"</option>
                                    {e.runbooks.iter().map(|(id, title)| view! { <option value=*id selected=e.runbook == Some(*id)>{title.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                            <label>"Planned minutes " <input type="text" name="planned" value=e.planned_minutes inputmode="numeric" required/></label>
                            <label>{format!("Roles it needs (of: {}) ", e.role_names.join(", "))} <input type="text" name="roles" value=e.roles.clone()/></label>
                            <label>"Description (Markdown) " <textarea name="description" rows="4">{e.description.clone()}</textarea></label>
                            <label>"Injects " <textarea name="injects" id="scenario-injects-text" rows="18" class="mono">{e.injects.clone()}</textarea></label>
                            <details><summary>"How injects are written"</summary><pre>{FORMAT}</pre></details>
                            <label>"What changed " <input type="text" name="note" placeholder="Edited"/></label>
                            <button type="submit">"Save"</button>
                        </ActionForm>
                    }.into_any(),
                    Err(error) => view! { <h1>"Scenario"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
