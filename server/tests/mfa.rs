//! Two-step sign-in: enrolment, the second step, one-time codes, recovery
//! codes, turning it off, and the admin's "required" switch.
mod support;

use app::auth::{mfa::totp, Role};
use app::environment::Environment;
use support::{spawn_app, TestApp};

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .map(|i| i + start.len())
        .unwrap_or_else(|| {
            panic!(
                "no {start} in {}",
                text.split("<main").nth(1).unwrap_or(text)
            )
        });
    let to = text[from..].find(end).map(|i| i + from).expect("end");
    &text[from..to]
}

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).expect("time")
}

/// A fresh app with one editor, ed@example.com, signed in with a password.
async fn editor_signed_in() -> (TestApp, String) {
    let app = spawn_app(Environment::Production).await;
    app.account("ed@example.com", "ed's long password", Role::Editor)
        .await;
    let cookie = app
        .sign_in("ed@example.com", "ed's long password")
        .await
        .expect("signed in");
    (app, cookie)
}

/// Enrols the signed-in account; returns the secret and the recovery codes.
async fn enrol(app: &TestApp, cookie: &str) -> (Vec<u8>, Vec<String>) {
    assert_eq!(
        app.post_as(cookie, "/api/account/mfa/start", "")
            .await
            .status,
        200
    );
    let page = app.get_as(cookie, "/account").await;
    assert!(
        page.body.contains("<svg"),
        "a QR code is shown: {}",
        page.body.split("<main").nth(1).unwrap_or_default()
    );
    assert_eq!(page.headers["cache-control"], "no-store");
    let secret =
        totp::from_base32(between(&page.body, "<code id=\"totp-secret\">", "<")).expect("base32");
    let again = app.get_as(cookie, "/account").await;
    assert!(
        !again.body.contains("totp-secret"),
        "the key is shown only once"
    );

    let wrong = app
        .post_as(cookie, "/api/account/mfa/confirm", "code=000000")
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let code = totp::code_at(&secret, now()).expect("code");
    let res = app
        .post_as(cookie, "/api/account/mfa/confirm", &format!("code={code}"))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let page = app.get_as(cookie, "/account").await;
    let list = between(&page.body, "id=\"recovery-codes\"", "</ol>");
    let codes: Vec<String> = list
        .split("<code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{list}");
    assert!(page.body.contains("Two-step sign-in is on."));
    (secret, codes)
}

/// Signs in with the password; returns the cookie of the pending session.
async fn password_step(app: &TestApp, email: &str, password: &str) -> String {
    let res = app
        .send(
            axum::http::Request::post("/api/auth/sign-in")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .header("origin", support::ORIGIN)
                .body(axum::body::Body::from(format!(
                    "email={}&password={}&next=%2Fnotes",
                    email.replace('@', "%40"),
                    password.replace(' ', "+")
                )))
                .expect("request"),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.headers["location"], "/sign-in/mfa?next=/notes");
    res.cookie()
}

#[tokio::test]
async fn with_two_step_sign_in_the_password_alone_opens_nothing() {
    let (app, cookie) = editor_signed_in().await;
    let (secret, recovery) = enrol(&app, &cookie).await;

    let pending = password_step(&app, "ed@example.com", "ed's long password").await;
    assert_eq!(
        app.get_as(&pending, "/notes").await.status,
        303,
        "not signed in yet"
    );
    assert_eq!(app.get_as(&pending, "/sign-in/mfa").await.status, 200);

    // The code used to confirm cannot be used again; the next step's can.
    let used = totp::code_at(&secret, now()).expect("code");
    let res = app
        .post_as(&pending, "/api/auth/mfa", &format!("code={used}"))
        .await;
    assert_eq!(res.status, 422, "a code works only once: {}", res.body);
    let next = totp::code_at(&secret, now() + totp::STEP).expect("code");
    let res = app
        .post_as(
            &pending,
            "/api/auth/mfa",
            &format!("code={next}&next=%2Fnotes"),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.headers["location"], "/notes");
    let full = res.cookie();
    assert_eq!(app.get_as(&full, "/notes").await.status, 200);
    assert_eq!(
        app.get_as(&pending, "/notes").await.status,
        303,
        "the pending session is gone"
    );

    // A recovery code works once, in place of an app code.
    let pending = password_step(&app, "ed@example.com", "ed's long password").await;
    let res = app
        .post_as(
            &pending,
            "/api/auth/mfa",
            &format!("code={}", recovery[3].to_uppercase()),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let pending = password_step(&app, "ed@example.com", "ed's long password").await;
    let res = app
        .post_as(&pending, "/api/auth/mfa", &format!("code={}", recovery[3]))
        .await;
    assert_eq!(res.status, 422, "a recovery code works once");
}

#[tokio::test]
async fn the_totp_secret_is_stored_sealed_not_in_clear() {
    let (app, cookie) = editor_signed_in().await;
    let (secret, _) = enrol(&app, &cookie).await;
    let (stored,): (Vec<u8>,) =
        sqlx::query_as("SELECT totp_secret FROM users WHERE email = 'ed@example.com'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("row");
    assert_ne!(stored, secret);
    assert_eq!(
        app.auth.secret_key.open(&stored).as_deref(),
        Some(secret.as_slice())
    );
    let file = std::fs::read(&app.db_path).expect("db");
    let wal = std::fs::read(format!("{}-wal", app.db_path.display())).unwrap_or_default();
    for bytes in [file, wal] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_slice()),
            "the secret is in clear"
        );
    }
}

#[tokio::test]
async fn turning_it_off_needs_the_password() {
    let app = spawn_app(Environment::Production).await;
    app.account("vi@example.com", "vi's long password", Role::Viewer)
        .await;
    let cookie = app
        .sign_in("vi@example.com", "vi's long password")
        .await
        .expect("signed in");
    enrol(&app, &cookie).await;
    let wrong = app
        .post_as(
            &cookie,
            "/api/account/mfa/disable",
            "password=not+it+at+all",
        )
        .await;
    assert_eq!(wrong.status, 422);
    let right = app
        .post_as(
            &cookie,
            "/api/account/mfa/disable",
            "password=vi%27s+long+password",
        )
        .await;
    assert_eq!(right.status, 200, "{}", right.body);
    assert!(
        app.sign_in("vi@example.com", "vi's long password")
            .await
            .is_ok(),
        "one step again"
    );
}

#[tokio::test]
async fn when_required_editors_must_set_it_up_before_anything_else() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    app.account("ed@example.com", "ed's long password", Role::Editor)
        .await;
    app.account("rae@example.com", "rae's long password", Role::Responder)
        .await;
    let res = app
        .post_form("/api/admin/require-mfa", "required=true")
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    let editor = app
        .sign_in("ed@example.com", "ed's long password")
        .await
        .expect("signed in");
    let page = app.get_as(&editor, "/notes").await;
    assert_eq!(
        (
            page.status.as_u16(),
            page.headers["location"].to_str().expect("ascii")
        ),
        (303, "/account#mfa")
    );
    assert_eq!(
        app.post_as(&editor, "/api/notes/add", "body=x")
            .await
            .status,
        403
    );
    assert_eq!(app.get_as(&editor, "/account").await.status, 200);
    enrol(&app, &editor).await;
    assert_eq!(
        app.get_as(&editor, "/notes").await.status,
        200,
        "open once enrolled"
    );

    let responder = app
        .sign_in("rae@example.com", "rae's long password")
        .await
        .expect("signed in");
    assert_eq!(
        app.get_as(&responder, "/notes").await.status,
        200,
        "responders are not required"
    );
}
