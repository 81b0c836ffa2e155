//! My account: where I am signed in, and signing out everywhere else.
use super::{current_caller, SessionInfo};
use crate::{
    error::AppError,
    ui::{returned_error, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[server(prefix = "/api", endpoint = "account/sessions")]
pub async fn my_sessions() -> Result<Vec<SessionInfo>, AppError> {
    let (state, caller) = super::guard::require::<MySessions>().await?;
    let super::Caller::User { user, session_id } = caller else {
        return Err(AppError::SignInRequired);
    };
    Ok(super::sessions::list_for_user(&state.db.read, user.id, session_id).await?)
}

#[server(prefix = "/api", endpoint = "account/end-other-sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::audit::{self, NewEntry, Outcome};
    let (state, caller) = super::guard::require::<EndOtherSessions>().await?;
    let super::Caller::User {
        ref user,
        session_id,
    } = caller
    else {
        return Err(AppError::SignInRequired);
    };
    let mut tx = state.db.write.begin().await?;
    let ended = super::sessions::delete_for_user(&mut *tx, user.id, Some(session_id)).await?;
    let entry = NewEntry::new(
        caller.audit_name(),
        "session.end_others",
        format!("user:{}", user.email),
        Outcome::Allowed,
        state.clock.now(),
    )
    .because(format!("{ended} other sessions ended"));
    audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(ended)
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let end_others = ServerAction::<EndOtherSessions>::new();
    let who = current_caller()
        .user()
        .map(|u| format!("{} ({}, {})", u.display_name, u.email, u.role));
    view! {
        <Title text="My account"/>
        <h1>"My account"</h1>
        <p class="lede">"Signed in as " {who}</p>
        <h2>"Where you are signed in"</h2>
        {returned_error(end_others)}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match my_sessions().await {
                    Ok(sessions) => view! { <SessionTable sessions/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
        <ActionForm action=end_others attr:id="end-others-form">
            <button type="submit">"Sign out everywhere else"</button>
        </ActionForm>
        <super::mfa::MfaSection/>
    }
}

#[component]
fn SessionTable(sessions: Vec<SessionInfo>) -> impl IntoView {
    view! {
        <DataTable id="sessions" headers=&["Browser", "Address", "Signed in (UTC)", "Last used (UTC)"]>
                    {sessions
                        .into_iter()
                        .map(|s| {
                            let agent = if s.user_agent.is_empty() { "unknown".to_owned() } else { s.user_agent };
                            view! {
                                <tr class:current=s.current>
                                    <td>
                                        {agent}
                                        {s.current.then(|| view! { " " <strong>"(this browser)"</strong> })}
                                    </td>
                                    <td>{s.client_addr}</td>
                                    <td>{s.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                    <td>{s.last_seen_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
    }
}
