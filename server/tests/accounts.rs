//! Admins manage accounts; people manage their own sessions. Every change
//! is audited and none may leave Muster without an enabled admin.
mod support;

use app::{auth::Role, environment::Environment};
use support::spawn_app;

async fn sessions_of(app: &support::TestApp, user_id: i64) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM sessions WHERE user_id = ?")
        .bind(user_id)
        .fetch_one(&app.state.db.read)
        .await
        .expect("count");
    n
}

#[tokio::test]
async fn an_admin_creates_an_account_that_can_sign_in() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    let res = app
        .post_form(
            "/api/admin/accounts/create",
            "email=new%40example.com&display_name=New+Person&role=responder&password=a+first+password&password_repeat=a+first+password",
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(app
        .sign_in("new@example.com", "a first password")
        .await
        .is_ok());
    let page = app.get("/admin/users").await;
    assert!(page.body.contains("new@example.com") && page.body.contains("New Person"));
    let again = app
        .post_form(
            "/api/admin/accounts/create",
            "email=NEW%40example.com&display_name=Dup&role=viewer&password=a+first+password&password_repeat=a+first+password",
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
}

#[tokio::test]
async fn changing_a_role_is_recorded_and_the_last_admin_keeps_theirs() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    app.account("rae@example.com", "a responder password", Role::Viewer)
        .await;
    let rae = app.user_id("rae@example.com").await;
    let res = app
        .post_form(
            "/api/admin/accounts/role",
            &format!("user_id={rae}&role=editor"),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let (reason,): (String,) =
        sqlx::query_as("SELECT reason FROM audit_log WHERE action = 'user.role_change'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("audit");
    assert_eq!(reason, "viewer -> editor");

    let me = app.user_id("admin0@example.com").await;
    let res = app
        .post_form(
            "/api/admin/accounts/role",
            &format!("user_id={me}&role=viewer"),
        )
        .await;
    assert_eq!(res.status, 409);
    assert!(
        res.body.contains("at least one enabled admin"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_and_its_sign_ins() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    app.account("sam@example.com", "sam's long password", Role::Responder)
        .await;
    let sam = app.user_id("sam@example.com").await;
    let cookie = app
        .sign_in("sam@example.com", "sam's long password")
        .await
        .expect("signed in");
    assert_eq!(app.get_as(&cookie, "/notes").await.status, 200);

    let res = app
        .post_form(
            "/api/admin/accounts/disabled",
            &format!("user_id={sam}&disabled=true"),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(sessions_of(&app, sam).await, 0);
    assert_eq!(
        app.get_as(&cookie, "/notes").await.status,
        303,
        "the old session is gone"
    );
    assert!(app
        .sign_in("sam@example.com", "sam's long password")
        .await
        .is_err());

    app.post_form(
        "/api/admin/accounts/disabled",
        &format!("user_id={sam}&disabled=false"),
    )
    .await;
    assert!(app
        .sign_in("sam@example.com", "sam's long password")
        .await
        .is_ok());

    let me = app.user_id("admin0@example.com").await;
    let res = app
        .post_form(
            "/api/admin/accounts/disabled",
            &format!("user_id={me}&disabled=true"),
        )
        .await;
    assert_eq!(res.status, 409, "admins cannot lock themselves out");
}

#[tokio::test]
async fn a_reset_password_replaces_the_old_one_and_ends_its_sessions() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    app.account("lee@example.com", "the leaked password", Role::Editor)
        .await;
    let lee = app.user_id("lee@example.com").await;
    app.sign_in("lee@example.com", "the leaked password")
        .await
        .expect("signed in");
    let res = app
        .post_form(
            "/api/admin/accounts/password",
            &format!(
                "user_id={lee}&password=a+brand+new+password&password_repeat=a+brand+new+password"
            ),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(sessions_of(&app, lee).await, 0);
    assert!(app
        .sign_in("lee@example.com", "the leaked password")
        .await
        .is_err());
    assert!(app
        .sign_in("lee@example.com", "a brand new password")
        .await
        .is_ok());
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM audit_log WHERE action = 'user.password_reset'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("audit");
    assert_eq!(n, 1);
}

#[tokio::test]
async fn signing_out_everywhere_else_keeps_only_this_session() {
    let app = spawn_app(Environment::Production).await;
    app.account("kim@example.com", "kim's long password", Role::Viewer)
        .await;
    let kim = app.user_id("kim@example.com").await;
    let laptop = app
        .sign_in("kim@example.com", "kim's long password")
        .await
        .expect("laptop");
    let phone = app
        .sign_in("kim@example.com", "kim's long password")
        .await
        .expect("phone");
    let page = app.get_as(&laptop, "/account").await;
    let rows = page
        .body
        .split("<tbody")
        .nth(1)
        .unwrap_or_default()
        .matches("<tr")
        .count();
    assert_eq!(rows, 2, "two sessions listed");
    assert!(page.body.contains("(this browser)"));

    let res = app
        .post_as(&laptop, "/api/account/end-other-sessions", "")
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body, "1");
    assert_eq!(sessions_of(&app, kim).await, 1);
    assert_eq!(
        app.get_as(&phone, "/notes").await.status,
        303,
        "the phone is signed out"
    );
    assert_eq!(
        app.get_as(&laptop, "/notes").await.status,
        200,
        "this browser stays signed in"
    );
}
