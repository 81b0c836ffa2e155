//! Thin server functions for runbooks: everyone reads; editors change the
//! shared draft and save it as a new version. Every change is audited.
use super::Runbook;
use crate::{error::AppError, plans::VersionInfo};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A runbook version with the names its ids refer to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunbookData {
    pub id: i64,
    pub latest: i64,
    pub info: VersionInfo,
    pub runbook: Runbook,
    pub roles: Vec<(i64, String)>,
    /// Every notice template (id, title, approved version in use).
    pub templates: Vec<(i64, String)>,
    /// For the editor: who last changed the draft, and when.
    pub draft: Option<(i64, String, chrono::DateTime<chrono::Utc>)>,
}

impl RunbookData {
    pub fn role_name(&self, id: i64) -> String {
        self.roles
            .iter()
            .find(|(r, _)| *r == id)
            .map_or_else(|| format!("(removed role #{id})"), |(_, n)| n.clone())
    }

    pub fn template_title(&self, id: i64) -> Option<String> {
        self.templates
            .iter()
            .find(|(t, _)| *t == id)
            .map(|(_, n)| n.clone())
    }
}

#[server(prefix = "/api", endpoint = "runbooks/get")]
pub async fn get_runbook(id: i64, version: Option<i64>) -> Result<RunbookData, AppError> {
    let (state, _) = crate::auth::guard::require::<GetRunbook>().await?;
    let mut conn = state.db.read.acquire().await?;
    server::data(&mut conn, id, version, false).await
}

/// The runbook as the editor sees it: the shared draft if there is one.
#[server(prefix = "/api", endpoint = "runbooks/draft")]
pub async fn get_draft(id: i64) -> Result<RunbookData, AppError> {
    let (state, _) = crate::auth::guard::require::<GetDraft>().await?;
    let mut conn = state.db.read.acquire().await?;
    server::data(&mut conn, id, None, true).await
}

#[server(prefix = "/api", endpoint = "runbooks/create")]
pub async fn create_runbook(title: String) -> Result<(), AppError> {
    use crate::plans::{db, Kind};
    let (state, caller) = crate::auth::guard::require::<CreateRunbook>().await?;
    let runbook = Runbook::new(super::check_title(&title)?);
    let mut tx = state.db.write.begin().await?;
    let id = db::create(
        &mut tx,
        Kind::Runbook,
        &runbook.index(),
        &runbook,
        &db::Author::of(&caller, state.clock.now()),
        "Created",
    )
    .await?
    .ok_or_else(|| {
        AppError::Conflict(format!(
            "A runbook called {} already exists.",
            runbook.title
        ))
    })?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "runbook.create",
        format!("runbook:{id}"),
        runbook.title,
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/runbooks/{id}/edit"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "runbooks/draft/header")]
pub async fn save_draft_header(
    id: i64,
    title: String,
    tags: String,
    severity: String,
    summary: String,
) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<SaveDraftHeader>().await?;
    let title = super::check_title(&title)?;
    let tags = crate::plans::parse_tags("Tags", &tags)?;
    let severity = super::Severity::parse("Severity", &severity)?;
    let summary = super::check_summary(&summary)?;
    server::edit_draft(
        &state,
        &caller,
        id,
        "Title, tags, severity and summary".into(),
        |book| {
            book.title = title;
            book.tags = tags;
            book.severity = severity;
            book.summary = summary;
            Ok(())
        },
    )
    .await
}

/// Adds a step (empty `step`) or changes one.
#[server(prefix = "/api", endpoint = "runbooks/draft/step")]
pub async fn save_step(
    id: i64,
    step: String,
    phase: String,
    role_id: i64,
    target: String,
    text: String,
) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<SaveStep>().await?;
    let step_id = match step.trim() {
        "" => 0,
        s => s
            .parse()
            .map_err(|_| AppError::invalid("Step", "is not a step number"))?,
    };
    let step = super::parse_step(step_id, &phase, role_id, &target, &text)?;
    let what = if step_id == 0 {
        "Step added".to_owned()
    } else {
        format!("Step {step_id} changed")
    };
    server::check_role(&state, role_id).await?;
    server::edit_draft(&state, &caller, id, what, |book| {
        book.put_step(step).map(|_| ())
    })
    .await
}

/// Moves a step up or down within its phase, or removes it.
#[server(prefix = "/api", endpoint = "runbooks/draft/move")]
pub async fn change_step(id: i64, step: u32, change: String) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<ChangeStep>().await?;
    let change = super::StepChange::parse(&change)?;
    server::edit_draft(
        &state,
        &caller,
        id,
        format!("Step {step}: {change:?}"),
        |book| book.change_step(step, change),
    )
    .await
}

#[server(prefix = "/api", endpoint = "runbooks/draft/template")]
pub async fn link_template(id: i64, template: i64, change: String) -> Result<(), AppError> {
    use crate::plans::{db, Kind};
    let (state, caller) = crate::auth::guard::require::<LinkTemplate>().await?;
    let link = match change.as_str() {
        "link" => true,
        "unlink" => false,
        other => {
            return Err(AppError::invalid(
                "Change",
                format!("'{other}' is not one of link, unlink"),
            ))
        }
    };
    let mut conn = state.db.read.acquire().await?;
    let title = db::title(&mut conn, Kind::Template, template)
        .await?
        .ok_or_else(|| AppError::NotFound("That notice template".into()))?;
    drop(conn);
    let what = format!(
        "{} template {title}",
        if link { "Linked" } else { "Unlinked" }
    );
    server::edit_draft(&state, &caller, id, what, |book| {
        book.templates.retain(|t| *t != template);
        if link {
            book.templates.push(template);
        }
        Ok(())
    })
    .await
}

/// Saves the draft as the next version, with a change note.
#[server(prefix = "/api", endpoint = "runbooks/save")]
pub async fn save_runbook(id: i64, note: String) -> Result<(), AppError> {
    use crate::plans::{change_note, db, Kind};
    let (state, caller) = crate::auth::guard::require::<SaveRunbook>().await?;
    let note = change_note(&note)?;
    let mut tx = state.db.write.begin().await?;
    let current = db::get::<Runbook>(&mut tx, Kind::Runbook, id, None)
        .await?
        .ok_or_else(|| AppError::NotFound("That runbook".into()))?;
    let Some(db::Draft {
        base,
        content: draft,
        ..
    }) = db::draft::<Runbook>(&mut tx, id).await?
    else {
        return Err(AppError::Conflict(
            "There are no unsaved changes to save.".into(),
        ));
    };
    if base != current.latest {
        return Err(AppError::Conflict(format!(
            "Version {} was saved after these changes were started from version {base}; saving them would undo it. Discard the changes and edit version {} instead.",
            current.latest, current.latest
        )));
    }
    if draft == current.content {
        return Err(AppError::Conflict(format!(
            "Nothing changed since version {}.",
            current.latest
        )));
    }
    let version = db::add_version(
        &mut tx,
        id,
        &draft.index(),
        &draft,
        &db::Author::of(&caller, state.clock.now()),
        &note,
    )
    .await?
    .ok_or_else(|| {
        AppError::Conflict(format!(
            "Another runbook is already called {}.",
            draft.title
        ))
    })?;
    db::drop_draft(&mut tx, id).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "runbook.save",
        format!("runbook:{id}"),
        format!("version {version}: {note}"),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/runbooks/{id}"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "runbooks/discard")]
pub async fn discard_draft(id: i64) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<DiscardDraft>().await?;
    let mut tx = state.db.write.begin().await?;
    if crate::plans::db::drop_draft(&mut tx, id).await? {
        crate::audit::record_change(
            &mut tx,
            &caller,
            "runbook.discard",
            format!("runbook:{id}"),
            "draft discarded",
            state.clock.now(),
        )
        .await?;
    }
    tx.commit().await?;
    leptos_axum::redirect(&format!("/runbooks/{id}"));
    Ok(())
}

#[cfg(feature = "ssr")]
mod server {
    use super::{Runbook, RunbookData};
    use crate::{
        auth::Caller,
        error::AppError,
        plans::{db, Kind},
        state::AppState,
    };

    pub async fn data(
        conn: &mut sqlx::SqliteConnection,
        id: i64,
        version: Option<i64>,
        with_draft: bool,
    ) -> Result<RunbookData, AppError> {
        let stored = db::get::<Runbook>(conn, Kind::Runbook, id, version)
            .await?
            .ok_or_else(|| {
                AppError::NotFound(version.map_or("That runbook".into(), |v| {
                    format!("Version {v} of that runbook")
                }))
            })?;
        let draft = if with_draft {
            db::draft::<Runbook>(conn, id).await?
        } else {
            None
        };
        let (runbook, draft) = match draft {
            Some(db::Draft {
                base,
                content,
                by,
                at,
            }) => (content, Some((base, by, at))),
            None => (stored.content, None),
        };
        Ok(RunbookData {
            id,
            latest: stored.latest,
            info: stored.info,
            runbook,
            roles: crate::roster::db::role_names(conn)
                .await?
                .into_iter()
                .collect(),
            templates: db::titles(conn, Kind::Template)
                .await?
                .into_iter()
                .collect(),
            draft,
        })
    }

    pub async fn check_role(state: &AppState, role_id: i64) -> Result<(), AppError> {
        let mut conn = state.db.read.acquire().await?;
        match crate::roster::db::role_name(&mut *conn, role_id).await? {
            Some(_) => Ok(()),
            None => Err(AppError::invalid("Owning role", "is not an incident role")),
        }
    }

    /// Applies one change to the shared draft (started from the latest
    /// version if there is none) and records it, in one transaction.
    pub async fn edit_draft(
        state: &AppState,
        caller: &Caller,
        id: i64,
        what: String,
        change: impl FnOnce(&mut Runbook) -> Result<(), AppError>,
    ) -> Result<(), AppError> {
        let mut tx = state.db.write.begin().await?;
        let current = db::get::<Runbook>(&mut tx, Kind::Runbook, id, None)
            .await?
            .ok_or_else(|| AppError::NotFound("That runbook".into()))?;
        let (base, mut book) = match db::draft::<Runbook>(&mut tx, id).await? {
            Some(db::Draft {
                base,
                content: book,
                ..
            }) => (base, book),
            None => (current.latest, current.content),
        };
        change(&mut book)?;
        db::put_draft(
            &mut tx,
            id,
            base,
            &book,
            &db::Author::of(caller, state.clock.now()),
        )
        .await?;
        crate::audit::record_change(
            &mut tx,
            caller,
            "runbook.draft",
            format!("runbook:{id}"),
            what,
            state.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
