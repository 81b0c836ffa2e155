//! The import page's upload: the file is streamed to disk beside the
//! database (never held in memory), the import starts, and the person is
//! sent to its report, which shows its progress while it runs in the
//! background. Refusals before it starts go back to the import page.
use crate::state::ServerState;
use app::events::{
    generic::Mapping,
    import::{self, Format, ImportError, Options},
};
use axum::{
    extract::{Multipart, Request, State},
    response::{IntoResponse, Redirect, Response},
};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

pub use super::limits::MAX_UPLOAD;

pub fn routes() -> Vec<crate::state::Route> {
    vec![("/event-files", axum::routing::post(upload))]
}

/// Back to the import page, saying what was wrong.
fn refused(why: &str) -> Response {
    Redirect::to(&format!("/imports?error={}", app::fields::query_value(why))).into_response()
}

/// What the form sent besides the file.
#[derive(Default)]
struct Form {
    format: Option<Format>,
    mapping: Mapping,
    file_name: String,
    saved: Option<(Saved, u64)>,
}

/// Removes the saved upload when dropped, whatever happens.
struct Saved(PathBuf);

impl Drop for Saved {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The message for a file past the page's limit.
const TOO_LARGE: &str = "larger than the upload limit";

fn too_large() -> String {
    format!(
        "The file is {TOO_LARGE} of {} MB; import it with 'muster import FILE' instead.",
        MAX_UPLOAD >> 20
    )
}

/// A body that stopped: past the request's limit (the counting limit in
/// `limits` ends the stream there), or broken off.
fn unreadable(e: axum::extract::multipart::MultipartError) -> String {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        format!("The upload could not be read: {e}")
    }
}

async fn read_form(mut multipart: Multipart, dir: &Path) -> Result<Form, String> {
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            form.file_name = field
                .file_name()
                .map(app::fields::shown)
                .unwrap_or_else(|| "upload".into());
            let path = dir.join(format!(
                "{}{}",
                crate::files::UPLOAD_PREFIX,
                uuid::Uuid::new_v4()
            ));
            let mut out = tokio::fs::File::create(&path)
                .await
                .map_err(|e| format!("The upload could not be saved: {e}"))?;
            let guard = Saved(path.clone());
            let mut size = 0_u64;
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                size += chunk.len() as u64;
                if size > MAX_UPLOAD {
                    return Err(too_large());
                }
                out.write_all(&chunk)
                    .await
                    .map_err(|e| format!("The upload could not be saved: {e}"))?;
            }
            out.flush()
                .await
                .map_err(|e| format!("The upload could not be saved: {e}"))?;
            form.saved = Some((guard, size));
            continue;
        }
        let value = field
            .text()
            .await
            .map_err(|e| format!("The form could not be read: {e}"))?;
        if value.len() > 1000 {
            return Err(format!(
                "{}: at most 1000 characters",
                app::fields::shown(&name)
            ));
        }
        if name == "format" && !value.trim().is_empty() {
            form.format = Some(Format::parse(&value).map_err(|e| format!("Format: {e}"))?);
        } else if let Some(part) = name.strip_prefix("map_") {
            if !value.trim().is_empty() {
                form.mapping
                    .set(part, &value)
                    .map_err(|e| format!("Columns: {e}"))?;
            }
        }
    }
    Ok(form)
}

pub async fn upload(State(state): State<ServerState>, req: Request) -> Response {
    let Some(caller) = crate::http::access::recheck(&req, "/event-files") else {
        return crate::http::access::forbidden();
    };
    let multipart =
        match <Multipart as axum::extract::FromRequest<_>>::from_request(req, &state).await {
            Ok(m) => m,
            Err(e) => return refused(&format!("The upload could not be read: {}", e.body_text())),
        };
    let write = state.app.db.write.clone();
    let dir = write
        .connect_options()
        .get_filename()
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default();
    let form = match read_form(multipart, &dir).await {
        Ok(form) => form,
        // Past the limit the sender is told so at once (it may still be
        // sending); the rest of the body is never read.
        Err(why) if why.contains(TOO_LARGE) => {
            return (axum::http::StatusCode::PAYLOAD_TOO_LARGE, why).into_response()
        }
        Err(why) => return refused(&why),
    };
    let Some((saved, size)) = form.saved else {
        return refused("Choose a file to import.");
    };
    let now = state.app.clock.now();
    let started = match import::start(
        &write,
        &form.file_name,
        &caller.audit_name(),
        now,
        Some(size),
    )
    .await
    {
        Ok(started) => started,
        Err(ImportError::Database(e)) => {
            tracing::error!(error = %e, "an import could not start");
            return refused("The import could not start; nothing was changed.");
        }
        Err(e) => return refused(&e.to_string()),
    };
    let id = started.id;
    let file = match std::fs::File::open(&saved.0) {
        Ok(file) => file,
        Err(e) => return refused(&format!("The upload could not be read back: {e}")),
    };
    let key = match app::events::record::fingerprint_key(&write, &state.auth.secret_key).await {
        Ok(key) => key,
        Err(why) => {
            tracing::error!(error = %why, "the fingerprint key");
            return refused("The import could not start: the fingerprint key cannot be opened.");
        }
    };
    let options = Options {
        format: form.format,
        mapping: form.mapping,
        key,
        now,
        max_records: import::DEFAULT_MAX_RECORDS,
    };
    tokio::spawn(async move {
        let _saved = saved;
        match started.run(&write, file, options, |_| {}).await {
            Ok(report) => tracing::info!(
                import = id,
                accepted = report.accepted,
                duplicates = report.duplicates,
                rejected = report.rejected,
                "import done"
            ),
            Err(e) => tracing::warn!(import = id, error = %e, "import refused"),
        }
    });
    Redirect::to(&format!("/imports/{id}")).into_response()
}
