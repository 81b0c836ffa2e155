//! The action items page, and the table a review shows its own in.
use super::{Item, SetActionStatus, Status};
use crate::{
    auth::{caller_may, Role},
    ui::{returned_error, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ActionsPage() -> impl IntoView {
    let status = ServerAction::<SetActionStatus>::new();
    let error = returned_error(status);
    let can_act = caller_may(Role::Responder);
    view! {
        <Title text="Action items"/>
        <h1>"Action items"</h1>
        <p class="lede">"Every open action item from reviews and drill reports, overdue first."</p>
        {error}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match super::api::list_actions().await {
                    Ok(items) if items.is_empty() => view! { <p class="empty" id="actions">"No open action items."</p> }.into_any(),
                    Ok(items) => table("actions", items, can_act, status).into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Items as a table, each with a form to move it along when `can_act`.
pub fn table(
    id: &'static str,
    items: Vec<Item>,
    can_act: bool,
    status: ServerAction<SetActionStatus>,
) -> impl IntoView {
    view! {
        <DataTable id=id headers=&["Action", "Owner", "Due", "Priority", "Status", "From", "Ticket"]>
            {items.into_iter().map(|i| view! {
                <tr data-action=i.id class=if i.overdue { "overdue" } else { "" }>
                    <td>{i.title}</td>
                    <td>{i.owner}</td>
                    <td>{format!("{}{}", i.due_on, if i.overdue { " (overdue)" } else { "" })}</td>
                    <td class=format!("priority {}", i.priority.as_str())>{i.priority.as_str()}</td>
                    <td>
                        {if can_act {
                            view! {
                                <ActionForm action=status attr:class="inline">
                                    <input type="hidden" name="id" value=i.id/>
                                    <select name="status" aria-label="Status">
                                        {Status::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s == i.status>{s.title()}</option> }).collect_view()}
                                    </select>
                                    <button type="submit" class="small">"Set"</button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! { <span>{i.status.title()}</span> }.into_any()
                        }}
                    </td>
                    <td><a href=i.link>{i.source}</a></td>
                    <td>{(!i.ticket_url.is_empty()).then(|| view! { <a href=i.ticket_url.clone() rel="noopener noreferrer">"ticket"</a> })}</td>
                </tr>
            }).collect_view()}
        </DataTable>
    }
}
