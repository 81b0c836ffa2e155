//! Export and import of runbooks and templates.
use super::ImportPlans;
use crate::{
    auth::{caller_may, Role},
    ui::returned_error,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn PlansPage() -> impl IntoView {
    let import = ServerAction::<ImportPlans>::new();
    let error = returned_error(import);
    let done = use_query_map().with_untracked(|q| {
        q.get("created").map(|created| {
            format!(
                "Imported: {created} created, {} updated (new version), {} unchanged.",
                q.get("updated").unwrap_or_default(),
                q.get("unchanged").unwrap_or_default()
            )
        })
    });
    view! {
        <Title text="Import and export"/>
        <h1>"Import and export plans"</h1>
        <p class="lede">"Runbooks and notice templates as one JSON file, to keep in git or move between Muster servers. The format is described in the README under \"Plans file\"."</p>
        <p><a class="button" href="/plans/export" download="muster-plans.json">"Export all runbooks and templates"</a></p>
        {done.map(|text| view! { <p class="ok" role="status" id="import-result">{text}</p> })}
        {error}
        {caller_may(Role::Editor).then(|| view! {
            <h2>"Import"</h2>
            <p>"Plans are matched by title: new titles are created, changed ones get a new version (templates then await approval again), the rest are left as they are. If anything in the file is wrong, nothing is imported."</p>
            <ActionForm action=import attr:class="stack" attr:id="import-form">
                <label for="plans-document">"Plans file (JSON)"</label>
                <textarea id="plans-document" name="document" rows="14" required spellcheck="false"></textarea>
                <div><button type="submit">"Import"</button></div>
            </ActionForm>
        })}
    }
}
