//! The incidents list, with the declare form.
use super::{api::list_incidents, severity_meaning, DeclareIncident, Status};
use crate::{
    auth::{caller_may, Role},
    fields::query,
    plans::Kind,
    runbooks::Severity,
    ui::{returned_error, when, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn IncidentsPage() -> impl IntoView {
    let declare = ServerAction::<DeclareIncident>::new();
    let error = returned_error(declare);
    let responder = caller_may(Role::Responder);
    let (status, severity, runbook) = (query("status"), query("severity"), query("runbook"));
    view! {
        <Title text="Incidents"/>
        <h1>"Incidents"</h1>
        {error}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let (status, severity, runbook) = (status.clone(), severity.clone(), runbook.clone());
                Suspend::new(async move {
                    let runbooks = crate::plans::api::list_plans(Kind::Runbook, String::new(), String::new()).await.unwrap_or_default();
                    let runbooks: Vec<(i64, String)> = runbooks.into_iter().map(|p| (p.id, p.title)).collect();
                    let listed = list_incidents(status.clone(), severity.clone(), runbook.clone()).await;
                    view! {
                        {responder.then(|| view! { <DeclareForm runbooks=runbooks.clone()/> })}
                        <h2>"All incidents"</h2>
                        <form method="get" action="/incidents" class="inline-form filters">
                            <label for="f-status">"Status"</label>
                            <select id="f-status" name="status">
                                <option value="">"Any"</option>
                                {Status::ALL.map(|s| view! { <option value=s.as_str() selected=s.as_str() == status>{s.title()}</option> }).collect_view()}
                            </select>
                            <label for="f-severity">"Severity"</label>
                            <select id="f-severity" name="severity">
                                <option value="">"Any"</option>
                                {Severity::ALL.map(|s| view! { <option value=s.as_str() selected=s.as_str() == severity>{s.title()}</option> }).collect_view()}
                            </select>
                            <label for="f-runbook">"Runbook"</label>
                            <select id="f-runbook" name="runbook">
                                <option value="">"Any"</option>
                                {runbooks.iter().map(|(id, t)| view! { <option value=*id selected=id.to_string() == runbook>{t.clone()}</option> }).collect_view()}
                            </select>
                            <button type="submit">"Filter"</button>
                        </form>
                        {match listed {
                            Ok(list) if list.is_empty() => view! { <p class="empty">"No incidents."</p> }.into_any(),
                            Ok(list) => view! {
                                <DataTable id="incidents" headers=&["Incident", "Status", "Severity", "Declared", "Duration", "Commander", "Runbook"]>
                                    {list.into_iter().map(|i| view! {
                                        <tr data-incident=i.id>
                                            <td><a href=format!("/incidents/{}", i.id)>{i.title}</a></td>
                                            <td><span class=format!("status-badge status-{}", i.status.as_str())>{i.status.title()}</span></td>
                                            <td>{i.severity.label()}</td>
                                            <td>{when(i.declared_at)}</td>
                                            <td>{i.duration}</td>
                                            <td>{i.commander.unwrap_or_else(|| "nobody".into())}</td>
                                            <td>{i.runbook.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </DataTable>
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }}
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

#[component]
fn DeclareForm(runbooks: Vec<(i64, String)>) -> impl IntoView {
    let declare = ServerAction::<DeclareIncident>::new();
    view! {
        <section class="declare" aria-labelledby="declare-title">
            <h2 id="declare-title">"Declare an incident"</h2>
            <ActionForm action=declare attr:class="stack narrow" attr:id="declare-form">
                <label for="declare-title-input">"What is happening"</label>
                <input id="declare-title-input" name="title" required placeholder="e.g. Card payments failing at checkout"/>
                <fieldset class="severity-choice">
                    <legend>"Severity"</legend>
                    {Severity::ALL.map(|s| {
                        let id = format!("declare-{}", s.as_str());
                        view! {
                            <div>
                                <input type="radio" id=id.clone() name="severity" value=s.as_str() checked=s == Severity::Sev2/>
                                <label for=id><strong>{s.title()}</strong>" "{severity_meaning(s)}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <label for="declare-impact">"Impact on customers (optional)"</label>
                <input id="declare-impact" name="impact" placeholder="e.g. Some card payments fail; orders are not lost."/>
                <label for="declare-runbook">"Runbook (optional)"</label>
                <select id="declare-runbook" name="runbook">
                    <option value="">"None"</option>
                    {runbooks.into_iter().map(|(id, t)| view! { <option value=id>{t}</option> }).collect_view()}
                </select>
                <div><button type="submit">"Declare"</button></div>
            </ActionForm>
        </section>
    }
}
