//! Two-step sign-in: enrolment, the second step, one-time codes, recovery
//! codes, turning it off, and the admin's "required" switch.
mod support;

use app::auth::{mfa::totp, Role};
use app::environment::Environment;
use support::{manual_clock, spawn_app, TestApp};

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

/// Now by the app's clock, which the tests set: no test depends on where a
/// 30-second step falls.
fn now(app: &TestApp) -> u64 {
    u64::try_from(app.state.clock.now().timestamp()).expect("time")
}

/// A six-digit code that is none of the three the server accepts now.
fn wrong_code(secret: &[u8], at: u64) -> String {
    let valid: Vec<String> = [at - totp::STEP, at, at + totp::STEP]
        .iter()
        .filter_map(|t| totp::code_at(secret, *t))
        .collect();
    (0..4)
        .map(|n| format!("{:06}", 123_456 + n))
        .find(|c| !valid.contains(c))
        .expect("one of four is wrong")
}

/// An app on a clock the test moves.
async fn app_on_a_clock() -> TestApp {
    spawn_app(Environment::Production)
        .await
        .on_clock(manual_clock())
}

/// A fresh app with one editor, ed@example.com, signed in with a password.
async fn editor_signed_in() -> (TestApp, String) {
    let app = app_on_a_clock().await;
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

    let wrong = wrong_code(&secret, now(app));
    let wrong = app
        .post_as(cookie, "/api/account/mfa/confirm", &format!("code={wrong}"))
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let code = totp::code_at(&secret, now(app)).expect("code");
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
    let used = totp::code_at(&secret, now(&app)).expect("code");
    let res = app
        .post_as(&pending, "/api/auth/mfa", &format!("code={used}"))
        .await;
    assert_eq!(res.status, 422, "a code works only once: {}", res.body);
    let next = totp::code_at(&secret, now(&app) + totp::STEP).expect("code");
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
    let app = app_on_a_clock().await;
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
    let app = app_on_a_clock().await.signed_in_as(Role::Admin).await;
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

/// A lost or changed key never locks anyone out: recovery codes are checked
/// without opening the sealed secret, and an app code says what is wrong.
#[tokio::test]
async fn recovery_codes_work_when_the_key_is_lost() {
    let (app, cookie) = editor_signed_in().await;
    let (secret, recovery) = enrol(&app, &cookie).await;
    let mut app = app;
    app.auth.secret_key = app::sealing::SecretKey::generate();
    let app = app.rebuilt();
    let pending = password_step(&app, "ed@example.com", "ed's long password").await;
    let code = totp::code_at(&secret, now(&app) + totp::STEP).expect("code");
    let res = app
        .post_as(&pending, "/api/auth/mfa", &format!("code={code}"))
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("does not open"), "{}", res.body);
    assert!(!res.body.contains(&code), "the code is not echoed");
    let res = app
        .post_as(&pending, "/api/auth/mfa", &format!("code={}", recovery[0]))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

/// Turning two-step sign-in off asks for the password, and wrong passwords
/// wait as sign-in's do: a stolen session cannot guess its way to it.
#[tokio::test]
async fn turning_it_off_is_throttled_like_signing_in() {
    let (app, cookie) = editor_signed_in().await;
    enrol(&app, &cookie).await;
    for _ in 0..3 {
        let res = app
            .post_as(
                &cookie,
                "/api/account/mfa/disable",
                "password=a+wrong+guess",
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
    }
    let res = app
        .post_as(
            &cookie,
            "/api/account/mfa/disable",
            "password=ed%27s+long+password",
        )
        .await;
    assert_eq!(res.status, 429, "even the right password waits");
    assert_eq!(res.headers["retry-after"], "5");
}

/// `muster user reset-mfa`: a person who lost their phone (or everyone,
/// after a lost key) signs in with the password again; recorded as `cli`.
#[tokio::test]
async fn an_operator_resets_a_persons_second_step_on_the_command_line() {
    let (app, cookie) = editor_signed_in().await;
    enrol(&app, &cookie).await;
    let database = server::cli::DatabaseArg {
        database: Some(app.db_path.display().to_string()),
    };
    let said = server::cli::commands::user_reset_mfa(database.clone(), "ED@example.com".into())
        .await
        .map_err(|f| f.0)
        .expect("reset");
    assert!(
        said.starts_with("Two-step sign-in is off for ed@example.com"),
        "{said}"
    );
    assert_eq!(
        app.get_as(&cookie, "/notes").await.status,
        303,
        "their sessions ended"
    );
    let full = app
        .sign_in("ed@example.com", "ed's long password")
        .await
        .expect("one step again");
    assert_eq!(app.get_as(&full, "/notes").await.status, 200);
    let (actor,): (String,) =
        sqlx::query_as("SELECT actor FROM audit_log WHERE action = 'mfa.reset'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("audited");
    assert_eq!(actor, "cli");
    let missing =
        server::cli::commands::user_reset_mfa(database, "nobody@example.com".into()).await;
    assert!(missing.is_err_and(|f| f.0 == "nobody@example.com has no account"));
}

/// `muster keys rotate`: every secret sealed anew under a new key file, in
/// one transaction, the old key file kept until the new one is checked.
#[tokio::test]
async fn rotating_the_key_reseals_every_secret_and_sign_in_goes_on() {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let (app, cookie) = editor_signed_in().await;
    let (secret, _) = enrol(&app, &cookie).await;
    let key_file = server::keys::key_file(&app.db_path);
    std::fs::write(&key_file, STANDARD.encode(app.auth.secret_key.as_bytes())).expect("key file");
    let read = app.state.db.read.clone();
    let sealed = || async {
        let (s,): (Vec<u8>,) =
            sqlx::query_as("SELECT totp_secret FROM users WHERE email = 'ed@example.com'")
                .fetch_one(&read)
                .await
                .expect("secret");
        s
    };
    let before = sealed().await;
    let fingerprints =
        app::events::record::fingerprint_key(&app.state.db.write, &app.auth.secret_key)
            .await
            .expect("the events' fingerprint key");
    let hook = support::hook_source(&app, "pay", "stripe", "", None).await;

    let n = server::keys::rotate(&app.state.db, &app.db_path)
        .await
        .expect("rotated");
    assert_eq!(
        n, 3,
        "the secret, the fingerprint key and the webhook secret"
    );
    let new_key = server::keys::load(None, &app.db_path).expect("the new key");
    let mut conn = app.state.db.read.acquire().await.expect("conn");
    assert_eq!(
        app::hooks::secret::valid(&mut conn, &new_key, 1, chrono::Utc::now()).await,
        Ok(vec![hook]),
        "a webhook source's secret opens with the new key"
    );
    assert!(
        app::hooks::secret::valid(&mut conn, &app.auth.secret_key, 1, chrono::Utc::now())
            .await
            .is_err()
    );
    drop(conn);
    assert_eq!(
        app::events::record::fingerprint_key(&app.state.db.write, &new_key).await,
        Ok(fingerprints),
        "fingerprints made before the rotation still prove copies after it"
    );
    assert!(
        app::events::record::fingerprint_key(&app.state.db.write, &app.auth.secret_key)
            .await
            .unwrap_err()
            .contains("does not open the fingerprint key"),
        "the old key file no longer opens it"
    );
    assert_ne!(new_key.as_bytes(), app.auth.secret_key.as_bytes());
    let after = sealed().await;
    assert_ne!(after, before);
    assert_eq!(new_key.open(&after).as_deref(), Some(secret.as_slice()));
    assert!(
        app.auth.secret_key.open(&after).is_none(),
        "the old key no longer opens it"
    );
    for leftover in [".new", ".old"] {
        let mut name = key_file.as_os_str().to_owned();
        name.push(leftover);
        assert!(!std::path::Path::new(&name).exists(), "{leftover} is gone");
    }

    // A server started with the new key signs the person in with their app.
    let mut app = app;
    app.auth.secret_key = new_key;
    let app = app.rebuilt();
    let pending = password_step(&app, "ed@example.com", "ed's long password").await;
    let code = totp::code_at(&secret, now(&app) + totp::STEP).expect("code");
    let res = app
        .post_as(&pending, "/api/auth/mfa", &format!("code={code}"))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    // A secret the key cannot open stops it all, and nothing changes.
    app.behind_the_back(
        "UPDATE users SET totp_secret = x'00112233' WHERE email = 'ed@example.com'",
    )
    .await;
    let key_before = std::fs::read(&key_file).expect("key");
    let err = server::keys::rotate(&app.state.db, &app.db_path)
        .await
        .unwrap_err();
    assert!(err.contains("does not open the secret of account"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(
        std::fs::read(&key_file).expect("key"),
        key_before,
        "the key file is unchanged"
    );
    assert_eq!(sealed().await, vec![0x00, 0x11, 0x22, 0x33]);
}
