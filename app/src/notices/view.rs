//! The templates list, one template with its approval state and preview,
//! and the editor whose preview follows the typing (an island); without
//! JavaScript the form still saves and the page shows the saved preview.
use super::{
    api::{get_notice, preview_notice, NoticeData},
    ApproveNotice, Channel, Preview, SaveNotice, Stage, VARIABLES,
};
use crate::{
    auth::{caller_may, Role},
    fields::id_param,
    plans::{Kind, PlanList},
    ui::{returned_error, when, ErrorNotice},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

#[component]
pub fn NoticesPage() -> impl IntoView {
    let error = returned_error(ServerAction::<SaveNotice>::new());
    view! {
        <Title text="Customer notices"/>
        <h1>"Customer notice templates"</h1>
        <p class="lede">"Words for customers, drafted calmly ahead of time; a second person approves each before an incident may use it."</p>
        {error}
        <PlanList kind=Kind::Template/>
        {caller_may(Role::Editor).then(|| view! {
            <details>
                <summary>"New notice template"</summary>
                <NoticeForm fields=Fields::default() preview=super::Preview::default()/>
            </details>
        })}
    }
}

#[component]
pub fn NoticePage() -> impl IntoView {
    let id = id_param();
    let version =
        use_params_map().with_untracked(|p| p.get("version").and_then(|v| v.parse::<i64>().ok()));
    let editor = caller_may(Role::Editor);
    let errors = (
        returned_error(ServerAction::<SaveNotice>::new()),
        returned_error(ServerAction::<ApproveNotice>::new()),
    );
    view! {
        {errors}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match get_notice(id, version).await {
                    Ok(data) => view! { <NoticeBody data editor/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NoticeBody(data: NoticeData, editor: bool) -> impl IntoView {
    let t = data.template.clone();
    let base = format!("/notices/{}", data.id);
    let latest = data.info.version == data.latest;
    let status = match data.approved {
        Some(a) if a == data.latest => format!("In use: version {a} is approved."),
        Some(a) => format!(
            "In use: version {a}. Version {} awaits approval.",
            data.latest
        ),
        None => "Not approved yet: incidents cannot use this template.".to_owned(),
    };
    let approval = match (&data.info.approved_by, data.info.approved_at) {
        (Some(by), Some(at)) => format!(
            "Version {} approved by {by} at {}.",
            data.info.version,
            when(at)
        ),
        _ => format!("Version {} is not approved.", data.info.version),
    };
    let fields = Fields {
        id: data.id.to_string(),
        title: t.title.clone(),
        tags: t.tags.join(", "),
        stage: t.stage,
        channel: t.channel,
        subject: t.subject.clone(),
        body: t.body.clone(),
    };
    let approvable = editor && latest && data.info.approved_at.is_none();
    view! {
        <Title text=t.title.clone()/>
        <h1>{t.title.clone()}</h1>
        {(!latest).then(|| view! {
            <p class="warn" role="note">{format!("This is version {} of {}. ", data.info.version, data.latest)}<a href=base.clone()>"See the latest version"</a></p>
        })}
        <p class="meta">
            {format!("{} · {} · ", t.stage.as_str(), t.channel.title())}
            {t.tags.iter().map(|tag| view! { <a class="tag" href=format!("/notices?tag={tag}")>{tag.clone()}</a>" " }).collect_view()}
        </p>
        <p class="approval-status" id="approval-status">{status}" "{approval}</p>
        <p class="meta">{format!("Version {} saved {} by {}: {}", data.info.version, when(data.info.created_at), data.info.author, data.info.note)}</p>
        <p><a href=format!("{base}/history")>"History and changes"</a></p>
        {approvable.then(|| view! { <Approve data=data.clone()/> })}
        <h2>"Template"</h2>
        <p><strong>"Subject: "</strong><code class="template-source">{t.subject.clone()}</code></p>
        <pre class="template-source">{t.body.clone()}</pre>
        {if editor && latest {
            view! {
                <h2>"Edit"</h2>
                <NoticeForm fields preview=data.preview.clone()/>
            }.into_any()
        } else {
            view! { <PreviewBox preview=data.preview.clone()/> }.into_any()
        }}
    }
}

#[component]
fn Approve(data: NoticeData) -> impl IntoView {
    let approve = ServerAction::<ApproveNotice>::new();
    if data.mine {
        return view! {
            <p class="warn" id="approve-own">"You wrote this version, so another editor must approve it."</p>
        }
        .into_any();
    }
    if !data.preview.is_usable() {
        return view! { <p class="warn">"Fix the unknown variables or errors below before this version can be approved."</p> }.into_any();
    }
    view! {
        <ActionForm action=approve attr:class="inline" attr:id="approve-form">
            <input type="hidden" name="id" value=data.id/>
            <input type="hidden" name="version" value=data.info.version/>
            <button type="submit">{format!("Approve version {}", data.info.version)}</button>
        </ActionForm>
    }
    .into_any()
}

/// What the editor form starts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    pub id: String,
    pub title: String,
    pub tags: String,
    pub stage: Stage,
    pub channel: Channel,
    pub subject: String,
    pub body: String,
}

impl Default for Fields {
    fn default() -> Self {
        Self {
            id: String::new(),
            title: String::new(),
            tags: String::new(),
            stage: Stage::Investigating,
            channel: Channel::Email,
            subject: String::new(),
            body: String::new(),
        }
    }
}

/// The template form: a plain form post (works without JavaScript) whose
/// preview, once hydrated, follows the subject and body as they are typed.
#[island]
pub fn NoticeForm(fields: Fields, preview: Preview) -> impl IntoView {
    let key = if fields.id.is_empty() {
        "new".to_owned()
    } else {
        fields.id.clone()
    };
    let field = move |name: &str| format!("notice-{key}-{name}");
    let subject = RwSignal::new(fields.subject.clone());
    let body = RwSignal::new(fields.body.clone());
    let shown = RwSignal::new(preview);
    // Answers can arrive out of order while someone types: only the
    // answer to the latest request is shown.
    let latest = StoredValue::new(0_u64);
    let refresh = Action::new(move |(s, b, n): &(String, String, u64)| {
        let (s, b, n) = (s.clone(), b.clone(), *n);
        async move {
            if let Ok(p) = preview_notice(s, b).await {
                if latest.get_value() == n {
                    shown.set(p);
                }
            }
        }
    });
    let on_change = move || {
        latest.update_value(|n| *n += 1);
        refresh.dispatch((
            subject.get_untracked(),
            body.get_untracked(),
            latest.get_value(),
        ));
    };
    let is_new = fields.id.is_empty();
    let hydrated = crate::ui::hydrated_marker();
    view! {
        <div class="notice-editor" data-hydrated=hydrated>
        <form method="post" action=SaveNotice::url() class="stack notice-form" id=field("form")>
            <input type="hidden" name="input[id]" value=fields.id.clone()/>
            <label for=field("title")>"Title"</label>
            <input id=field("title") name="input[title]" value=fields.title.clone() required/>
            <label for=field("tags")>"Scenario tags (comma-separated)"</label>
            <input id=field("tags") name="input[tags]" value=fields.tags.clone()/>
            <label for=field("stage")>"Stage"</label>
            <select id=field("stage") name="input[stage]">
                {Stage::ALL.map(|s| view! { <option value=s.as_str() selected=s == fields.stage>{s.as_str()}</option> }).collect_view()}
            </select>
            <label for=field("channel")>"Channel"</label>
            <select id=field("channel") name="input[channel]">
                {Channel::ALL.map(|c| view! { <option value=c.as_str() selected=c == fields.channel>{c.title()}</option> }).collect_view()}
            </select>
            <label for=field("subject")>"Subject"</label>
            <input id=field("subject") name="input[subject]" value=fields.subject.clone() required
                on:input=move |ev| { subject.set(event_target_value(&ev)); on_change(); }/>
            <label for=field("body")>"Body"</label>
            <textarea id=field("body") name="input[body]" rows="10" required
                on:input=move |ev| { body.set(event_target_value(&ev)); on_change(); }>{fields.body.clone()}</textarea>
            <p class="hint">{format!("Variables: {}", VARIABLES.iter().map(|(v, _)| format!("{{{{ {v} }}}}")).collect::<Vec<_>>().join(", "))}</p>
            <label for=field("note")>{if is_new { "Change note (optional)" } else { "Change note" }}</label>
            <input id=field("note") name="input[note]" required=!is_new placeholder="What changed and why"/>
            <div><button type="submit">{if is_new { "Create template" } else { "Save as new version" }}</button></div>
        </form>
        {move || view! { <PreviewBox preview=shown.get()/> }}
        </div>
    }
}

/// The template with sample values, and what is wrong with its variables.
#[component]
pub fn PreviewBox(preview: Preview) -> impl IntoView {
    view! {
        <section class="preview" aria-label="Preview with sample values" aria-live="polite" id="notice-preview">
            <h3>"Preview with sample values"</h3>
            {preview.error.clone().map(|e| view! { <p class="warn template-error">{format!("Error: {e}")}</p> })}
            {(!preview.unknown.is_empty()).then(|| view! {
                <p class="warn unknown-variables">{format!("Unknown variables (check the spelling): {}", preview.unknown.join(", "))}</p>
            })}
            {(!preview.unused.is_empty()).then(|| view! {
                <p class="hint unused-variables">{format!("Known variables not used: {}", preview.unused.join(", "))}</p>
            })}
            {preview.is_usable().then(|| view! {
                <p><strong>"Subject: "</strong>{preview.subject.clone()}</p>
                <pre class="notice-preview">{preview.body.clone()}</pre>
            })}
        </section>
    }
}
