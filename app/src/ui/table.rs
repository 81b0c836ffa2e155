use leptos::prelude::*;

/// A table of records that scrolls sideways on a narrow screen instead of
/// widening the page. The scrolling box is a labelled region in the tab
/// order, so keyboard users can scroll it too.
#[component]
pub fn DataTable(
    #[prop(into)] id: String,
    #[prop(into, default = "data".to_owned())] class: String,
    headers: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    let label = format!("{id} table");
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=label>
            <table class=class id=id>
                <thead>
                    <tr>{headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
