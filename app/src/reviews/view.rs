//! The review page: each section with its preview, its hints and (while
//! it can be written) its form; then the timeline from the record, each
//! entry with how the review shows it. Plain forms, drawn on the server.
use super::{
    api::{get_review, ReviewView, SectionView},
    editor::{SectionDraft, SectionEditor},
    flow_view::{comments, panel, FlowActions},
    AddReviewAction, Line, MarkEntry, Moment, SaveSection,
};
use crate::{
    actions::SetActionStatus,
    fields::id_param,
    ui::{returned_error, when, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ReviewPage() -> impl IntoView {
    let id = id_param();
    let section = ServerAction::<SaveSection>::new();
    let entry = ServerAction::<MarkEntry>::new();
    let add = ServerAction::<AddReviewAction>::new();
    let status = ServerAction::<SetActionStatus>::new();
    let flow = FlowActions::new();
    let errors = (
        returned_error(section),
        returned_error(entry),
        returned_error(add),
        returned_error(status),
        (
            returned_error(flow.add),
            returned_error(flow.remove),
            returned_error(flow.comment),
            returned_error(flow.moves),
        ),
    );
    view! {
        <Title text="Review"/>
        {errors}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match get_review(id).await {
                    Ok(v) => page(v, entry, (add, status), flow).into_any(),
                    Err(error) => view! { <h1>"Review"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn page(
    v: ReviewView,
    entry: ServerAction<MarkEntry>,
    (add, status): (ServerAction<AddReviewAction>, ServerAction<SetActionStatus>),
    flow: FlowActions,
) -> impl IntoView {
    let r = &v.review;
    let id = r.id;
    let (all, can_comment) = (v.flow.comments.clone(), v.flow.can_comment);
    let talk = move |part: &'static str| comments(id, part, &all, can_comment, flow.comment);
    view! {
        <article class="review" id="review" data-state=r.state.as_str()>
            {v.drill.then(|| view! { <p class="drill-banner">"DRILL review: the incident was a tabletop drill."</p> })}
            <h1>{r.title.clone()}</h1>
            <p class="meta">
                <span class=format!("review-state {}", r.state.as_str()) id="review-state">{r.state.title()}</span>
                {format!(" · version {} · last change {} by {} · ", r.version, when(r.updated_at), r.updated_by)}
                <a href=format!("/incidents/{}", r.incident_id)>{v.incident.clone()}</a>
            </p>
            {panel(id, r.state, r.version, v.flow, flow)}
            <p class="hint">"Blameless: describe the conditions people worked in, not who to blame. Hints mark phrases that judge; they are advice and never stop a save."</p>
            {v.sections.into_iter().map(|s| {
                let part = super::SECTIONS.iter().find(|(k, _, _)| *k == s.key).map_or("summary", |(k, _, _)| *k);
                view! { {section_view(id, s, v.can_edit, &v.names)} {talk(part)} }
            }).collect_view()}
            <h2 id="review-timeline">"Timeline"</h2>
            <p class="hint">"From the incident's record, which a review never changes: hide an entry from the review, add a note to it, or mark a key moment."</p>
            <figure class="review-figure" inner_html=v.picture></figure>
            {timeline(id, v.lines, v.can_edit, entry)}
            {talk("timeline")}
            <h2 id="actions">"Action items"</h2>
            {if v.actions.is_empty() {
                view! { <p class="empty" id="review-actions">"No action items yet."</p> }.into_any()
            } else {
                crate::actions::view::table("review-actions", v.actions, v.can_edit, status).into_any()
            }}
            {v.can_edit.then(|| view! {
                <ActionForm action=add attr:id="add-action" attr:class="stacked no-print">
                    <input type="hidden" name="id" value=id/>
                    <label>"Action item " <input type="text" name="title" required maxlength="300"/></label>
                    <label>"Owner "
                        <select name="owner">
                            {v.people.into_iter().map(|(p, name)| view! { <option value=p>{name}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Due (YYYY-MM-DD) " <input type="date" name="due_on" required/></label>
                    <label>"Priority "
                        <select name="priority">
                            {crate::actions::Priority::ALL.into_iter().map(|p| view! { <option value=p.as_str() selected=p == crate::actions::Priority::Medium>{p.as_str()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Ticket (optional) " <input type="url" name="ticket_url" placeholder="https://"/></label>
                    <button type="submit">"Add the action item"</button>
                </ActionForm>
            })}
            {talk("actions")}
        </article>
    }
}

fn section_view(id: i64, s: SectionView, can_edit: bool, names: &[String]) -> impl IntoView {
    let anchor = format!("section-{}", s.key);
    let (heading_id, labelled) = (format!("h-{}", s.key), format!("h-{}", s.key));
    let hints = s.hints.clone();
    let form = can_edit.then(|| {
        let draft = SectionDraft {
            review: id,
            key: s.key.clone(),
            prompt: s.prompt.clone(),
            text: s.text.clone(),
            html: s.html.clone(),
            names: names.to_vec(),
        };
        view! {
            <details class="edit-section">
                <summary>{format!("Edit {}", s.heading.to_lowercase())}</summary>
                <SectionEditor draft/>
            </details>
        }
    });
    view! {
        <section class="review-section" id=anchor aria-labelledby=labelled>
            <h2 id=heading_id>{s.heading.clone()}</h2>
            {if s.text.trim().is_empty() {
                view! { <p class="empty">{s.prompt.clone()}</p> }.into_any()
            } else {
                view! { <div class="markdown preview" inner_html=s.html.clone()></div> }.into_any()
            }}
            {(!hints.is_empty()).then(|| view! {
                <div class="hints" data-section=s.key.clone()>
                    <p class="marked" inner_html=s.marked.clone()></p>
                    <ul>
                        {hints.into_iter().map(|h| view! { <li><mark class="hint">{h.phrase}</mark>": "{h.advice}</li> }).collect_view()}
                    </ul>
                </div>
            })}
            {form}
        </section>
    }
}

fn timeline(
    id: i64,
    lines: Vec<Line>,
    can_edit: bool,
    action: ServerAction<MarkEntry>,
) -> impl IntoView {
    view! {
        <DataTable id="review-lines" headers=&["When", "What", "Key moment", "Review note", ""]>
            {lines.into_iter().map(|l| {
                let e = &l.entry;
                let entry_id = e.id;
                view! {
                    <tr id=format!("entry-{entry_id}") class=if l.hidden { "hidden-line" } else { "" }>
                        <td>{when(e.happened_at.unwrap_or(e.at))}</td>
                        <td>
                            <strong>{e.kind.label()}</strong>" "{e.text.clone()}" · "{e.author.clone()}
                            " " <code class="cite-token" title="Paste into a section to cite this entry">{format!("[[entry:{entry_id}]]")}</code>
                            {l.event.as_ref().map(|ev| view! {
                                <div class="cite">
                                    <a href=format!("/events/{}", ev.id)>{format!("{} event at {}", ev.source, when(ev.occurred_at))}</a>
                                    " · fingerprint " <code>{ev.fingerprint.chars().take(16).collect::<String>()}</code>
                                    " " <code class="cite-token">{format!("[[event:{}]]", ev.id)}</code>
                                </div>
                            })}
                            {l.hidden.then(|| view! { <em>" (hidden from the review)"</em> })}
                        </td>
                        <td>{l.moment.map(|m| m.as_str())}</td>
                        <td>{l.note.clone()}</td>
                        <td>{can_edit.then(|| view! {
                            <ActionForm action=action attr:class="inline">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="entry" value=entry_id/>
                                <label>"Hide " <input type="checkbox" name="hidden" value="on" checked=l.hidden/></label>
                                <select name="moment" aria-label="Key moment">
                                    <option value="">"(no key moment)"</option>
                                    {Moment::ALL.into_iter().map(|m| view! { <option value=m.as_str() selected=l.moment == Some(m)>{m.as_str()}</option> }).collect_view()}
                                </select>
                                <input type="text" name="note" value=l.note.clone() placeholder="note" aria-label="Review note"/>
                                <button type="submit" class="small">"Save"</button>
                            </ActionForm>
                        })}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}
