//! The events pages: the list (search, filters, a page at a time by key,
//! link the chosen ones to an incident), one event in full, the import
//! page (upload, recent imports, retention, the redaction rules), an
//! import's report (its progress while it runs). Server-rendered plain
//! forms: no WebAssembly, and they work without JavaScript. Linking is an
//! incident's change, so its forms come from above (`LinkOffers`).
use super::{
    api::{get_event, get_import, list_events, list_imports},
    EventRow, ImportView, ListQuery, SetRetention, OUTCOMES, SOURCES,
};
use crate::{
    auth::{caller_may, Role},
    fields::{id_param, query},
    ui::{returned_error, when, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

fn loading() -> impl IntoView {
    view! { <p>"Loading…"</p> }
}

/// The link forms, given by the shell (linking is the incident's change,
/// and incidents sit above events). Without them the pages only read.
#[derive(Clone, Copy)]
pub struct LinkOffers {
    /// A form around rows chosen by their boxes, and where to link them.
    pub rows: fn(AnyView) -> AnyView,
    /// A form linking one event.
    pub one: fn(i64) -> AnyView,
    /// A button unlinking (incident, event).
    pub unlink: fn(i64, i64) -> AnyView,
    /// What a link or unlink came back refused with.
    pub errors: fn() -> AnyView,
}

/// Rows of events; with `choose`, each has a box to pick it for linking.
pub(crate) fn event_rows(rows: Vec<EventRow>, choose: bool) -> impl IntoView {
    view! {
        <DataTable id="events" headers=&["", "When", "Source", "Outcome", "Summary", "Actor", "Source id"]>
            {rows.into_iter().map(|e| {
                let pick = format!("pick-{}", e.id);
                view! {
                    <tr data-event=e.id class=format!("outcome-{}", e.outcome)>
                        <td>{choose.then(|| view! {
                            <input type="checkbox" id=pick.clone() name="events[]" value=e.id aria-label=format!("Choose event {}", e.id)/>
                        })}</td>
                        <td><time datetime=e.occurred_at.to_rfc3339()>{when(e.occurred_at)}</time></td>
                        <td>{e.source.clone()}{e.environment.clone().map(|env| view! { " "<span class="env">{env}</span> })}</td>
                        <td><span class=format!("outcome outcome-{}", e.outcome)>{e.outcome.clone()}</span></td>
                        <td><a href=format!("/events/{}", e.id)>{e.summary.clone()}</a></td>
                        <td>{e.actor.clone()}</td>
                        <td><code>{e.source_id.clone()}</code></td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}

fn list_query() -> ListQuery {
    ListQuery {
        q: query("q"),
        source: query("source"),
        outcome: query("outcome"),
        environment: query("environment"),
        from: query("from"),
        to: query("to"),
        import: query("import"),
        after: query("after"),
    }
}

/// The address of the next page: the same query, continuing after `id`.
fn next_page(q: &ListQuery, id: i64) -> String {
    let pairs = [
        ("q", &q.q),
        ("source", &q.source),
        ("outcome", &q.outcome),
        ("environment", &q.environment),
        ("from", &q.from),
        ("to", &q.to),
        ("import", &q.import),
    ];
    let mut out = String::from("/events?");
    for (name, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push_str(&format!("{name}={}&", crate::fields::query_value(value)));
    }
    out.push_str(&format!("after={id}"));
    out
}

#[component]
pub fn EventsPage(#[prop(optional)] links: Option<LinkOffers>) -> impl IntoView {
    let links = links.filter(|_| caller_may(Role::Responder));
    let link_error = links.map(|l| (l.errors)());
    let q = list_query();
    let editor = caller_may(Role::Editor);
    let select = |id: &'static str,
                  name: &'static str,
                  options: &'static [&'static str],
                  chosen: String| {
        view! {
            <select id=id name=name>
                <option value="">"Any"</option>
                {options.iter().map(|o| view! { <option value=*o selected=*o == chosen>{*o}</option> }).collect_view()}
            </select>
        }
    };
    view! {
        <Title text="Audit events"/>
        <h1>"Audit events"</h1>
        <p class="lede">
            "Evidence from other systems' logs, with secrets taken out before anything was stored. "
            {editor.then(|| view! { <a href="/imports">"Import a file"</a> " · " <a href="/sources">"Webhook sources"</a> })}
        </p>
        {link_error}
        <form method="get" action="/events" class="inline-form filters" id="event-filters">
            <label for="f-q">"Search"</label>
            <input id="f-q" name="q" type="search" value=q.q.clone() placeholder="e.g. card_declined"/>
            <label for="f-source">"Source"</label>
            {select("f-source", "source", &SOURCES, q.source.clone())}
            <label for="f-outcome">"Outcome"</label>
            {select("f-outcome", "outcome", &OUTCOMES, q.outcome.clone())}
            <label for="f-environment">"Environment"</label>
            <input id="f-environment" name="environment" value=q.environment.clone() size="8" placeholder="live, test"/>
            <label for="f-from">"From (UTC)"</label>
            <input id="f-from" name="from" type="datetime-local" value=q.from.clone()/>
            <label for="f-to">"To (UTC)"</label>
            <input id="f-to" name="to" type="datetime-local" value=q.to.clone()/>
            {(!q.import.is_empty()).then(|| view! { <input type="hidden" name="import" value=q.import.clone()/> })}
            <button type="submit">"Search"</button>
        </form>
        <Suspense fallback=loading>
            {move || {
                let q = q.clone();
                Suspend::new(async move {
                    match list_events(q.clone()).await {
                        Ok(list) if list.rows.is_empty() => view! {
                            <p class="empty">{if q.after.is_empty() { "No events match." } else { "No more events." }}</p>
                        }.into_any(),
                        Ok(list) => {
                            let more = list.next.map(|id| view! {
                                <p class="earlier"><a href=next_page(&q, id) id="older-events">"Older events"</a></p>
                            });
                            match links {
                                Some(links) => view! {
                                    {(links.rows)(event_rows(list.rows, true).into_any())}
                                    {more}
                                }.into_any(),
                                None => view! { {event_rows(list.rows, false)} {more} }.into_any(),
                            }
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn EventPage(#[prop(optional)] links: Option<LinkOffers>) -> impl IntoView {
    let id = id_param();
    let links = links.filter(|_| caller_may(Role::Responder));
    let errors = links.map(|l| (l.errors)());
    view! {
        <Title text="Audit event"/>
        {errors}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match get_event(id).await {
                    Ok(d) => {
                        let e = d.event.clone();
                        view! {
                            <h1>{e.summary.clone()}</h1>
                            <dl class="facts" id="event-facts">
                                <dt>"Happened"</dt><dd><time datetime=e.occurred_at.to_rfc3339()>{when(e.occurred_at)}</time></dd>
                                <dt>"Received"</dt><dd>{when(d.received_at)}" from "{d.file_name.clone()}</dd>
                                <dt>"Source"</dt><dd>{e.source.clone()}</dd>
                                <dt>"Source id"</dt><dd><code>{e.source_id.clone()}</code></dd>
                                <dt>"Actor"</dt><dd>{e.actor.clone()}</dd>
                                <dt>"Action"</dt><dd>{e.action.clone()}</dd>
                                <dt>"Target"</dt><dd>{e.target.clone()}</dd>
                                <dt>"Outcome"</dt><dd><span class=format!("outcome outcome-{}", e.outcome)>{e.outcome.clone()}</span></dd>
                                <dt>"Environment"</dt><dd>{e.environment.clone().unwrap_or_else(|| "not said".into())}</dd>
                                <dt>"Request id"</dt><dd><code>{d.request_id.clone().unwrap_or_default()}</code></dd>
                                <dt>"Fingerprint"</dt>
                                <dd><code id="fingerprint">{d.fingerprint.clone()}</code>
                                    <p class="hint">"HMAC-SHA256 of the original payload under this instance's key: a copy of the original can be proven to match."</p></dd>
                            </dl>
                            <h2>"Evidence for"</h2>
                            {if d.links.is_empty() {
                                view! { <p class="empty">"No incident."</p> }.into_any()
                            } else {
                                view! {
                                    <ul id="event-links">
                                        {d.links.clone().into_iter().map(|(incident, title)| view! {
                                            <li>
                                                <a href=format!("/incidents/{incident}")>{format!("#{incident} {title}")}</a>
                                                {links.map(|l| (l.unlink)(incident, e.id))}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            {links.map(|l| (l.one)(e.id))}
                            <h2>"Payload"{d.truncated.then_some(" (cut: it was longer than 64 KiB)")}</h2>
                            <p class="hint">"Secrets were taken out before it was stored."</p>
                            <pre class="payload" id="payload">{d.payload.clone()}</pre>
                        }.into_any()
                    }
                    Err(error) => view! { <h1>"Audit event"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let retention_error = returned_error(ServerAction::<SetRetention>::new());
    let refused = query("error");
    let admin = caller_may(Role::Admin);
    view! {
        <Title text="Import events"/>
        <h1>"Import audit events"</h1>
        {(!refused.is_empty()).then(|| view! { <div class="error-notice" role="alert"><p>{refused}</p></div> })}
        {retention_error}
        <form method="post" action="/event-files" enctype="multipart/form-data" class="stack narrow" id="import-form">
            <label for="import-file">"File (JSON, NDJSON, CSV or gzip; at most 100 MB here, any size with "<code>"muster import"</code>")"</label>
            <input id="import-file" type="file" name="file" required/>
            <label for="import-format">"Format"</label>
            <select id="import-format" name="format">
                <option value="">"Tell from the file"</option>
                {super::FORMATS.iter().map(|f| view! { <option value=*f>{*f}</option> }).collect_view()}
            </select>
            <details>
                <summary>"Columns of a generic log"</summary>
                <p class="hint">"Which column (CSV) or field (JSON, dotted for nested: user.email) holds each part. Empty: the part's own name."</p>
                {super::MAPPED_FIELDS.iter().map(|f| {
                    let id = format!("map-{f}");
                    view! { <label for=id.clone()>{*f}</label><input id=id name=format!("map_{f}") placeholder=*f/> }
                }).collect_view()}
            </details>
            <div><button type="submit">"Import"</button></div>
        </form>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match list_imports().await {
                    Ok(o) => {
                        let set = ServerAction::<SetRetention>::new();
                        view! {
                            <h2>"Recent imports"</h2>
                            {if o.imports.is_empty() {
                                view! { <p class="empty">"None yet."</p> }.into_any()
                            } else {
                                view! {
                                    <DataTable id="imports" headers=&["File", "Format", "By", "When", "State", "Accepted", "Already there", "Refused"]>
                                        {o.imports.into_iter().map(|i| view! {
                                            <tr data-import=i.id>
                                                <td><a href=format!("/imports/{}", i.id)>{i.file_name}</a></td>
                                                <td>{i.format}</td>
                                                <td>{i.imported_by}</td>
                                                <td>{when(i.imported_at)}</td>
                                                <td>{i.state}</td>
                                                <td>{i.accepted}</td>
                                                <td>{i.duplicates}</td>
                                                <td>{i.rejected}</td>
                                            </tr>
                                        }).collect_view()}
                                    </DataTable>
                                }.into_any()
                            }}
                            <h2>"Retention"</h2>
                            <p>"Events no incident links are deleted once older than their source's period (checked daily)."</p>
                            <DataTable id="retention" headers=&["Source", "Kept for"]>
                                {o.retention.into_iter().map(|(source, days)| {
                                    let label = format!("Days to keep {source} events");
                                    let kept = if admin {
                                        let hidden = source.clone();
                                        view! {
                                            <ActionForm action=set attr:class="inline">
                                                <input type="hidden" name="source" value=hidden/>
                                                <input name="days" value=days size="5" inputmode="numeric" aria-label=label/>
                                                " days "
                                                <button type="submit" class="small">"Save"</button>
                                            </ActionForm>
                                        }.into_any()
                                    } else {
                                        view! { {format!("{days} days")} }.into_any()
                                    };
                                    let key = source.clone();
                                    view! {
                                        <tr data-source=key>
                                            <td>{source}</td>
                                            <td>{kept}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </DataTable>
                            <h2>"What is taken out before storing"</h2>
                            <ul id="redaction-rules">
                                {o.rules.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// "12.3 MB".
fn megabytes(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn report(i: ImportView) -> AnyView {
    let running = i.state == "running";
    let percent = i
        .bytes_total
        .filter(|t| *t > 0)
        .map(|t| (i.bytes_read * 100 / t).min(100));
    view! {
        // While it runs the page asks again every second: progress without JavaScript.
        {running.then(|| view! { <Meta http_equiv="refresh" content="1"/> })}
        <h1>{format!("Import of {}", i.file_name)}</h1>
        <p class=format!("import-state state-{}", i.state) id="import-state">
            {match i.state.as_str() {
                "running" => "Importing…".to_owned(),
                "done" => format!("Imported as {}.", i.format),
                "refused" => "Refused whole: nothing of it was kept.".to_owned(),
                _ => "Stopped midway: nothing of it was kept.".to_owned(),
            }}
        </p>
        {running.then(|| view! {
            <progress id="import-progress" max="100" value=percent.unwrap_or(0)>{format!("{}%", percent.unwrap_or(0))}</progress>
            <p>{format!("{} of {} read", megabytes(i.bytes_read), i.bytes_total.map(megabytes).unwrap_or_else(|| "?".into()))}</p>
        })}
        {i.failure.clone().map(|why| view! { <div class="error-notice" role="alert"><p>{why}</p></div> })}
        <dl class="facts" id="import-counts">
            <dt>"Accepted"</dt><dd data-count="accepted">{i.accepted}</dd>
            <dt>"Already there"</dt><dd data-count="duplicates">{i.duplicates}</dd>
            <dt>"Refused"</dt><dd data-count="rejected">{i.rejected}</dd>
            <dt>"By"</dt><dd>{i.imported_by.clone()}" at "{when(i.imported_at)}</dd>
        </dl>
        {(i.state == "done" && i.accepted > 0).then(|| view! {
            <p><a href=format!("/events?import={}", i.id) id="import-events">"See the events of this import"</a></p>
        })}
        {(!i.refusals.is_empty()).then(|| view! {
            <h2>"Refused records"</h2>
            {(i.rejected as usize > i.refusals.len()).then(|| view! { <p class="hint">{format!("The first {} of {}.", i.refusals.len(), i.rejected)}</p> })}
            <ul id="import-refusals">
                {i.refusals.into_iter().map(|(place, why)| view! { <li><strong>{place}</strong>": "{why}</li> }).collect_view()}
            </ul>
        })}
    }
    .into_any()
}

#[component]
pub fn ImportReportPage() -> impl IntoView {
    let id = id_param();
    view! {
        <Title text="Import"/>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match get_import(id).await {
                    Ok(i) => report(i),
                    Err(error) => view! { <h1>"Import"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
