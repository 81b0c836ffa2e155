//! The draft notice form of the incident page, filled from the incident.
use super::{DraftNotice, IncidentView};
use crate::ui::when;
use leptos::prelude::*;

/// Values the draft form starts with, from the incident.
pub(super) fn prefilled(v: &IncidentView) -> Vec<(&'static str, String)> {
    crate::notices::VARIABLES
        .iter()
        .filter(|(name, _)| *name != "next_update_at")
        .map(|(name, _)| {
            let value = match *name {
                "started_at" => when(v.incident.declared_at),
                "incident_title" => v.incident.title.clone(),
                "severity" => v.incident.severity.title().to_owned(),
                "impact" => v.incident.impact.clone(),
                "resolved_at" => v.incident.resolved_at.map(when).unwrap_or_default(),
                _ => String::new(),
            };
            (*name, value)
        })
        .collect()
}

#[component]
pub(super) fn DraftForm(
    id: i64,
    templates: Vec<super::UsableTemplate>,
    prefill: Vec<(&'static str, String)>,
) -> impl IntoView {
    // Drawn on the server and posted as a plain form: drafting is rare, and
    // keeping it out of the island keeps the browser's code small.
    let action = ServerAction::<DraftNotice>::new();
    if templates.is_empty() {
        return view! { <p class="empty">"No approved notice templates yet: write one under Notices and have it approved."</p> }.into_any();
    }
    view! {
        <details class="draft-notice">
            <summary>"Draft a notice"</summary>
            <ActionForm action=action attr:class="stack narrow" attr:id="draft-notice-form">
                <input type="hidden" name="id" value=id/>
                <label for="draft-template">"Approved template"</label>
                <select id="draft-template" name="template">
                    {templates.into_iter().map(|(tid, title, stage)| view! { <option value=tid>{format!("{title} ({})", stage.as_str())}</option> }).collect_view()}
                </select>
                {prefill.into_iter().map(|(name, value)| {
                    let field = format!("draft-{name}");
                    view! {
                        <label for=field.clone()>{name}</label>
                        <input id=field name=format!("values[{name}]") value=value/>
                    }
                }).collect_view()}
                <label for="draft-next-update">"Next update in (minutes)"</label>
                <input id="draft-next-update" name="next_update_minutes" value="30" inputmode="numeric"/>
                <div><button type="submit">"Draft notice"</button></div>
            </ActionForm>
        </details>
    }
    .into_any()
}
