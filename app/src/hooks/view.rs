//! The webhook pages: every source with its counts, and one source's
//! address, secrets, settings and newest deliveries (a strip of coloured
//! marks first, so a sender that keeps failing shows at a glance).
use super::{
    take_revealed, AddSource, DeliveryView, RotateSecret, SetSource, SourceDetail, SourceView,
    SCHEMES,
};
use crate::{
    auth::{caller_may, Role},
    ui::{returned_error, when, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

fn loading() -> impl IntoView {
    view! { <p>"Loading…"</p> }
}

fn name_param() -> String {
    leptos_router::hooks::use_params_map().with_untracked(|p| p.get("name").unwrap_or_default())
}

#[component]
pub fn SourcesPage() -> impl IntoView {
    let add = ServerAction::<AddSource>::new();
    let error = returned_error(add);
    let admin = caller_may(Role::Admin);
    view! {
        <Title text="Webhook sources"/>
        <h1>"Webhook sources"</h1>
        <p class="lede">"Systems that push events to Muster as they happen. Each delivery is checked against the source's secret before it is read; unsigned, late and replayed deliveries are refused or counted, never stored twice."</p>
        {error}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match super::list_sources().await {
                    Ok(sources) => sources_table(sources).into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
        {admin.then(|| view! {
            <h2>"Add a source"</h2>
            <ActionForm action=add attr:class="stack narrow" attr:id="add-source-form">
                <label for="source-name">"Name (the last part of its address)"</label>
                <input id="source-name" name="name" required maxlength="40" pattern="[a-z0-9][a-z0-9-]*" placeholder="stripe-live"/>
                <label for="source-scheme">"How it signs"</label>
                <select id="source-scheme" name="scheme">
                    {SCHEMES.iter().map(|(s, about)| view! { <option value=*s title=*about>{*s}</option> }).collect_view()}
                </select>
                <label for="source-secret">"Its signing secret, if the sender made one (Stripe, Slack); leave empty for Muster to make one"</label>
                <input id="source-secret" name="secret" type="password" autocomplete="off" maxlength="200"/>
                <label for="source-environment">"Environment label (live, test)"</label>
                <input id="source-environment" name="environment" maxlength="40"/>
                <label for="source-networks">"Allowed client networks (CIDR, empty for any)"</label>
                <input id="source-networks" name="networks" placeholder="192.0.2.0/24 2001:db8::/32"/>
                <label for="source-retention">"Keep its unlinked events (days)"</label>
                <input id="source-retention" name="retention" inputmode="numeric" placeholder="90"/>
                <div><button type="submit">"Add source"</button></div>
            </ActionForm>
            <ul class="hint">
                {SCHEMES.iter().map(|(s, about)| view! { <li><code>{*s}</code>": "{*about}</li> }).collect_view()}
            </ul>
        })}
    }
}

fn sources_table(sources: Vec<SourceView>) -> impl IntoView {
    if sources.is_empty() {
        return view! { <p class="empty">"No sources yet."</p> }.into_any();
    }
    view! {
        <DataTable id="sources" headers=&["Source", "Scheme", "Environment", "Accepted", "Duplicates", "Refused", "State"]>
            {sources.into_iter().map(|s| {
                let weaker = s.weaker();
                view! {
                    <tr data-source=s.name.clone()>
                        <td><a href=format!("/sources/{}", s.name)>{s.name.clone()}</a></td>
                        <td>{s.scheme.clone()}{weaker.then(|| view! { " " <span class="tag">"weaker"</span> })}</td>
                        <td>{s.environment.clone()}</td>
                        <td>{s.accepted}</td>
                        <td>{s.duplicates}</td>
                        <td>{s.rejected}</td>
                        <td>{if s.enabled { "on" } else { "off" }}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}

#[component]
pub fn SourcePage() -> impl IntoView {
    let name = name_param();
    let rotate = ServerAction::<RotateSecret>::new();
    let set = ServerAction::<SetSource>::new();
    let errors = (returned_error(rotate), returned_error(set));
    let revealed = take_revealed(&name).map(|secret| {
        view! {
            <div class="reveal" role="status">
                <p><strong>"Copy this secret now: it will not be shown again."</strong></p>
                <code id="new-secret">{secret}</code>
                <p class="help">"Give it to the sender as its signing secret."</p>
            </div>
        }
    });
    view! {
        <Title text="Webhook source"/>
        {errors}
        {revealed}
        <Suspense fallback=loading>
            {move || {
                let name = name.clone();
                Suspend::new(async move {
                    match super::get_source(name).await {
                        Ok(detail) => source_view(detail, rotate, set).into_any(),
                        Err(error) => view! { <h1>"Webhook source"</h1><ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

fn source_view(
    d: SourceDetail,
    rotate: ServerAction<RotateSecret>,
    set: ServerAction<SetSource>,
) -> impl IntoView {
    let s = d.source;
    let admin = caller_may(Role::Admin);
    let about = SCHEMES
        .iter()
        .find(|(n, _)| *n == s.scheme)
        .map(|(_, a)| *a)
        .unwrap_or_default();
    let secrets = s
        .secrets
        .iter()
        .map(|(made, retires)| match retires {
            None => view! { <li>"Current, made " {when(*made)}</li> }.into_any(),
            Some(at) => {
                view! { <li>"Previous, made " {when(*made)} ", verifies until " {when(*at)}</li> }
                    .into_any()
            }
        })
        .collect_view();
    let settings = admin.then(|| settings_forms(s.clone(), rotate, set));
    view! {
        <h1>"Webhook source " {s.name.clone()}</h1>
        <p class="lede">"Senders post to " <code id="source-address">{d.address}</code></p>
        <p>{about}{s.weaker().then(|| view! { " " <strong class="tag">"weaker than a signature"</strong> })}</p>
        <ul class="cards" id="delivery-counts">
            <li class="card"><h2>{s.accepted}</h2><p>"accepted"</p></li>
            <li class="card"><h2>{s.duplicates}</h2><p>"duplicates (answered 200, not stored again)"</p></li>
            <li class="card"><h2>{s.rejected}</h2><p>"refused"</p></li>
        </ul>
        <h2>"Newest deliveries"</h2>
        {strip(&d.deliveries)}
        {deliveries_table(d.deliveries)}
        <h2>"Secrets"</h2>
        <ul id="secrets">{secrets}</ul>
        {settings}
    }
}

fn settings_forms(
    s: SourceView,
    rotate: ServerAction<RotateSecret>,
    set: ServerAction<SetSource>,
) -> impl IntoView {
    let (rotated, named) = (s.name.clone(), s.name.clone());
    let (environment, networks, days, enabled) =
        (s.environment, s.networks, s.retention_days, s.enabled);
    view! {
            <ActionForm action=rotate attr:class="stack narrow" attr:id="rotate-form">
                <input type="hidden" name="name" value=rotated/>
                <label for="rotate-overlap">"Hours the old secret keeps verifying"</label>
                <input id="rotate-overlap" name="overlap_hours" inputmode="numeric" placeholder="24"/>
                <label for="rotate-secret">"New secret from the sender (empty: Muster makes one)"</label>
                <input id="rotate-secret" name="secret" type="password" autocomplete="off" maxlength="200"/>
                <div><button type="submit">"Rotate the secret"</button></div>
            </ActionForm>
            <h2>"Settings"</h2>
            <ActionForm action=set attr:class="stack narrow" attr:id="source-settings">
                <input type="hidden" name="name" value=named/>
                <label for="set-environment">"Environment label"</label>
                <input id="set-environment" name="environment" maxlength="40" value=environment/>
                <label for="set-networks">"Allowed client networks (CIDR, empty for any)"</label>
                <input id="set-networks" name="networks" value=networks/>
                <label for="set-retention">"Keep its unlinked events (days)"</label>
                <input id="set-retention" name="retention" inputmode="numeric" value=days/>
                <label><input type="checkbox" name="enabled" value="on" checked=enabled/>" Accept deliveries"</label>
                <div><button type="submit">"Save"</button></div>
            </ActionForm>
    }
}

/// One mark per delivery, oldest on the left: green accepted, grey
/// duplicate, red refused.
fn strip(deliveries: &[DeliveryView]) -> impl IntoView {
    let n = deliveries.len();
    let marks = deliveries
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let class = format!("mark {}", d.outcome);
            view! { <rect class=class x=i * 12 y="0" width="10" height="24"><title>{format!("{} {} {}", when(d.received_at), d.outcome, d.reason.clone().unwrap_or_default())}</title></rect> }
        })
        .collect_view();
    view! {
        <svg class="delivery-strip" role="img" aria-label=format!("The newest {n} deliveries by outcome") viewBox=format!("0 0 {} 24", (n * 12).max(12)) width=(n * 12).max(12) height="24">
            {marks}
        </svg>
    }
}

fn deliveries_table(deliveries: Vec<DeliveryView>) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="empty">"No deliveries yet."</p> }.into_any();
    }
    view! {
        <DataTable id="deliveries" headers=&["Received", "Outcome", "Status", "Why", "Client", "Delivery", "Fingerprint", "Event"]>
            {deliveries.into_iter().map(|d| {
                let class = format!("delivery {}", d.outcome);
                let print = d.fingerprint.as_deref().map(|f| f.chars().take(16).collect::<String>()).unwrap_or_default();
                view! {
                    <tr class=class>
                        <td>{when(d.received_at)}</td>
                        <td>{d.outcome}</td>
                        <td>{d.status}</td>
                        <td>{d.reason.unwrap_or_default()}</td>
                        <td>{d.client.unwrap_or_default()}</td>
                        <td><code>{d.delivery_id.unwrap_or_default()}</code></td>
                        <td><code title=d.fingerprint.clone().unwrap_or_default()>{print}</code></td>
                        <td>{d.event_id.map(|id| view! { <a href=format!("/events/{id}")>{format!("#{id}")}</a> })}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}
