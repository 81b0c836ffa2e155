//! The incident page's page of its timeline, newest first, with the one
//! correction form.
use super::{AddIncidentNote, Entry, IncidentView};
use leptos::prelude::*;

/// The page of the timeline, newest first, each entry with the corrections
/// of it; then the way to earlier entries.
pub(super) fn timeline(
    v: &IncidentView,
    before: Option<i64>,
    can_act: bool,
    correcting: RwSignal<Option<i64>>,
) -> AnyView {
    // The page shown stays in the address when correcting without JavaScript.
    let page = before.map(|b| format!("before={b}&")).unwrap_or_default();
    let id = v.incident.id;
    let mut grouped = v.grouped_timeline();
    grouped.reverse();
    view! {
        <ol class="entries" id="timeline">
            {grouped.into_iter().map(|(entry, corrections)| {
                let entry_id = entry.id;
                view! {
                    <li class=format!("entry kind-{}", entry.kind.as_str()) data-entry=entry.id id=format!("entry-{}", entry.id)>
                        {entry_line(&entry)}
                        {(!corrections.is_empty()).then(|| view! {
                            <ul class="corrections">
                                {corrections.iter().map(|c| view! { <li class="entry kind-correction">{entry_line(c)}</li> }).collect_view()}
                            </ul>
                        })}
                        {can_act.then(|| view! {
                            <a class="correct-link" href=format!("?{page}correct={entry_id}#correct-form")
                                on:click=move |ev| { ev.prevent_default(); correcting.set(Some(entry_id)); focus_correction(); }>
                                "Correct"
                            </a>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
        {v.earlier.map(|before| view! {
            <p class="earlier"><a href=format!("/incidents/{id}?before={before}#timeline")>"Earlier entries"</a></p>
        })}
    }
    .into_any()
}

fn focus_correction() {
    #[cfg(feature = "hydrate")]
    if let Some(field) = leptos::prelude::document().get_element_by_id("correct-text") {
        use wasm_bindgen::JsCast;
        if let Ok(field) = field.dyn_into::<web_sys::HtmlElement>() {
            let _ = field.focus();
        }
    }
}

pub(super) fn entry_line(e: &Entry) -> impl IntoView {
    let written = e
        .happened_at
        .map(|_| format!(" (written {})", crate::ui::hh_mm(e.at)));
    view! {
        <p class="entry-head">
            <time datetime=e.when().to_rfc3339() class:caught-up=e.happened_at.is_some()>{crate::ui::hh_mm_ss(e.when())}</time>
            {written}
            " "<span class="kind">{e.kind.label()}</span>
            " "<span class="author">{e.author.clone()}</span>
            {(e.source != crate::timeline::OWN_SOURCE).then(|| format!(" via {}", e.source))}
            " "<span class="entry-number">{format!("#{}", e.id)}</span>
        </p>
        <p class="entry-text">{e.text.clone()}</p>
    }
}

/// One correction form for the whole timeline: "Correct" on an entry
/// fills in its number (a link to `?correct=ID` without JavaScript).
#[component]
pub(super) fn CorrectForm(
    id: i64,
    correcting: RwSignal<Option<i64>>,
    action: ServerAction<AddIncidentNote>,
) -> impl IntoView {
    view! {
        <ActionForm action attr:class="stack correct-form" attr:id="correct-form">
            <h3>"Correct an entry"</h3>
            <p class="hint">"Entries are never changed: a correction is added and shown with the entry it corrects."</p>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="happened_at" value=""/>
            <label for="correct-entry">"Entry number"</label>
            // The attribute for the page as drawn (a `?correct=` link without
            // JavaScript), the property for a "Correct" clicked later.
            <input id="correct-entry" name="corrects" inputmode="numeric" required
                value=move || correcting.get().map(|e| e.to_string()).unwrap_or_default()
                prop:value=move || correcting.get().map(|e| e.to_string()).unwrap_or_default()/>
            <label for="correct-text">"Correction"</label>
            <input id="correct-text" name="text" required/>
            <div><button type="submit" class="small">"Add correction"</button></div>
        </ActionForm>
    }
}
