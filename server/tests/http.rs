//! The HTTP surface, driven in-process against a real SQLite file.
mod support;

use app::{auth::Role, environment::Environment};
use axum::http::StatusCode;
use support::spawn_app;

#[tokio::test]
async fn health_is_ok_on_a_fresh_database() {
    let app = spawn_app(Environment::Production).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&res.body).expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["version"], app::VERSION);
}

#[tokio::test]
async fn health_is_unavailable_when_a_migration_is_missing() {
    let app = spawn_app(Environment::Production).await;
    app.behind_the_back("DELETE FROM _sqlx_migrations").await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.body.contains("schema not current"), "{}", res.body);
}

#[tokio::test]
async fn health_is_unavailable_when_the_database_is_closed() {
    let app = spawn_app(Environment::Production).await;
    app.state.db.close().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.body.contains("unreachable"), "{}", res.body);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_a_plain_one_from_the_caller() {
    let app = spawn_app(Environment::Production).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.request_id().len(), 36, "a UUID: {}", res.request_id());
    let with_id = |id: String| {
        axum::http::Request::get("/healthz")
            .header("x-request-id", id)
            .body(axum::body::Body::empty())
            .expect("request")
    };
    let res = app.send(with_id("from-the-proxy-42".into())).await;
    assert_eq!(res.request_id(), "from-the-proxy-42");
    let res = app.send(with_id("x".repeat(65))).await;
    assert_eq!(
        res.request_id().len(),
        36,
        "an odd id is replaced by a UUID"
    );
}

#[tokio::test]
async fn the_notes_page_shows_the_shell_and_stored_notes() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    let res = app
        .post_form("/api/notes/add", "body=Rotate+the+Zapier+key")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let note: serde_json::Value = serde_json::from_str(&res.body).expect("json");
    assert_eq!(note["body"], "Rotate the Zapier key");

    let page = app.get("/notes").await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "<header",
        "<main id=\"main\"",
        "<footer",
        "Team notes",
        "Rotate the Zapier key",
        app::VERSION,
    ] {
        assert!(page.body.contains(expected), "page lacks {expected}");
    }
    assert!(
        !page.body.contains("env-banner"),
        "production shows no banner"
    );
}

#[tokio::test]
async fn a_staging_server_labels_every_page() {
    let app = spawn_app(Environment::Staging)
        .await
        .signed_in_as(Role::Responder)
        .await;
    for path in ["/", "/notes", "/no-such-page"] {
        let page = app.get(path).await;
        assert!(
            page.body.contains("env-banner env-staging"),
            "{path} lacks the banner"
        );
        assert!(page.body.contains("STAGING"), "{path} lacks the word");
    }
}

#[tokio::test]
async fn an_unknown_page_is_a_404_in_the_shell() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    let page = app.get("/no-such-page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Page not found"));
    assert!(page.body.contains("<footer"));
}

#[tokio::test]
async fn an_invalid_note_is_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    let res = app.post_form("/api/notes/add", "body=+++").await;
    assert_ne!(res.status, StatusCode::OK);
    let err: app::error::AppError = serde_json::from_str(&res.body).expect("json error");
    assert_eq!(
        err,
        app::error::AppError::invalid("Note", "write something before adding the note")
    );
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM notes")
        .fetch_one(&app.state.db.read)
        .await
        .expect("count");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn an_internal_failure_shows_only_a_reference_matching_the_request_id() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    app.behind_the_back("DROP TABLE notes").await;
    let res = app.post_form("/api/notes/add", "body=hello").await;
    assert!(
        !res.body.contains("no such table"),
        "internal detail leaked: {}",
        res.body
    );
    let err: app::error::AppError = serde_json::from_str(&res.body).expect("json error");
    assert_eq!(err.request_id(), Some(res.request_id()));
}

#[tokio::test]
async fn a_plain_form_post_redirects_back_to_the_page() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    let res = app
        .post_plain_form(
            "/api/notes/add",
            "body=Paged+the+DBA",
            "http://127.0.0.1:3000/notes",
        )
        .await;
    assert_eq!(res.status, StatusCode::FOUND);
    let location = res
        .headers
        .get("location")
        .expect("location")
        .to_str()
        .expect("ascii");
    // Leptos strips any earlier error from the address and may leave a bare "?".
    assert_eq!(
        location.trim_end_matches('?'),
        "http://127.0.0.1:3000/notes"
    );
    assert!(app.get("/notes").await.body.contains("Paged the DBA"));
}

#[tokio::test]
async fn a_plain_form_post_that_fails_shows_the_error_on_the_page() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    let res = app
        .post_plain_form("/api/notes/add", "body=", "http://127.0.0.1:3000/notes")
        .await;
    assert_eq!(res.status, StatusCode::FOUND);
    let location = res
        .headers
        .get("location")
        .expect("location")
        .to_str()
        .expect("ascii");
    assert!(location.contains("__err="), "{location}");
    let path = location.trim_start_matches("http://127.0.0.1:3000");
    let page = app.get(path).await;
    assert!(
        page.body
            .contains("Note: write something before adding the note"),
        "page does not show the error"
    );
}

#[tokio::test]
async fn the_stylesheet_robots_file_and_icon_are_served_with_types() {
    let app = spawn_app(Environment::Production).await;
    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(robots.body.contains("Disallow"));
    let icon = app.get("/favicon.svg").await;
    assert_eq!(
        icon.status,
        StatusCode::OK,
        "no page logs a 404 for its icon"
    );
    assert_eq!(
        icon.headers.get("content-type").expect("type"),
        "image/svg+xml"
    );
    let page = app.get("/sign-in").await;
    assert!(page
        .body
        .contains(r#"<link rel="icon" href="/favicon.svg""#));
    let css = app.get("/pkg/muster.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers.get("content-type").expect("type"), "text/css");
    assert!(css.body.contains("--bg"));
    let etag = css.headers.get("etag").expect("etag").clone();
    let again = app
        .send(
            axum::http::Request::get("/pkg/muster.css")
                .header("if-none-match", etag)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn a_page_whose_data_fails_to_load_shows_the_reference_of_its_request() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    app.behind_the_back("DROP TABLE notes").await;
    let page = app.get("/notes").await;
    let id = page.request_id();
    assert!(page
        .body
        .contains("Something went wrong on our side; nothing was changed."));
    assert!(
        page.body.contains(&format!("<code>{id}")),
        "reference {id} not shown: {}",
        page.body
    );
    assert!(
        !page.body.contains("no such table"),
        "internal detail leaked"
    );
    assert!(
        page.body.contains("<footer"),
        "the page around it still renders"
    );
}

/// Every address has a body limit (1 MB; the plans import 16 MB, so its
/// own 5 MB file limit is the one a person meets): past it the answer is
/// 413 with a message naming the limit, whether the body declares its
/// length or comes in chunks, and nothing is stored.
#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_and_says_the_limit() {
    use axum::{body::Body, http::Request};
    use server::http::limits::BODY_LIMIT;
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Editor)
        .await;
    let post = |path: &str, body: Body| {
        Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("origin", support::ORIGIN)
            .body(body)
            .expect("request")
    };
    let big = format!("body={}", "a".repeat(BODY_LIMIT));
    let res = app
        .send(post("/api/notes/add", Body::from(big.clone())))
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.body);
    let err: app::error::AppError = serde_json::from_str(&res.body).expect("json error");
    assert_eq!(
        err.to_string(),
        "The request is larger than 1 MB, the most Muster accepts here."
    );

    // The same body in chunks, with no length declared.
    let chunks = big
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok::<_, std::io::Error>(axum::body::Bytes::copy_from_slice(c)))
        .collect::<Vec<_>>();
    let res = app
        .send(post(
            "/api/notes/add",
            Body::from_stream(futures_util::stream::iter(chunks)),
        ))
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.body);

    // Under the limit, in chunks too, the function's own checks answer.
    let chunks = vec![Ok::<_, std::io::Error>(axum::body::Bytes::from(format!(
        "body={}",
        "a".repeat(BODY_LIMIT / 2)
    )))];
    let res = app
        .send(post(
            "/api/notes/add",
            Body::from_stream(futures_util::stream::iter(chunks)),
        ))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM notes")
        .fetch_one(&app.state.db.read)
        .await
        .expect("count");
    assert_eq!(count, 0);

    // A plans file over its own 5 MB limit meets that limit, not the body's.
    let file = format!("document={}", "a".repeat(6 << 20));
    let res = app.send(post("/api/plans/import", Body::from(file))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("is larger than 5 MB"), "{}", res.body);
}
