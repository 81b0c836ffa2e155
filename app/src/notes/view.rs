//! The notes page (rendered on the server) and the board island that
//! hydrates to add notes without a reload.
use super::{api::list_notes, AddTeamNote, Note, NoteBody};
use crate::{error::AppError, ui::ErrorNotice};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn NotesPage() -> impl IntoView {
    // A form posted without JavaScript comes back with its error in the
    // query string; the island shows it the same way as a hydrated error.
    let query = use_query_map();
    let initial_error = query.with_untracked(|q| {
        let path = q.get_str("__path")?;
        let err = q.get_str("__err")?;
        (path == AddTeamNote::PATH)
            .then(|| leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(err))
    });
    view! {
        <Title text="Team notes"/>
        <h1>"Team notes"</h1>
        <p class="lede">
            "Short notes for whoever is on call: what changed, what to watch, who to call."
        </p>
        <Suspense fallback=|| view! { <p>"Loading notes…"</p> }>
            {move || {
                let initial_error = initial_error.clone();
                Suspend::new(async move {
                    match list_notes().await {
                        Ok(notes) => view! { <NoteBoard notes initial_error/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[island]
fn NoteBoard(notes: Vec<Note>, initial_error: Option<AppError>) -> impl IntoView {
    let add = ServerAction::<AddTeamNote>::new();
    let rows = RwSignal::new(notes);
    let hydrated = crate::ui::hydrated_marker();
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(note)) = add.value().get() {
            rows.update(|r| r.insert(0, note));
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    let error = move || match add.value().get() {
        Some(Err(error)) => Some(error),
        Some(Ok(_)) => None,
        None => initial_error.clone(),
    };
    view! {
        <section class="notes" data-hydrated=hydrated>
            <ActionForm action=add node_ref=form attr:class="stack" attr:id="team-note-form">
                <label for="team-note-body">{NoteBody::FIELD}</label>
                <textarea
                    id="team-note-body"
                    name="body"
                    rows="3"
                    maxlength=NoteBody::MAX_CHARS
                    required
                    aria-describedby="team-note-help"
                ></textarea>
                <p id="team-note-help" class="help">
                    {format!("Up to {} characters.", NoteBody::MAX_CHARS)}
                </p>
                <div>
                    <button type="submit" disabled=move || add.pending().get()>
                        {move || if add.pending().get() { "Adding…" } else { "Add note" }}
                    </button>
                </div>
            </ActionForm>
            {move || error().map(|error| view! { <ErrorNotice error/> })}
            <NoteList rows/>
        </section>
    }
}

#[component]
fn NoteList(rows: RwSignal<Vec<Note>>) -> impl IntoView {
    view! {
        <Show
            when=move || rows.with(|r| !r.is_empty())
            fallback=|| view! { <p class="empty">"No notes yet. The first one is yours."</p> }
        >
            <ol class="note-list" aria-label="Notes, newest first">
                <For each=move || rows.get() key=|note| note.id let:note>
                    <li class="note" data-note-id=note.id>
                        <p class="note-body">{note.body}</p>
                        <time datetime=note.created_at.to_rfc3339()>
                            {crate::ui::when(note.created_at)}
                        </time>
                    </li>
                </For>
            </ol>
        </Show>
    }
}
