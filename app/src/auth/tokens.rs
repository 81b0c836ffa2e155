//! API tokens for automation: admins create them scoped to a role, see each
//! one once, and revoke them. Tokens pass through the same guard as people.
use super::{Role, TokenInfo};
use crate::{
    error::AppError,
    ui::{returned_error, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[server(prefix = "/api", endpoint = "admin/tokens")]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, AppError> {
    let (state, _) = super::guard::require::<ListTokens>().await?;
    Ok(super::tokens_db::list(&state.db.read).await?)
}

/// Returns the new token (for API callers); a page shows it once.
#[server(prefix = "/api", endpoint = "admin/tokens/create")]
pub async fn create_token(name: String, role: String) -> Result<String, AppError> {
    use crate::audit::{self, NewEntry, Outcome};
    let (state, caller) = super::guard::require::<CreateToken>().await?;
    let auth = crate::auth::AuthState::current()?;
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid(
            "Name",
            "give the token a name of 1 to 60 characters, e.g. zapier-import",
        ));
    }
    let role: Role = role
        .parse()
        .map_err(|e: String| AppError::invalid("Role", e))?;
    let mut tx = state.db.write.begin().await?;
    let (id, token) = super::tokens_db::create(
        &mut *tx,
        &name,
        role,
        &caller.audit_name(),
        caller.person_id(),
        state.clock.now(),
    )
    .await?
    .ok_or_else(|| AppError::Conflict(format!("A token named {name} already exists.")))?;
    let entry = NewEntry::new(
        caller.audit_name(),
        "token.create",
        format!("token:{name}"),
        Outcome::Allowed,
        state.clock.now(),
    )
    .because(format!("role {role}, id {id}"));
    audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    if let super::Caller::User { session_id, .. } = caller {
        auth.reveals.put(session_id, "token", token.clone());
    }
    Ok(token)
}

#[server(prefix = "/api", endpoint = "admin/tokens/revoke")]
pub async fn revoke_token(token_id: i64) -> Result<(), AppError> {
    use crate::audit::{self, NewEntry, Outcome};
    let (state, caller) = super::guard::require::<RevokeToken>().await?;
    let mut tx = state.db.write.begin().await?;
    let name = super::tokens_db::revoke(&mut *tx, token_id, state.clock.now())
        .await?
        .ok_or_else(|| AppError::NotFound("That live token".into()))?;
    audit::record_in(
        &mut tx,
        NewEntry::new(
            caller.audit_name(),
            "token.revoke",
            format!("token:{name}"),
            Outcome::Allowed,
            state.clock.now(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The token just created in this session, taken so it is shown only once.
fn take_revealed() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        super::reveal::take_for_page("token")
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let errors = (returned_error(create), returned_error(revoke));
    let revealed = take_revealed().map(|token| {
        view! {
            <div class="reveal" role="status">
                <p><strong>"Copy this token now: it will not be shown again."</strong></p>
                <code id="new-token">{token}</code>
                <p class="help">"Send it as " <code>"Authorization: Bearer <token>"</code> "."</p>
            </div>
        }
    });
    view! {
        <Title text="API tokens"/>
        <h1>"API tokens"</h1>
        <p class="lede">"Tokens let automations call Muster with a role of their own. Only a hash is stored."</p>
        {errors}
        {revealed}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list_tokens().await {
                    Ok(tokens) => view! { <TokenTable tokens revoke/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
        <h2>"Create a token"</h2>
        <ActionForm action=create attr:class="stack narrow" attr:id="create-token-form">
            <label for="token-name">"Name"</label>
            <input id="token-name" name="name" required maxlength="60" placeholder="zapier-import"/>
            <label for="token-role">"Role"</label>
            <select id="token-role" name="role">
                {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
            </select>
            <div><button type="submit">"Create token"</button></div>
        </ActionForm>
    }
}

#[component]
fn TokenTable(tokens: Vec<TokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="empty">"No tokens yet."</p> }.into_any();
    }
    view! {
        <DataTable id="tokens" headers=&["Name", "Role", "Created", "Last used (UTC)", "Status"]>
                    {tokens
                        .into_iter()
                        .map(|t| {
                            let last = t.last_used_at.map_or("never".to_owned(), |d| d.format("%Y-%m-%d %H:%M").to_string());
                            let created = format!("{} by {}", t.created_at.format("%Y-%m-%d"), t.created_by);
                            let key = t.name.clone();
                            view! {
                                <tr data-token=key class:disabled=t.revoked>
                                    <td>{t.name}</td>
                                    <td>{t.role.as_str()}</td>
                                    <td>{created}</td>
                                    <td>{last}</td>
                                    <td>
                                        {if t.revoked {
                                            view! { "revoked" }.into_any()
                                        } else {
                                            view! {
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="token_id" value=t.id/>
                                                    "active "
                                                    <button type="submit">"Revoke"</button>
                                                </ActionForm>
                                            }
                                                .into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
    }
    .into_any()
}
