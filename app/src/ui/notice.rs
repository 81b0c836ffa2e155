use crate::error::AppError;
use leptos::prelude::*;

/// An error as a person sees it: the safe message and, for failures on our
/// side, the reference an operator can find in the logs.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let reference = error.request_id().map(str::to_owned);
    let message = match &error {
        AppError::Internal { .. } => {
            "Something went wrong on our side; nothing was changed.".to_owned()
        }
        other => other.to_string(),
    };
    view! {
        <div class="error-notice" role="alert">
            <p>{message}</p>
            {reference.map(|id| view! { <p class="reference">"Reference: " <code>{id}</code></p> })}
        </div>
    }
}

/// The error a plain form post of this action came back with (Leptos puts
/// it in the address it redirects to), ready to show above the form.
pub fn returned_error<S>(action: ServerAction<S>) -> Option<AnyView>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    action
        .value()
        .get_untracked()
        .and_then(Result::err)
        .map(|error| view! { <ErrorNotice error/> }.into_any())
}
