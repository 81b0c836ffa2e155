use leptos::prelude::*;

/// A table of records that scrolls sideways on a narrow screen instead of
/// widening the page.
#[component]
pub fn DataTable(
    #[prop(into)] id: String,
    #[prop(into, default = "data".to_owned())] class: String,
    headers: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class=class id=id>
                <thead>
                    <tr>{headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
