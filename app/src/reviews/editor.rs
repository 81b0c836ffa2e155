//! A section's editor: a plain form post (works without JavaScript) that,
//! once hydrated, marks blaming phrases as the author types (the same
//! matcher the server uses, run in the browser) and previews the Markdown
//! with its citations before anything is saved. Hints are advice: the
//! Save button is never disabled by them.
use super::{api::preview_section, hints::hints, SaveSection};
use leptos::{prelude::*, server_fn::ServerFn};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SectionDraft {
    pub review: i64,
    pub key: String,
    pub prompt: String,
    pub text: String,
    /// The saved text as the page shows it (safe HTML).
    pub html: String,
    /// Names on the roster: a name as the subject of a failure is hinted.
    pub names: Vec<String>,
}

#[island]
pub fn SectionEditor(draft: SectionDraft) -> impl IntoView {
    let SectionDraft {
        review,
        key,
        prompt,
        text,
        html,
        names,
    } = draft;
    let value = RwSignal::new(text.clone());
    let preview = RwSignal::new(html);
    let names = StoredValue::new(names);
    // Answers can arrive out of order while someone types: only the
    // answer to the latest request is shown.
    let latest = StoredValue::new(0_u64);
    let refresh = Action::new(move |(t, n): &(String, u64)| {
        let (t, n) = (t.clone(), *n);
        async move {
            if let Ok(h) = preview_section(review, t).await {
                if latest.get_value() == n {
                    preview.set(h);
                }
            }
        }
    });
    let found = move || value.with(|t| names.with_value(|n| hints(t, n)));
    let field = format!("text-{key}");
    let section = key.clone();
    let hydrated = crate::ui::hydrated_marker();
    view! {
        <form method="post" action=SaveSection::url() class="stack section-editor" data-hydrated=hydrated>
            <input type="hidden" name="id" value=review/>
            <input type="hidden" name="section" value=section/>
            <label for=field.clone()>{prompt}" (Markdown)"</label>
            <textarea id=field name="text" rows="8"
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    latest.update_value(|n| *n += 1);
                    refresh.dispatch((value.get_untracked(), latest.get_value()));
                }>{text}</textarea>
            <div class="live-hints" aria-live="polite" data-section=key>
                {move || {
                    let found = found();
                    (!found.is_empty()).then(|| view! {
                        <ul>
                            {found.into_iter().map(|h| view! {
                                <li><mark class="hint">{h.phrase}</mark>": "{h.advice}</li>
                            }).collect_view()}
                        </ul>
                    })
                }}
            </div>
            <p class="preview-label">"Preview"</p>
            <div class="markdown preview live-preview" inner_html=move || preview.get()></div>
            <div><button type="submit">"Save"</button></div>
        </form>
    }
}
