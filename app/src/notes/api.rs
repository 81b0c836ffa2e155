//! Thin server functions: validate, call the domain code, answer.
use super::Note;
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "notes/list")]
pub async fn list_notes() -> Result<Vec<Note>, AppError> {
    let state = crate::state::app_state()?;
    Ok(super::db::recent(&state.db.read, super::PAGE_SIZE).await?)
}

#[server(prefix = "/api", endpoint = "notes/add")]
pub async fn add_note(body: String) -> Result<Note, AppError> {
    let body = super::NoteBody::parse(&body)?;
    let state = crate::state::app_state()?;
    let note = super::db::insert(&state.db.write, &body, chrono::Utc::now()).await?;
    tracing::info!(note_id = note.id, "note added");
    Ok(note)
}
