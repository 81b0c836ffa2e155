//! Thin server functions for notice templates: everyone reads; editors
//! write and preview; a second person approves. Every change is audited.
use super::{NoticeTemplate, Preview};
use crate::{error::AppError, plans::VersionInfo};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeData {
    pub id: i64,
    pub latest: i64,
    /// The approved version incidents use, if any.
    pub approved: Option<i64>,
    pub info: VersionInfo,
    pub template: NoticeTemplate,
    pub preview: Preview,
    /// Whether this caller wrote the version shown (and so may not approve it).
    pub mine: bool,
}

#[server(prefix = "/api", endpoint = "notices/get")]
pub async fn get_notice(id: i64, version: Option<i64>) -> Result<NoticeData, AppError> {
    use crate::plans::{db, Kind};
    let (state, caller) = crate::auth::guard::require::<GetNotice>().await?;
    let mut conn = state.db.read.acquire().await?;
    let stored = db::get::<NoticeTemplate>(&mut conn, Kind::Template, id, version)
        .await?
        .ok_or_else(|| AppError::NotFound("That notice template".into()))?;
    let preview = super::engine::preview(&stored.content.subject, &stored.content.body);
    Ok(NoticeData {
        id,
        latest: stored.latest,
        approved: stored.approved,
        mine: stored.author_id.is_some() && stored.author_id == caller.user().map(|u| u.id),
        info: stored.info,
        template: stored.content,
        preview,
    })
}

/// The template form as posted (fields named `input[title]` and so on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeInput {
    /// Empty for a new template.
    pub id: String,
    pub title: String,
    pub tags: String,
    pub stage: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub note: String,
}

/// Creates a template (empty `id`) or saves its next version. A new
/// version is a draft: the approved one stays in use until it is approved.
#[server(prefix = "/api", endpoint = "notices/save")]
pub async fn save_notice(input: NoticeInput) -> Result<(), AppError> {
    use super::{Channel, Stage};
    use crate::plans::{change_note, db, parse_tags, Kind};
    let NoticeInput {
        id,
        title,
        tags,
        stage,
        channel,
        subject,
        body,
        note,
    } = input;
    let (state, caller) = crate::auth::guard::require::<SaveNotice>().await?;
    let template = NoticeTemplate {
        title,
        tags: parse_tags("Tags", &tags)?,
        stage: Stage::parse("Stage", &stage)?,
        channel: Channel::parse("Channel", &channel)?,
        subject,
        body,
    }
    .checked()?;
    let id = match id.trim() {
        "" => None,
        s => Some(
            s.parse::<i64>()
                .map_err(|_| AppError::invalid("Template", "is not a number"))?,
        ),
    };
    let author = db::Author::of(&caller, state.clock.now());
    let taken = || {
        AppError::Conflict(format!(
            "A notice template called {} already exists.",
            template.title
        ))
    };
    let mut tx = state.db.write.begin().await?;
    let (id, version) = match id {
        None => {
            let note = if note.trim().is_empty() {
                "Created".to_owned()
            } else {
                change_note(&note)?
            };
            let id = db::create(
                &mut tx,
                Kind::Template,
                &template.index(),
                &template,
                &author,
                &note,
            )
            .await?
            .ok_or_else(taken)?;
            (id, 1)
        }
        Some(id) => {
            let note = change_note(&note)?;
            let current = db::get::<NoticeTemplate>(&mut tx, Kind::Template, id, None)
                .await?
                .ok_or_else(|| AppError::NotFound("That notice template".into()))?;
            if current.content == template {
                return Err(AppError::Conflict(format!(
                    "Nothing changed since version {}.",
                    current.latest
                )));
            }
            let version =
                db::add_version(&mut tx, id, &template.index(), &template, &author, &note)
                    .await?
                    .ok_or_else(taken)?;
            (id, version)
        }
    };
    crate::audit::record_change(
        &mut tx,
        &caller,
        "template.save",
        format!("template:{id}"),
        format!("version {version}: {}", template.title),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/notices/{id}"));
    Ok(())
}

/// Approves a version for use in incidents: only a signed-in person who
/// did not write it, and only when its variables are all known.
#[server(prefix = "/api", endpoint = "notices/approve")]
pub async fn approve_notice(id: i64, version: i64) -> Result<(), AppError> {
    use crate::plans::{db, Kind};
    let (state, caller) = crate::auth::guard::require::<ApproveNotice>().await?;
    let mut tx = state.db.write.begin().await?;
    let stored = db::get::<NoticeTemplate>(&mut tx, Kind::Template, id, Some(version))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Version {version} of that notice template")))?;
    crate::approval::check(
        stored.author_id,
        caller.approver(),
        crate::approval::Approving::Version,
    )?;
    if version != stored.latest {
        return Err(AppError::Conflict(format!(
            "Version {} is newer; approve that one instead.",
            stored.latest
        )));
    }
    let preview = super::engine::preview(&stored.content.subject, &stored.content.body);
    if !preview.is_usable() {
        return Err(AppError::invalid(
            "Approval",
            "the template has unknown variables or errors; fix them first",
        ));
    }
    if !db::approve(
        &mut tx,
        id,
        version,
        &db::Author::of(&caller, state.clock.now()),
    )
    .await?
    {
        return Err(AppError::Conflict(format!(
            "Version {version} is already approved."
        )));
    }
    crate::audit::record_change(
        &mut tx,
        &caller,
        "template.approve",
        format!("template:{id}"),
        format!("version {version}: {}", stored.content.title),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The preview the editor shows as a person types.
#[server(prefix = "/api", endpoint = "notices/preview")]
pub async fn preview_notice(subject: String, body: String) -> Result<Preview, AppError> {
    crate::auth::guard::require::<PreviewNotice>().await?;
    if subject.len() + body.len() > 20_000 {
        return Err(AppError::invalid("Body", "is too long to preview"));
    }
    Ok(super::engine::preview(&subject, &body))
}
