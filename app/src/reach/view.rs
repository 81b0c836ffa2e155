//! `/admin/channels` (the channels, a warning when messages failed, the
//! form to add one) and `/admin/channels/:name` (its settings, the test
//! button, and its newest messages with their answers).
use super::{
    api::{
        get_channel, get_routing, list_channels, look_call, AcknowledgeCall, AddChannel,
        AddRoutingRule, ChannelDetail, RemoveRoutingRule, SetChannelEnabled, TestChannel,
    },
    AttemptLine, CallView, Channel, Kind, OutboxLine, Routing, State,
};
use crate::ui::{returned_error, when, DataTable, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;

fn loading() -> impl IntoView {
    view! { <p>"Loading…"</p> }
}

fn how(c: &Channel) -> String {
    match c.kind {
        Kind::Email => format!("email via {} ({})", c.shown_address, c.security.as_str()),
        Kind::Webhook => format!("{} webhook to {}", c.preset.as_str(), c.shown_address),
    }
}

fn channels_table(channels: Vec<Channel>) -> impl IntoView {
    if channels.is_empty() {
        return view! { <p class="empty" id="no-channels">"No channels yet: nothing leaves Muster until one is added."</p> }
            .into_any();
    }
    view! {
        <DataTable id="channels" headers=&["Name", "How", "For customers", "Per minute", "On"]>
            {channels.into_iter().map(|c| {
                let href = format!("/admin/channels/{}", c.name);
                let how = how(&c);
                let name = c.name.clone();
                view! {
                    <tr data-channel=name>
                        <td><a href=href>{c.name}</a></td>
                        <td>{how}</td>
                        <td>{if c.for_customers { "yes" } else { "" }}</td>
                        <td>{c.per_minute}</td>
                        <td>{if c.enabled { "on" } else { "off" }}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}

#[component]
pub fn ChannelsPage() -> impl IntoView {
    let add = ServerAction::<AddChannel>::new();
    let error = returned_error(add);
    view! {
        <Title text="Channels"/>
        <h1>"Channels"</h1>
        <p class="lede">
            "How Muster reaches people: email over SMTP and outgoing webhooks (Standard Webhooks, Slack, Microsoft Teams). "
            "Messages carry an incident's title, severity, status, clock and link, never a secret or a payload. "
            "Nothing is delivered from a drill, the sandbox or staging: each message is kept below with whom it would have reached."
        </p>
        {error}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match list_channels().await {
                    Ok(v) => view! {
                        {(v.failed_today > 0).then(|| view! {
                            <p class="warn" id="channels-warning" role="alert">{format!("{} message(s) could not be delivered in the last day: open the channel to see the answers.", v.failed_today)}</p>
                        })}
                        {channels_table(v.channels)}
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
        <h2>"Add a channel"</h2>
        <ActionForm action=add attr:class="stack narrow" attr:id="add-channel-form">
            <label for="ch-name">"Name"</label>
            <input id="ch-name" name="channel[name]" required maxlength="40" pattern="[A-Za-z0-9_-]+" placeholder="ops-email"/>
            <label for="ch-kind">"Kind"</label>
            <select id="ch-kind" name="channel[kind]">
                <option value="email">"email (SMTP)"</option>
                <option value="webhook">"webhook"</option>
            </select>
            <label for="ch-address">"SMTP server (host:port) or webhook URL"</label>
            <input id="ch-address" name="channel[address]" required maxlength="2000" placeholder="smtp.example.com:587 or https://hooks.slack.com/services/…"/>
            <label for="ch-preset">"Webhook shape"</label>
            <select id="ch-preset" name="channel[preset]">
                <option value="standard">"Standard Webhooks (signed JSON)"</option>
                <option value="slack">"Slack incoming webhook"</option>
                <option value="teams">"Microsoft Teams incoming webhook"</option>
            </select>
            <label for="ch-security">"Email: encryption"</label>
            <select id="ch-security" name="channel[security]">
                <option value="starttls">"STARTTLS (required)"</option>
                <option value="tls">"TLS from the start (port 465)"</option>
                <option value="plain">"none: only to a server on this machine"</option>
            </select>
            <label for="ch-user">"Email: user"</label>
            <input id="ch-user" name="channel[username]" maxlength="200" autocomplete="off"/>
            <label for="ch-secret">"Email password, or a Standard Webhooks secret (empty: Muster makes one)"</label>
            <input id="ch-secret" name="secret" type="password" maxlength="200" autocomplete="off"/>
            <label for="ch-sender">"Email: From address"</label>
            <input id="ch-sender" name="channel[sender]" maxlength="254" placeholder="muster@example.com"/>
            <label for="ch-recipients">"Email: the channel's own recipients (comma separated; people are reached at their own address)"</label>
            <input id="ch-recipients" name="channel[recipients]" maxlength="4000"/>
            <label><input type="checkbox" name="channel[for_customers]" value="on"/>" For customers (published notices may go here)"</label>
            <label for="ch-rate">"At most this many messages a minute"</label>
            <input id="ch-rate" name="channel[per_minute]" inputmode="numeric" placeholder="30"/>
            <div><button type="submit">"Add channel"</button></div>
        </ActionForm>
    }
}

fn state_text(s: State) -> &'static str {
    s.as_str()
}

fn lines_table(lines: Vec<OutboxLine>) -> impl IntoView {
    if lines.is_empty() {
        return view! { <p class="empty">"No messages yet."</p> }.into_any();
    }
    view! {
        <DataTable id="outbox" headers=&["Queued (UTC)", "Why", "Subject", "To", "State", "Tries", "Answer"]>
            {lines.into_iter().map(|l| {
                let class = format!("outbox-{}", state_text(l.state));
                let answer = if l.note.is_empty() { l.answer } else { l.note };
                view! {
                    <tr class=class data-state=state_text(l.state)>
                        <td>{when(l.created_at)}</td>
                        <td>{l.purpose}</td>
                        <td>{l.subject}</td>
                        <td>{l.to}</td>
                        <td>{state_text(l.state)}</td>
                        <td>{l.attempts}</td>
                        <td class="answer">{answer}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}

fn attempts_table(attempts: Vec<AttemptLine>) -> impl IntoView {
    if attempts.is_empty() {
        return view! { <p class="empty">"Nothing delivered yet."</p> }.into_any();
    }
    view! {
        <DataTable id="delivery-log" headers=&["Time (UTC)", "Message", "Outcome", "Code", "Answer"]>
            {attempts.into_iter().map(|a| {
                let outcome = a.outcome.clone();
                view! {
                <tr data-outcome=outcome>
                    <td>{when(a.at)}</td>
                    <td>{a.subject}</td>
                    <td>{a.outcome}</td>
                    <td>{a.code.map(|c| c.to_string()).unwrap_or_default()}</td>
                    <td class="answer">{a.answer}</td>
                </tr>
                }
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}

fn channel_view(
    d: ChannelDetail,
    test: ServerAction<TestChannel>,
    toggle: ServerAction<SetChannelEnabled>,
) -> impl IntoView {
    let c = d.channel;
    let how = how(&c);
    let (name_test, name_toggle) = (c.name.clone(), c.name.clone());
    view! {
        <h1>{format!("Channel {}", c.name)}</h1>
        <dl class="facts">
            <dt>"How"</dt><dd id="channel-how">{how}</dd>
            <dt>"Recipients"</dt><dd>{if c.recipients.is_empty() { "(each person's own address)".to_owned() } else { c.recipients.join(", ") }}</dd>
            <dt>"For customers"</dt><dd>{if c.for_customers { "yes" } else { "no" }}</dd>
            <dt>"Rate"</dt><dd>{format!("at most {} a minute", c.per_minute)}</dd>
            <dt>"Secret"</dt><dd>{if c.has_secret { "set (sealed; never shown again)" } else { "none" }}</dd>
            <dt>"Added"</dt><dd>{when(c.created_at)}</dd>
        </dl>
        {(!c.enabled).then(|| view! {
            <p class="warn" id="channel-off" role="status">"This channel is off: its messages wait in the outbox until it is turned on."</p>
        })}
        <div class="inline-form">
            <ActionForm action=test attr:id="test-channel-form">
                <input type="hidden" name="name" value=name_test/>
                <button type="submit">"Send a test message"</button>
            </ActionForm>
            <ActionForm action=toggle attr:id="channel-toggle-form">
                <input type="hidden" name="name" value=name_toggle/>
                <input type="hidden" name="enabled" value=if c.enabled { "false" } else { "true" }/>
                <button type="submit">{if c.enabled { "Turn off" } else { "Turn on" }}</button>
            </ActionForm>
        </div>
        <h2>"Newest messages"</h2>
        {lines_table(d.lines)}
        <h2>"Delivery log"</h2>
        <p class="hint">"Every attempt, with the receiver's code and first words; never a password or a signing secret."</p>
        {attempts_table(d.attempts)}
    }
}

#[component]
pub fn ChannelPage() -> impl IntoView {
    let name = leptos_router::hooks::use_params_map()
        .with_untracked(|p| p.get("name").unwrap_or_default());
    let revealed = super::api::take_revealed(&name).map(|secret| {
        view! {
            <div class="reveal" role="status">
                <p><strong>"Copy this signing secret now: it will not be shown again."</strong></p>
                <code id="new-secret">{secret}</code>
                <p class="help">"The receiver verifies Muster's webhook-signature header with it (Standard Webhooks)."</p>
            </div>
        }
    });
    let test = ServerAction::<TestChannel>::new();
    let toggle = ServerAction::<SetChannelEnabled>::new();
    let error = (returned_error(test), returned_error(toggle));
    view! {
        <Title text="Channel"/>
        {error}
        {revealed}
        <Suspense fallback=loading>
            {move || {
                let name = name.clone();
                Suspend::new(async move {
                    match get_channel(name).await {
                        Ok(d) => channel_view(d, test, toggle).into_any(),
                        Err(error) => view! { <h1>"Channel"</h1><ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

fn routing_view(
    r: Routing,
    add: ServerAction<AddRoutingRule>,
    remove: ServerAction<RemoveRoutingRule>,
) -> impl IntoView {
    let rules = if r.rules.is_empty() {
        view! { <p class="empty" id="no-rules">"No routing rules: declaring calls the incident's commander and the roles its runbook lists."</p> }.into_any()
    } else {
        view! {
            <DataTable id="routing-rules" headers=&["For", "Reach", "Escalate after", ""]>
                {r.rules.into_iter().map(|rule| view! {
                    <tr>
                        <td>{rule.scope}</td>
                        <td>{rule.target}</td>
                        <td>{format!("{} min", rule.escalate_minutes)}</td>
                        <td>
                            <ActionForm action=remove>
                                <input type="hidden" name="id" value=rule.id/>
                                <button type="submit" class="secondary">"Remove"</button>
                            </ActionForm>
                        </td>
                    </tr>
                }).collect_view()}
            </DataTable>
        }
        .into_any()
    };
    view! {
        {rules}
        <h2>"Add a rule"</h2>
        <ActionForm action=add attr:class="stack narrow" attr:id="add-rule-form">
            <label for="rule-scope">"For"</label>
            <select id="rule-scope" name="scope">
                {r.scopes.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
            </select>
            <label for="rule-target">"Reach"</label>
            <select id="rule-target" name="target">
                {r.targets.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
            </select>
            <label for="rule-minutes">"A role's call goes to the next backup after (minutes)"</label>
            <input id="rule-minutes" name="minutes" inputmode="numeric" placeholder="5"/>
            <div><button type="submit">"Add rule"</button></div>
        </ActionForm>
    }
}

#[component]
pub fn RoutingPage() -> impl IntoView {
    let add = ServerAction::<AddRoutingRule>::new();
    let remove = ServerAction::<RemoveRoutingRule>::new();
    let error = (returned_error(add), returned_error(remove));
    view! {
        <Title text="Routing"/>
        <h1>"Routing"</h1>
        <p class="lede">
            "Who an incident reaches when it is declared. Every incident calls its commander and the roles its runbook lists; "
            "these rules add roles, people and channels for a runbook or an alert rule. A role's call that nobody acknowledges goes "
            "to the role's next backup on the roster. Drills, the sandbox and staging call nobody: their timelines say whom they would have called."
        </p>
        {error}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match get_routing().await {
                    Ok(r) => routing_view(r, add, remove).into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn call_view(c: CallView, ack: ServerAction<AcknowledgeCall>, key: String) -> impl IntoView {
    let role = if c.role.is_empty() {
        String::new()
    } else {
        format!(" as {}", c.role)
    };
    let said = match c.state.as_str() {
        "open" => view! {
            <p>{format!("{} is called{role}.", c.person)}</p>
            <ActionForm action=ack attr:id="ack-form">
                <input type="hidden" name="key" value=key/>
                <button type="submit">"Acknowledge: I am on it"</button>
            </ActionForm>
        }.into_any(),
        "acked" => view! { <p id="ack-done" role="status">{format!("Acknowledged: {} is on it{role}. The incident's timeline says so.", c.person)}</p> }.into_any(),
        "expired" => view! { <p class="warn">"This acknowledge link has expired."</p> }.into_any(),
        _ => view! { <p class="warn">"This call is over: it went to someone else, or the role changed hands."</p> }.into_any(),
    };
    view! {
        <h1>{c.headline}</h1>
        {said}
        <p><a href=format!("/incidents/{}", c.incident_id)>"Open the incident"</a>" (sign in first)"</p>
    }
}

/// `/ack?key=...`: the page an acknowledge link opens. It asks before it
/// acknowledges, so a mail scanner opening the link acknowledges nothing.
#[component]
pub fn AckPage() -> impl IntoView {
    let key = crate::fields::query("key");
    let ack = ServerAction::<AcknowledgeCall>::new();
    let error = returned_error(ack);
    view! {
        <Title text="Acknowledge a call"/>
        {error}
        <Suspense fallback=loading>
            {move || {
                let key = key.clone();
                let done = ack.value().get().and_then(Result::ok);
                Suspend::new(async move {
                    if let Some(c) = done {
                        return call_view(c, ack, key).into_any();
                    }
                    match look_call(key.clone()).await {
                        Ok(c) => call_view(c, ack, key).into_any(),
                        Err(error) => view! { <h1>"Acknowledge a call"</h1><ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
