//! Thin server functions: guard, validate, call the domain code, record.
use super::Note;
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "notes/list")]
pub async fn list_notes() -> Result<Vec<Note>, AppError> {
    let (state, _) = crate::auth::guard::require::<ListNotes>().await?;
    Ok(super::db::recent(&state.db.read, super::PAGE_SIZE).await?)
}

#[server(prefix = "/api", endpoint = "notes/add")]
pub async fn add_team_note(body: String) -> Result<Note, AppError> {
    use crate::audit::{self, NewEntry, Outcome};
    let (state, caller) = crate::auth::guard::require::<AddTeamNote>().await?;
    let body = super::NoteBody::parse(&body)?;
    let mut tx = state.db.write.begin().await?;
    let note = super::db::insert(&mut *tx, &body, state.clock.now()).await?;
    let entry = NewEntry::new(
        caller.audit_name(),
        "note.add",
        format!("note:{}", note.id),
        Outcome::Allowed,
        state.clock.now(),
    );
    audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    tracing::info!(note_id = note.id, "note added");
    Ok(note)
}
