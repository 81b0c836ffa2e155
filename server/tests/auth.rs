//! Signing in and out, first-run setup, sessions, same-origin checks,
//! security headers, and the audit trail they leave.
mod support;

use app::{auth::Role, environment::Environment};
use axum::{body::Body, http::Request};
use support::{manual_clock, spawn_app, Answer, TestApp, ORIGIN};

async fn audit_actions(app: &support::TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT action, outcome, reason FROM audit_log ORDER BY id")
        .fetch_all(&app.state.db.read)
        .await
        .expect("audit")
}

#[tokio::test]
async fn with_no_account_every_page_leads_to_the_one_time_setup() {
    let mut app = spawn_app(Environment::Production).await;
    let res = app.get("/notes").await;
    assert_eq!(
        (
            res.status.as_u16(),
            res.headers["location"].to_str().expect("ascii")
        ),
        (303, "/setup")
    );
    assert!(app
        .get("/setup")
        .await
        .body
        .contains("Create administrator"));

    let res = app
        .post_form(
            "/api/auth/setup",
            "email=ic%40example.com&display_name=Ida+Commander&password=a+long+enough+secret&password_repeat=a+long+enough+secret",
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let cookie = res.cookie();
    assert!(cookie.starts_with("muster_session="));
    let raw = res.headers["set-cookie"].to_str().expect("ascii");
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
        "{raw}"
    );

    app.cookie = Some(cookie);
    let page = app.get("/notes").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Ida Commander"),
        "the header names who is signed in"
    );

    // The setup door closes once an account exists.
    app.cookie = None;
    assert_eq!(app.get("/setup").await.headers["location"], "/sign-in");
    let again = app
        .post_form(
            "/api/auth/setup",
            "email=mallory%40example.com&display_name=M&password=another+long+secret&password_repeat=another+long+secret",
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    let actions = audit_actions(&app).await;
    assert!(actions.contains(&("user.create".into(), "allowed".into(), "first admin".into())));
    assert!(actions.contains(&(
        "setup.first_admin".into(),
        "denied".into(),
        "an account already exists".into()
    )));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer() {
    let app = spawn_app(Environment::Production).await;
    app.account("ops@example.com", "the right passphrase", Role::Editor)
        .await;
    let wrong = app
        .post_form(
            "/api/auth/sign-in",
            "email=ops%40example.com&password=the+wrong+passphrase",
        )
        .await;
    let unknown = app
        .post_form(
            "/api/auth/sign-in",
            "email=nobody%40example.com&password=the+wrong+passphrase",
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(
        wrong.body, unknown.body,
        "the answer must not tell which accounts exist"
    );
    assert!(wrong.body.contains("SignInFailed"), "{}", wrong.body);
    assert!(wrong.headers.get("set-cookie").is_none());
    let actions = audit_actions(&app).await;
    assert!(actions.contains(&(
        "session.sign_in".into(),
        "failed".into(),
        "wrong password".into()
    )));
    assert!(actions.contains(&(
        "session.sign_in".into(),
        "failed".into(),
        "no such account".into()
    )));
}

#[tokio::test]
async fn signing_in_starts_a_new_session_and_signing_out_ends_it() {
    let mut app = spawn_app(Environment::Production).await;
    app.account("ops@example.com", "the right passphrase", Role::Editor)
        .await;
    let res = app
        .post_form(
            "/api/auth/sign-in",
            "email=OPS%40example.com&password=the+right+passphrase&next=%2Fnotes",
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.headers["location"], "/notes");
    app.cookie = Some(res.cookie());
    assert_eq!(app.get("/notes").await.status, 200);

    let (stored,): (Vec<u8>,) = sqlx::query_as("SELECT token_hash FROM sessions")
        .fetch_one(&app.state.db.read)
        .await
        .expect("session");
    let token = app.cookie.clone().unwrap_or_default();
    let token = token.split('=').nth(1).unwrap_or_default();
    assert_ne!(
        stored,
        token.as_bytes(),
        "only the hash of the token is stored"
    );

    let out = app.post_form("/api/auth/sign-out", "").await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(out.headers["set-cookie"]
        .to_str()
        .expect("ascii")
        .contains("Max-Age=0"));
    let after = app.get("/notes").await;
    assert_eq!(after.status, 303, "the old cookie no longer works");
}

/// Sessions live by the state's clock: used now and then, one lives until
/// its absolute limit; left unused past the idle limit, it ends and is
/// removed. The clock is moved by the test, never waited for.
#[tokio::test]
async fn sessions_end_when_idle_or_too_old_by_the_clock() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone())
        .signed_in_as(Role::Viewer)
        .await;
    let policy = app.auth.sessions;
    assert_eq!(app.get("/notes").await.status, 200);
    clock.advance(policy.idle - chrono::Duration::seconds(1));
    assert_eq!(
        app.get("/notes").await.status,
        200,
        "just inside the idle limit"
    );
    clock.advance(policy.idle + chrono::Duration::seconds(1));
    assert_eq!(
        app.get("/notes").await.status,
        303,
        "unused for longer than the idle limit"
    );
    let count = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM sessions")
            .fetch_one(&app.state.db.read)
            .await
            .expect("count");
        n
    };
    assert_eq!(count().await, 0, "the expired session is removed");

    // Used every hour, a session still ends at its absolute limit.
    let cookie = app.session_for(Role::Viewer).await;
    let mut used_for = chrono::Duration::zero();
    while used_for + chrono::Duration::hours(1) < policy.absolute {
        clock.advance(chrono::Duration::hours(1));
        used_for += chrono::Duration::hours(1);
        assert_eq!(
            app.get_as(&cookie, "/notes").await.status,
            200,
            "after {used_for}"
        );
    }
    clock.advance(chrono::Duration::hours(1));
    assert_eq!(
        app.get_as(&cookie, "/notes").await.status,
        303,
        "past the absolute limit"
    );
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_at_once() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Editor)
        .await;
    assert_eq!(app.get("/notes").await.status, 200);
    app.behind_the_back("UPDATE users SET disabled_at = '2026-01-01T00:00:00Z'")
        .await;
    assert_eq!(app.get("/notes").await.status, 303);
}

#[tokio::test]
async fn a_state_change_from_another_site_is_refused() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    for origin in [Some("https://evil.example"), Some("null"), None] {
        let mut req = Request::post("/api/notes/add")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json");
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        let res = app
            .send(
                req.body(Body::from("body=from+elsewhere"))
                    .expect("request"),
            )
            .await;
        assert_eq!(res.status, 403, "origin {origin:?}");
    }
    let ok = app.post_form("/api/notes/add", "body=from+here").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM notes")
        .fetch_one(&app.state.db.read)
        .await
        .expect("count");
    assert_eq!(count, 1);
    let _ = ORIGIN;
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    for path in ["/notes", "/healthz", "/pkg/muster.css", "/sign-in"] {
        let res = app.get(path).await;
        assert_eq!(res.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(res.headers["referrer-policy"], "same-origin", "{path}");
        let csp = res.headers["content-security-policy"]
            .to_str()
            .expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            res.headers.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
    }
    let page = app.get("/notes").await;
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(
        csp.contains("'wasm-unsafe-eval'") && csp.contains("script-src 'self' 'nonce-"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("nonce");
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "the island loader carries the nonce"
    );
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn the_audit_log_is_append_only_and_chained() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Responder)
        .await;
    for text in ["one", "two", "three"] {
        app.post_form("/api/notes/add", &format!("body={text}"))
            .await;
    }
    let mut conn = app.state.db.write.acquire().await.expect("conn");
    let verified = app::audit::db::verify(&mut conn).await.expect("verify");
    assert_eq!(verified.entries, 3);
    assert_eq!(verified.first_bad, None);
    for sql in [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log WHERE id = 2",
    ] {
        let err = sqlx::query(sql)
            .execute(&mut *conn)
            .await
            .expect_err("refused");
        assert!(
            err.to_string().contains("audit_log is append-only"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn admins_export_the_audit_log_as_json_lines_and_others_may_not() {
    let admin = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    admin.post_form("/api/notes/add", "body=exported").await;
    let res = admin.get("/admin/audit/export?action=note.").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.headers["content-type"],
        "application/x-ndjson; charset=utf-8"
    );
    let lines: Vec<serde_json::Value> = res
        .body
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", res.body);
    assert_eq!(lines[0]["action"], "note.add");
    assert_eq!(lines[0]["hash"].as_str().map(str::len), Some(64));

    let viewer_cookie = admin.session_for(Role::Viewer).await;
    let res = admin
        .send(
            Request::get("/admin/audit/export")
                .header("cookie", viewer_cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(res.status, 403);
}

/// A sign-in attempt from one client address.
async fn attempt(
    app: &support::TestApp,
    from: [u8; 4],
    email: &str,
    password: &str,
) -> support::Answer {
    let mut req = Request::post("/api/auth/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", ORIGIN)
        .body(Body::from(format!(
            "email={}&password={}",
            email.replace('@', "%40"),
            password.replace(' ', "+")
        )))
        .expect("request");
    let addr = std::net::SocketAddr::from((from, 40000));
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    app.send(req).await
}

/// Past ten failures a minute from one address a wrong password is told
/// to wait; a right one still signs in (people share an office's address).
#[tokio::test]
async fn an_address_over_its_limit_waits_but_a_right_password_still_signs_in() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    app.account("ops@example.com", "the right passphrase", Role::Editor)
        .await;
    let office = [192, 0, 2, 1];
    for i in 0..9 {
        let res = attempt(
            &app,
            office,
            &format!("guess{i}@example.com"),
            "wrong guess",
        )
        .await;
        assert_eq!(res.status, 422, "attempt {i}");
    }
    let res = attempt(&app, office, "guess99@example.com", "wrong guess").await;
    assert_eq!(res.status, 429, "{}", res.body);
    assert_eq!(res.headers["retry-after"], "60");
    assert!(res.body.contains("TooManyAttempts"), "{}", res.body);
    let colleague = attempt(&app, office, "ops@example.com", "the right passphrase").await;
    assert_eq!(colleague.status, 200, "{}", colleague.body);
    let other = attempt(&app, [192, 0, 2, 2], "guess98@example.com", "wrong guess").await;
    assert_eq!(other.status, 422, "another address is not limited");
    clock.advance(chrono::Duration::seconds(60));
    let later = attempt(&app, office, "guess97@example.com", "wrong guess").await;
    assert_eq!(later.status, 422, "a minute later");
}

/// Guessing a person's email from elsewhere slows only the guesser: each
/// attempt from that address waits twice as long, even with the right
/// password (so it cannot tell), while the person signs in from theirs.
#[tokio::test]
async fn someone_guessing_an_email_cannot_lock_its_owner_out() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Production)
        .await
        .on_clock(clock.clone());
    app.account("cfo@example.com", "the real passphrase", Role::Viewer)
        .await;
    let attacker = [198, 51, 100, 1];
    for _ in 0..3 {
        let res = attempt(&app, attacker, "cfo@example.com", "a wrong guess").await;
        assert_eq!(res.status, 422);
    }
    let res = attempt(&app, attacker, "cfo@example.com", "the real passphrase").await;
    assert_eq!(res.status, 429);
    assert_eq!(res.headers["retry-after"], "5");
    clock.advance(chrono::Duration::seconds(5));
    assert_eq!(
        attempt(&app, attacker, "cfo@example.com", "a wrong guess")
            .await
            .status,
        422
    );
    let res = attempt(&app, attacker, "cfo@example.com", "a wrong guess").await;
    assert_eq!(res.headers["retry-after"], "10", "twice as long");

    let owner = attempt(
        &app,
        [203, 0, 113, 7],
        "cfo@example.com",
        "the real passphrase",
    )
    .await;
    assert_eq!(owner.status, 200, "{}", owner.body);
    let (denied,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM audit_log WHERE reason = 'too many attempts'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("audit");
    assert_eq!(
        denied, 1,
        "the same refusal twice in a minute is written once"
    );
}

async fn attempt_through(
    app: &TestApp,
    peer: [u8; 4],
    forwarded_for: &str,
    email: &str,
    password: &str,
) -> Answer {
    let mut req = Request::post("/api/auth/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", ORIGIN)
        .header("x-forwarded-for", forwarded_for)
        .body(Body::from(format!(
            "email={}&password={}",
            email.replace('@', "%40"),
            password.replace(' ', "+")
        )))
        .expect("request");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            peer, 40000,
        ))));
    app.send(req).await
}

/// Behind a trusted proxy the client is the address it names; from anyone
/// else X-Forwarded-For is ignored, so a guesser cannot pick a fresh
/// address for each try.
#[tokio::test]
async fn x_forwarded_for_names_the_client_only_from_a_trusted_proxy() {
    let proxy = [10, 0, 0, 2];
    let mut app = spawn_app(Environment::Production).await;
    app.auth.trusted_proxies =
        std::sync::Arc::new(app::auth::client::Cidr::parse_list("10.0.0.0/8").expect("list"));
    let app = app.on_clock(manual_clock());
    app.account("ops@example.com", "the right passphrase", Role::Editor)
        .await;
    for i in 0..9 {
        let res = attempt_through(
            &app,
            proxy,
            "203.0.113.5",
            &format!("g{i}@example.com"),
            "wrong",
        )
        .await;
        assert_eq!(res.status, 422);
    }
    let res = attempt_through(&app, proxy, "203.0.113.5", "g9@example.com", "wrong").await;
    assert_eq!(
        res.status, 429,
        "the tenth from one client behind the proxy"
    );
    let res = attempt_through(&app, proxy, "203.0.113.6", "g9@example.com", "wrong").await;
    assert_eq!(res.status, 422, "another client behind the same proxy");
    // A client that sends its own header: the proxy appends what it saw.
    let res = attempt_through(
        &app,
        proxy,
        "192.0.2.99, 203.0.113.5",
        "g10@example.com",
        "wrong",
    )
    .await;
    assert_eq!(res.status, 429, "the client's own entry does not count");
    let res = attempt_through(
        &app,
        proxy,
        "203.0.113.7",
        "ops@example.com",
        "the right passphrase",
    )
    .await;
    assert_eq!(res.status, 200);
    let (addr,): (String,) = sqlx::query_as("SELECT client_addr FROM sessions")
        .fetch_one(&app.state.db.read)
        .await
        .expect("session");
    assert_eq!(
        addr, "203.0.113.7",
        "the session names the client, not the proxy"
    );

    // Not from a trusted proxy: the header is ignored.
    let untrusted = [198, 51, 100, 1];
    for i in 0..9 {
        let forged = format!("192.0.2.{i}");
        let email = format!("x{i}@example.com");
        assert_eq!(
            attempt_through(&app, untrusted, &forged, &email, "wrong")
                .await
                .status,
            422
        );
    }
    let res = attempt_through(&app, untrusted, "192.0.2.200", "y@example.com", "wrong").await;
    assert_eq!(
        res.status, 429,
        "every forged address counted as the peer's"
    );
}

/// After the password, only a plain path on this site is followed: every
/// hostile `next` (as a browser would send it in the form) goes home, and
/// none of them can break the response.
#[tokio::test]
async fn after_sign_in_a_hostile_next_goes_to_the_home_page() {
    let app = spawn_app(Environment::Production).await;
    app.account("ops@example.com", "the right passphrase", Role::Editor)
        .await;
    let hostile = [
        "%2F%09%2Fevil.example",
        "/%09/evil.example",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "%2Fnotes%0D%0ASet-Cookie%3A+x%3D1",
        "%2Fnotes%0A",
        "%2Fnotes%00",
        "https%3A%2F%2Fevil.example",
        "%2F%E2%80%A8evil",
        "%2F+evil",
    ];
    for next in hostile {
        let res = app
            .post_form(
                "/api/auth/sign-in",
                &format!("email=ops%40example.com&password=the+right+passphrase&next={next}"),
            )
            .await;
        assert_eq!(res.status, 200, "{next}: {}", res.body);
        assert_eq!(res.headers["location"], "/", "{next}");
    }
}
