//! First-run setup, sign-in, and the signed-in person's menu. Plain forms:
//! they work with or without JavaScript.
use super::{Caller, SetupFirstAdmin, SignIn, SignOut};
use crate::ui::returned_error;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = ServerAction::<SetupFirstAdmin>::new();
    view! {
        <Title text="Set up Muster"/>
        <h1>"Set up Muster"</h1>
        <p class="lede">"No one has an account yet. Create the first administrator: you can add everyone else afterwards."</p>
        {returned_error(setup)}
        <ActionForm action=setup attr:class="stack narrow" attr:id="setup-form">
            <label for="setup-email">"Email"</label>
            <input id="setup-email" name="email" type="email" autocomplete="username" required/>
            <label for="setup-name">"Display name"</label>
            <input id="setup-name" name="display_name" autocomplete="name" required/>
            <label for="setup-password">"Password"</label>
            <input id="setup-password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="setup-password-help"/>
            <p id="setup-password-help" class="help">"At least 12 characters. A few unrelated words work well."</p>
            <label for="setup-repeat">"Repeat password"</label>
            <input id="setup-repeat" name="password_repeat" type="password" autocomplete="new-password" minlength="12" required/>
            <div><button type="submit">"Create administrator"</button></div>
        </ActionForm>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let next = use_query_map()
        .with_untracked(|q| q.get("next"))
        .unwrap_or_else(|| "/".into());
    view! {
        <Title text="Sign in"/>
        <h1>"Sign in"</h1>
        {returned_error(sign_in)}
        <ActionForm action=sign_in attr:class="stack narrow" attr:id="sign-in-form">
            <input type="hidden" name="next" value=next/>
            <label for="sign-in-email">"Email"</label>
            <input id="sign-in-email" name="email" type="email" autocomplete="username" required/>
            <label for="sign-in-password">"Password"</label>
            <input id="sign-in-password" name="password" type="password" autocomplete="current-password" required/>
            <div><button type="submit">"Sign in"</button></div>
        </ActionForm>
    }
}

/// Who is signed in, and the way out.
#[component]
pub fn UserMenu(caller: Caller) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    caller.user().cloned().map(|user| {
        view! {
            <div class="user-menu">
                <a class="who" href="/account">{user.display_name}" "<span class="role">{user.role.as_str()}</span></a>
                <ActionForm action=sign_out attr:class="inline">
                    <button type="submit" class="link-button">"Sign out"</button>
                </ActionForm>
            </div>
        }
    })
}

/// Shown instead of a page the caller's role does not allow.
#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <Title text="Not allowed"/>
        <h1>"Not allowed"</h1>
        <p>"Your role does not allow this page. An administrator can change your role."</p>
        <p><a href="/">"Go to the overview"</a></p>
    }
}

/// Whether this request's caller has this role or a higher one: what a page
/// uses to decide which controls to show (the server decides again on use).
pub fn caller_may(min: super::Role) -> bool {
    current_caller().role().is_some_and(|r| r >= min)
}

/// The caller the server resolved for this request (always anonymous in
/// the browser, where nothing is decided).
pub fn current_caller() -> Caller {
    #[cfg(feature = "ssr")]
    {
        super::guard::current_caller()
    }
    #[cfg(not(feature = "ssr"))]
    {
        Caller::Anonymous
    }
}
