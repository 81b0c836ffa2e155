//! The alert pages: alerts (open first), one alert explaining itself
//! (its rule in a sentence, its group, its sample events, and the button
//! that declares an incident from it), and the rules.
use super::{AddRule, AlertDetail, AlertView, RuleView, SetRuleEnabled, GROUP_FIELDS};
use crate::{
    auth::{caller_may, Role},
    events::SOURCES,
    fields::id_param,
    runbooks::Severity,
    ui::{returned_error, when, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

fn loading() -> impl IntoView {
    view! { <p>"Loading…"</p> }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    view! {
        <Title text="Alerts"/>
        <h1>"Alerts"</h1>
        <p class="lede">"Events arriving by webhook that match a " <a href="/alert-rules">"rule"</a> ", grouped: one alert per group, however many events it counts."</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match super::list_alerts().await {
                    Ok(list) => alerts_table(list.alerts).into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn alerts_table(alerts: Vec<AlertView>) -> impl IntoView {
    if alerts.is_empty() {
        return view! { <p class="empty">"No alerts."</p> }.into_any();
    }
    view! {
        <DataTable id="alerts" headers=&["State", "Rule", "Group", "Events", "First seen", "Last seen", "Incident"]>
            {alerts.into_iter().map(|a| view! {
                <tr data-alert=a.id class=format!("alert {}", a.state)>
                    <td>{a.state.clone()}" "<span class="tag">{a.severity.clone()}</span></td>
                    <td><a href=format!("/alerts/{}", a.id)>{a.rule.clone()}</a></td>
                    <td><code>{a.group_key.clone()}</code></td>
                    <td class="alert-count">{a.count}</td>
                    <td>{when(a.first_seen)}</td>
                    <td>{when(a.last_seen)}</td>
                    <td>{a.incident_id.map(|i| view! { <a href=format!("/incidents/{i}")>{format!("#{i}")}</a> })}</td>
                </tr>
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}

/// What higher layers offer on an alert's page (declaring an incident
/// from it): the shell gives it, so alerts never name incidents.
pub type AlertOffers = fn(&AlertDetail) -> AnyView;

#[component]
pub fn AlertPage(#[prop(optional)] offers: Option<AlertOffers>) -> impl IntoView {
    let id = id_param();
    view! {
        <Title text="Alert"/>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match super::get_alert(id).await {
                    Ok(d) => {
                        let offers = offers.map(|offer| offer(&d));
                        let a = d.alert;
                        let grouped = if a.group_key.is_empty() {
                            "Every matching event counts here: the rule does not group them.".to_owned()
                        } else {
                            format!("Grouped because these events share {}: other values make other alerts.", a.group_key)
                        };
                        view! {
                            <h1>{format!("Alert #{}: {}", a.id, d.rule.name)}</h1>
                            <p class="lede" id="alert-summary">
                                <strong>{a.state.clone()}</strong>" · "{a.severity.clone()}" · "
                                <span id="alert-count">{a.count}</span>" events from "{when(a.first_seen)}" to "{when(a.last_seen)}
                                {a.resolved_at.map(|t| format!(" · resolved {}", when(t)))}
                            </p>
                            <h2>"Why"</h2>
                            <p id="alert-rule">"Rule " <strong>{d.rule.name.clone()}</strong>": "{d.rule.explained()}</p>
                            <p id="alert-group">{grouped}</p>
                            {a.incident_id.map(|i| view! { <p>"Declared as " <a href=format!("/incidents/{i}")>{format!("incident #{i}")}</a>"."</p> })}
                            {offers}
                            <h2>{format!("Sample events (the first {})", super::MAX_SAMPLES)}</h2>
                            {crate::events::event_rows(d.samples, false)}
                        }
                        .into_any()
                    }
                    Err(error) => view! { <h1>"Alert"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn RulesPage() -> impl IntoView {
    let add = ServerAction::<AddRule>::new();
    let toggle = ServerAction::<SetRuleEnabled>::new();
    let errors = (returned_error(add), returned_error(toggle));
    let editor = caller_may(Role::Editor);
    view! {
        <Title text="Alert rules"/>
        <h1>"Alert rules"</h1>
        <p class="lede">"A few rules that matter: each watches events arriving by webhook and opens one alert per group when enough arrive in its window."</p>
        {errors}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match super::list_rules().await {
                    Ok((rules, runbooks)) => view! {
                        {rules_table(rules, editor, toggle)}
                        {editor.then(|| rule_form(add, runbooks))}
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn rules_table(
    rules: Vec<RuleView>,
    editor: bool,
    toggle: ServerAction<SetRuleEnabled>,
) -> impl IntoView {
    if rules.is_empty() {
        return view! { <p class="empty">"No rules yet."</p> }.into_any();
    }
    view! {
        <DataTable id="rules" headers=&["Rule", "What it watches", "Severity", "State"]>
            {rules.into_iter().map(|r| {
                let explained = r.explained();
                view! {
                    <tr data-rule=r.id>
                        <td>{r.name.clone()}</td>
                        <td>{explained}</td>
                        <td>{r.severity.clone()}</td>
                        <td>
                            {if r.enabled { "on " } else { "off " }}
                            {editor.then(|| view! {
                                <ActionForm action=toggle attr:class="inline-form">
                                    <input type="hidden" name="id" value=r.id/>
                                    <input type="hidden" name="enabled" value=(!r.enabled).to_string()/>
                                    <button type="submit">{if r.enabled { "Turn off" } else { "Turn on" }}</button>
                                </ActionForm>
                            })}
                        </td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}

fn rule_form(add: ServerAction<AddRule>, runbooks: Vec<(i64, String)>) -> impl IntoView {
    view! {
        <h2>"Add a rule"</h2>
        <ActionForm action=add attr:class="stack narrow" attr:id="add-rule-form">
            <label for="rule-name">"Name"</label>
            <input id="rule-name" name="rule[name]" required maxlength="80" placeholder="Payment failures spike"/>
            <label for="rule-sources">{format!("Sources (any of: {}; empty for all)", SOURCES.join(" "))}</label>
            <input id="rule-sources" name="rule[sources]" placeholder="stripe"/>
            <label for="rule-actions">"Actions (patterns, * for any run; empty for all)"</label>
            <input id="rule-actions" name="rule[actions]" placeholder="charge.failed invoice.payment_failed"/>
            <label for="rule-outcome">"Outcome"</label>
            <select id="rule-outcome" name="rule[outcome]">
                <option value="">"Any"</option>
                <option value="failure">"failure"</option>
                <option value="success">"success"</option>
                <option value="unknown">"unknown"</option>
            </select>
            <label for="rule-environment">"Environment (empty for any)"</label>
            <input id="rule-environment" name="rule[environment]" maxlength="40"/>
            <label for="rule-words">"Words, any of which the event mentions (empty: no need)"</label>
            <input id="rule-words" name="rule[words]" placeholder="401 403 unauthorized"/>
            <label for="rule-threshold">"Events that open an alert"</label>
            <input id="rule-threshold" name="rule[threshold]" inputmode="numeric" value="5"/>
            <label for="rule-window">"Within (minutes)"</label>
            <input id="rule-window" name="rule[window_minutes]" inputmode="numeric" value="10"/>
            <label for="rule-group">{format!("Group by (any of: {})", GROUP_FIELDS.join(" "))}</label>
            <input id="rule-group" name="rule[group_by]" value="action"/>
            <label for="rule-quiet">"Resolve after quiet (minutes)"</label>
            <input id="rule-quiet" name="rule[quiet_minutes]" inputmode="numeric" value="30"/>
            <label for="rule-severity">"Severity"</label>
            <select id="rule-severity" name="rule[severity]">
                {Severity::ALL.map(|s| view! { <option value=s.as_str() selected=s == Severity::Sev2>{s.title()}</option> }).collect_view()}
            </select>
            <label for="rule-runbook">"Suggested runbook"</label>
            <select id="rule-runbook" name="rule[runbook]">
                <option value="">"None"</option>
                {runbooks.into_iter().map(|(id, t)| view! { <option value=id>{t}</option> }).collect_view()}
            </select>
            <div><button type="submit">"Add rule"</button></div>
        </ActionForm>
    }
}
