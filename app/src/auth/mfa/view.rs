//! Two-step sign-in on the account page, at sign-in, and the admin switch.
use super::{
    api::{my_mfa, take_revealed},
    ConfirmMfa, DisableMfa, MfaSetup, MfaStatus, SetRequireMfa, StartMfa, VerifyMfa,
};
use crate::ui::{returned_error, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn MfaSection() -> impl IntoView {
    let start = ServerAction::<StartMfa>::new();
    let confirm = ServerAction::<ConfirmMfa>::new();
    let disable = ServerAction::<DisableMfa>::new();
    let (setup, codes) = take_revealed();
    view! {
        <section id="mfa" aria-labelledby="mfa-title">
            <h2 id="mfa-title">"Two-step sign-in"</h2>
            {returned_error(start)}
            {returned_error(confirm)}
            {returned_error(disable)}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let (setup, codes) = (setup.clone(), codes.clone());
                    Suspend::new(async move {
                        match my_mfa().await {
                            Ok(status) => view! { <MfaState status setup codes start confirm disable/> }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn MfaState(
    status: MfaStatus,
    setup: Option<MfaSetup>,
    codes: Option<Vec<String>>,
    start: ServerAction<StartMfa>,
    confirm: ServerAction<ConfirmMfa>,
    disable: ServerAction<DisableMfa>,
) -> impl IntoView {
    let codes = codes.map(|codes| {
        view! {
            <div class="reveal" role="status" id="recovery-codes">
                <p><strong>"Save these recovery codes now: they will not be shown again."</strong></p>
                <p class="help">"Each works once, in place of a code from your app, if you lose your phone."</p>
                <ol>{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ol>
            </div>
        }
    });
    let body = if status.enabled {
        view! {
            <p class="status-on">"Two-step sign-in is on."</p>
            <ActionForm action=disable attr:class="stack narrow" attr:id="mfa-disable-form">
                <label for="mfa-disable-password">"Your password, to turn it off"</label>
                <input id="mfa-disable-password" name="password" type="password" autocomplete="current-password" required/>
                <div><button type="submit">"Turn off two-step sign-in"</button></div>
            </ActionForm>
        }
        .into_any()
    } else if let Some(setup) = setup {
        view! {
            <p>"Scan this code with an authenticator app, or type the key by hand. Then enter the six-digit code it shows."</p>
            <div class="qr" inner_html=setup.qr_svg></div>
            <p>"Key: " <code id="totp-secret">{setup.secret_base32}</code></p>
            <ActionForm action=confirm attr:class="stack narrow" attr:id="mfa-confirm-form">
                <label for="mfa-code">"Code from your app"</label>
                <input id="mfa-code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required/>
                <div><button type="submit">"Turn on two-step sign-in"</button></div>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <p>
                "Two-step sign-in is off. "
                {status.required.then_some("Your role may be required to use it. ")}
                "With it on, signing in also asks for a code from an app on your phone."
            </p>
            <ActionForm action=start attr:id="mfa-start-form">
                <button type="submit">"Set up two-step sign-in"</button>
            </ActionForm>
        }
        .into_any()
    };
    view! { {codes} {body} }
}

#[component]
pub fn MfaSignInPage() -> impl IntoView {
    let verify = ServerAction::<VerifyMfa>::new();
    let next = use_query_map()
        .with_untracked(|q| q.get("next"))
        .unwrap_or_else(|| "/".into());
    view! {
        <Title text="Two-step sign-in"/>
        <h1>"Two-step sign-in"</h1>
        <p class="lede">"Enter the six-digit code from your authenticator app, or one of your recovery codes."</p>
        {returned_error(verify)}
        <ActionForm action=verify attr:class="stack narrow" attr:id="mfa-form">
            <input type="hidden" name="next" value=next/>
            <label for="mfa-sign-in-code">"Code"</label>
            <input id="mfa-sign-in-code" name="code" autocomplete="one-time-code" required autofocus/>
            <div><button type="submit">"Continue"</button></div>
        </ActionForm>
    }
}

/// The admin switch that makes two-step sign-in mandatory for editors and admins.
#[component]
pub fn RequireMfaForm() -> impl IntoView {
    let set = ServerAction::<SetRequireMfa>::new();
    let required = required_now();
    view! {
        <h2>"Two-step sign-in for editors and admins"</h2>
        {returned_error(set)}
        <p id="require-mfa-state">
            {if required { "Required: editors and admins must set it up before doing anything else." } else { "Optional." }}
        </p>
        <ActionForm action=set attr:id="require-mfa-form">
            <input type="hidden" name="required" value=(!required).to_string()/>
            <button type="submit">{if required { "Make it optional" } else { "Require it" }}</button>
        </ActionForm>
    }
}

fn required_now() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::auth::AuthState>()
            .is_some_and(|s| s.require_mfa.load(std::sync::atomic::Ordering::Relaxed))
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}
