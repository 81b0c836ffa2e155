//! The accounts page. Plain forms, one per change, so every action works
//! without JavaScript.
use super::{list_accounts, CreateAccount, ResetPassword, SetDisabled, SetRole};
use crate::{
    auth::{Account, Role},
    ui::{returned_error, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn UsersPage() -> impl IntoView {
    let create = ServerAction::<CreateAccount>::new();
    let set_role = ServerAction::<SetRole>::new();
    let set_disabled = ServerAction::<SetDisabled>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let errors = (
        returned_error(create),
        returned_error(set_role),
        returned_error(set_disabled),
        returned_error(reset),
    );
    view! {
        <Title text="Accounts"/>
        <h1>"Accounts"</h1>
        {errors}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list_accounts().await {
                    Ok(accounts) => view! { <AccountTable accounts set_role set_disabled reset/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
        <crate::auth::mfa::RequireMfaForm/>
        <h2>"Add an account"</h2>
        <ActionForm action=create attr:class="stack narrow" attr:id="create-account-form">
            <label for="new-email">"Email"</label>
            <input id="new-email" name="email" type="email" autocomplete="off" required/>
            <label for="new-name">"Display name"</label>
            <input id="new-name" name="display_name" required/>
            <label for="new-role">"Role"</label>
            <RoleSelect id="new-role" selected=Role::Viewer/>
            <label for="new-password">"First password"</label>
            <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="12" required/>
            <label for="new-repeat">"Repeat password"</label>
            <input id="new-repeat" name="password_repeat" type="password" autocomplete="new-password" minlength="12" required/>
            <div><button type="submit">"Add account"</button></div>
        </ActionForm>
    }
}

#[component]
fn RoleSelect(#[prop(into)] id: String, selected: Role) -> impl IntoView {
    view! {
        <select id=id name="role">
            {Role::ALL
                .into_iter()
                .map(|r| view! { <option value=r.as_str() selected=r == selected>{r.as_str()}</option> })
                .collect_view()}
        </select>
    }
}

#[component]
fn AccountTable(
    accounts: Vec<Account>,
    set_role: ServerAction<SetRole>,
    set_disabled: ServerAction<SetDisabled>,
    reset: ServerAction<ResetPassword>,
) -> impl IntoView {
    view! {
        <DataTable id="accounts" headers=&["Account", "Role", "Status", "Last used (UTC)", "Password"]>
                    {accounts
                        .into_iter()
                        .map(|a| {
                            let id = a.user.id;
                            let role_id = format!("role-{id}");
                            let email = a.user.email.clone();
                            let last = a.last_seen.map_or("never".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string());
                            view! {
                                <tr data-email=email class:disabled=a.disabled>
                                    <td>{a.user.display_name}<br/><small>{a.user.email}</small></td>
                                    <td>
                                        <ActionForm action=set_role attr:class="inline-form">
                                            <input type="hidden" name="user_id" value=id/>
                                            <label for=role_id.clone() class="visually-hidden">"Role"</label>
                                            <RoleSelect id=role_id selected=a.user.role/>
                                            <button type="submit">"Change role"</button>
                                        </ActionForm>
                                    </td>
                                    <td>
                                        {if a.disabled { "disabled" } else { "active" }}
                                        <ActionForm action=set_disabled attr:class="inline-form toggle-disabled">
                                            <input type="hidden" name="user_id" value=id/>
                                            <input type="hidden" name="disabled" value=(!a.disabled).to_string()/>
                                            <button type="submit">{if a.disabled { "Enable" } else { "Disable" }}</button>
                                        </ActionForm>
                                    </td>
                                    <td>{last}</td>
                                    <td>
                                        <details>
                                            <summary>"Reset password"</summary>
                                            <ActionForm action=reset attr:class="stack">
                                                <input type="hidden" name="user_id" value=id/>
                                                <label for=format!("pw-{id}")>"New password"</label>
                                                <input id=format!("pw-{id}") name="password" type="password" autocomplete="new-password" minlength="12" required/>
                                                <label for=format!("pw2-{id}")>"Repeat"</label>
                                                <input id=format!("pw2-{id}") name="password_repeat" type="password" autocomplete="new-password" minlength="12" required/>
                                                <button type="submit">"Set password"</button>
                                            </ActionForm>
                                        </details>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
    }
}
