//! Thin server functions for the roster: everyone reads, editors write,
//! every change is audited.
use super::Roster;
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "roster")]
pub async fn list_roster() -> Result<Roster, AppError> {
    let (state, _) = crate::auth::guard::require::<ListRoster>().await?;
    let mut conn = state.db.read.acquire().await?;
    Ok(super::db::load(&mut conn).await?)
}

#[server(prefix = "/api", endpoint = "roster/role")]
pub async fn save_role(
    role_id: String,
    name: String,
    description: String,
    duties: String,
) -> Result<(), AppError> {
    use super::IncidentRole;
    use crate::fields::text_field;
    let (state, caller) = crate::auth::guard::require::<SaveRole>().await?;
    let id = crate::fields::optional_id("Role", &role_id)?;
    let role = IncidentRole {
        id: id.unwrap_or_default(),
        name: text_field("Name", &name, true, 60)?,
        description: text_field("Description", &description, false, 200)?,
        duties: text_field("Duties", &duties, false, 4000)?,
    };
    let mut tx = state.db.write.begin().await?;
    let saved = super::db::save_role(&mut *tx, id, &role, state.clock.now())
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "A role named {} already exists (or the role was removed).",
                role.name
            ))
        })?;
    let action = if id.is_some() {
        "role.update"
    } else {
        "role.create"
    };
    crate::audit::record_change(
        &mut tx,
        &caller,
        action,
        format!("role:{saved}"),
        role.name.clone(),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "roster/person")]
pub async fn save_person(
    person_id: String,
    name: String,
    team: String,
    email: String,
    phone: String,
    chat: String,
    account: String,
) -> Result<(), AppError> {
    use super::Person;
    use crate::auth::{users, Email};
    use crate::fields::text_field;
    let (state, caller) = crate::auth::guard::require::<SavePerson>().await?;
    let id = crate::fields::optional_id("Person", &person_id)?;
    let email = match email.trim() {
        "" => String::new(),
        e => Email::parse(e)?.as_str().to_owned(),
    };
    let person = Person {
        id: id.unwrap_or_default(),
        name: text_field("Name", &name, true, 100)?,
        team: text_field("Team", &team, false, 60)?,
        email,
        phone: text_field("Phone", &phone, false, 40)?,
        chat: text_field("Chat handle", &chat, false, 60)?,
        account: None,
    };
    let user_id = match account.trim() {
        "" => None,
        a => {
            let email = Email::parse(a)
                .map_err(|_| AppError::invalid("Account", "is not an email address"))?;
            let found = users::credentials(&state.db.read, &email).await?;
            Some(
                found
                    .ok_or_else(|| {
                        AppError::invalid("Account", format!("no account has the email {a}"))
                    })?
                    .user
                    .id,
            )
        }
    };
    let mut tx = state.db.write.begin().await?;
    let saved = super::db::save_person(&mut *tx, id, &person, user_id, state.clock.now())
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let action = if id.is_some() {
        "person.update"
    } else {
        "person.create"
    };
    crate::audit::record_change(
        &mut tx,
        &caller,
        action,
        format!("person:{saved}"),
        person.name.clone(),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes someone primary, adds them as a backup, moves them up or down, or
/// removes them from a role.
#[server(prefix = "/api", endpoint = "roster/holders")]
pub async fn change_holders(role_id: i64, person_id: i64, change: String) -> Result<(), AppError> {
    use super::{db, reorder, Change};
    let (state, caller) = crate::auth::guard::require::<ChangeHolders>().await?;
    let change = Change::parse(&change)?;
    let mut tx = state.db.write.begin().await?;
    let role = db::role_name(&mut *tx, role_id)
        .await?
        .ok_or_else(|| AppError::NotFound("That role".into()))?;
    let person = db::person_name(&mut *tx, person_id)
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let before = db::holders(&mut *tx, role_id).await?;
    let after = reorder(&before, person_id, change);
    db::set_holders(&mut tx, role_id, &after).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "roster.change",
        format!("role:{role_id}"),
        format!("{change:?}: {person} in {role}"),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
