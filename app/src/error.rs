//! The one error type that crosses the server-function boundary. Every
//! variant carries only text that is safe to show; internal details are
//! logged on the server with the request id and never leave it.
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input that failed validation: says which field and what was wrong.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0} was not found")]
    NotFound(String),
    #[error("Sign in to continue.")]
    SignInRequired,
    #[error("Your role does not allow this.")]
    Forbidden,
    /// Deliberately vague: it must not reveal whether the account exists.
    #[error("The email or password is not right.")]
    SignInFailed,
    /// Too many failed attempts: says when the next one may be made.
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The request conflicts with what is stored (a taken email, a second setup).
    #[error("{0}")]
    Conflict(String),
    /// Something failed on our side. The request id lets an operator find the
    /// logged details.
    #[error("Something went wrong on our side; nothing was changed. Reference: {request_id}")]
    Internal { request_id: String },
    /// The request itself was malformed (bad arguments, unknown endpoint).
    #[error("The request could not be understood: {0}")]
    BadRequest(String),
    /// The request body is over the address's limit (named, e.g. "1 MB").
    #[error("The request is larger than {limit}, the most Muster accepts here.")]
    TooLarge { limit: String },
    /// The browser could not reach Muster or read its answer.
    #[error("Muster could not be reached. Check the connection and try again.")]
    Unreachable,
}

/// One of a fixed set of values, as a form or file names it: matched on its
/// name (ignoring case and spaces around it), or an error that lists the
/// names it could have been.
pub fn choice<T: Copy>(
    field: &str,
    raw: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, AppError> {
    // The names are ASCII; comparing without Unicode case tables keeps
    // them out of the browser's code.
    let wanted = raw.trim();
    all.iter()
        .copied()
        .find(|v| name(*v).eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            AppError::invalid(field, format!("'{raw}' is not one of {}", names.join(", ")))
        })
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The HTTP status an API caller gets for this error.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Invalid { .. } | Self::SignInFailed => 422,
            Self::NotFound(_) => 404,
            Self::SignInRequired => 401,
            Self::Forbidden => 403,
            Self::Conflict(_) => 409,
            Self::TooManyAttempts { .. } => 429,
            Self::BadRequest(_) => 400,
            Self::TooLarge { .. } => 413,
            Self::Internal { .. } | Self::Unreachable => 500,
        }
    }

    /// The request id to show beside the message, if there is one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Internal { request_id } => Some(request_id),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::MissingArg(m)
            | ServerFnErrorErr::Deserialization(m)
            | ServerFnErrorErr::UnsupportedRequestMethod(m) => Self::BadRequest(m),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Unreachable,
            // Registration, middleware, serialization and server errors are
            // ours: their text may hold internals, so it is not passed on.
            _ => Self::Internal {
                request_id: current_request_id(),
            },
        }
    }

    /// The error as the caller reads it. On the server this also sets the
    /// response's status from the error (422, 404, 429 with Retry-After,
    /// ...), so API callers need not read the body to know what happened.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        server::set_status(self);
        <Self::Encoder as leptos::server_fn::Encodes<Self>>::encode(self).unwrap_or_default()
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;

    /// The header set by the request-id middleware on every request.
    pub const REQUEST_ID_HEADER: &str = "x-request-id";

    /// The id of the request being served, read from the request context.
    pub fn current_request_id() -> String {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(REQUEST_ID_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// Sets the status of the server function's response from the error,
    /// unless the request is a plain form post from a page without
    /// JavaScript: that one is sent back to its page to show the error.
    pub fn set_status(error: &AppError) {
        use leptos::prelude::use_context;
        let plain_form = use_context::<http::request::Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        });
        let Some(res) = use_context::<leptos_axum::ResponseOptions>().filter(|_| !plain_form)
        else {
            return;
        };
        if let Ok(status) = http::StatusCode::from_u16(error.http_status()) {
            res.set_status(status);
        }
        if let AppError::TooManyAttempts { retry_after_secs } = error {
            res.insert_header(http::header::RETRY_AFTER, (*retry_after_secs).into());
        }
    }

    impl AppError {
        /// Logs an internal failure with the request id and returns the
        /// opaque error that is safe to show.
        pub fn internal(err: impl std::fmt::Display) -> Self {
            let request_id = current_request_id();
            tracing::error!(request_id = %request_id, error = %err, "internal error");
            Self::Internal { request_id }
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(err: sqlx::Error) -> Self {
            Self::internal(err)
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::{current_request_id, REQUEST_ID_HEADER};

/// In the browser there is no request context: client-side failures have no id.
#[cfg(not(feature = "ssr"))]
pub fn current_request_id() -> String {
    "unknown".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_shows_only_the_reference() {
        let err = AppError::Internal {
            request_id: "abc-123".into(),
        };
        assert_eq!(
            err.to_string(),
            "Something went wrong on our side; nothing was changed. Reference: abc-123"
        );
        assert_eq!(err.request_id(), Some("abc-123"));
    }

    #[test]
    fn a_validation_error_names_the_field() {
        let err = AppError::invalid("note", "must not be empty");
        assert_eq!(err.to_string(), "note: must not be empty");
        assert_eq!(err.request_id(), None);
    }

    #[test]
    fn server_side_failures_do_not_leak_their_text() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "disk I/O error at /var/secret/path".into(),
        ));
        assert!(!err.to_string().contains("/var/secret"), "{err}");
        assert!(matches!(err, AppError::Internal { .. }));
    }

    #[test]
    fn errors_survive_the_wire_encoding() {
        let err = AppError::invalid("note", "too long");
        assert_eq!(AppError::de(err.ser()), err);
    }
}
