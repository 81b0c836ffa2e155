//! API tokens: created by admins, shown once, stored hashed, scoped to a
//! role, recorded as their own actor, revocable.
mod support;

use app::{auth::Role, environment::Environment};
use support::{spawn_app, TestApp};

async fn create(admin: &TestApp, name: &str, role: &str) -> String {
    admin.token(name, role).await
}

async fn call(app: &TestApp, token: &str, path: &str, form: &str) -> support::Answer {
    app.post_with_token(token, path, form).await
}

#[tokio::test]
async fn a_token_acts_with_its_role_and_is_recorded_as_itself() {
    let admin = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    let reader = create(&admin, "dashboard", "viewer").await;
    let writer = create(&admin, "zapier-import", "responder").await;
    assert!(reader.starts_with("mst_") && reader.len() > 40, "{reader}");

    assert_eq!(
        call(&admin, &reader, "/api/notes/list", "").await.status,
        200
    );
    assert_eq!(
        call(&admin, &reader, "/api/notes/add", "body=from+a+dashboard")
            .await
            .status,
        403
    );
    let res = call(&admin, &writer, "/api/notes/add", "body=from+zapier").await;
    assert_eq!(res.status, 200, "{}", res.body);
    let (actor,): (String,) =
        sqlx::query_as("SELECT actor FROM audit_log WHERE action = 'note.add'")
            .fetch_one(&admin.state.db.read)
            .await
            .expect("audit");
    assert_eq!(actor, "token:zapier-import");
    let (used,): (Option<String>,) =
        sqlx::query_as("SELECT last_used_at FROM api_tokens WHERE name = 'zapier-import'")
            .fetch_one(&admin.state.db.read)
            .await
            .expect("token");
    assert!(used.is_some(), "last use is recorded");
    assert_eq!(
        call(&admin, "mst_not-a-real-token", "/api/notes/list", "")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn only_a_hash_of_a_token_is_stored() {
    let admin = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    let token = create(&admin, "backup-job", "viewer").await;
    let (hash,): (Vec<u8>,) = sqlx::query_as("SELECT token_hash FROM api_tokens")
        .fetch_one(&admin.state.db.read)
        .await
        .expect("row");
    assert_eq!(hash.len(), 32);
    let raw = std::fs::read(&admin.db_path).expect("db file");
    let wal = std::fs::read(format!("{}-wal", admin.db_path.display())).unwrap_or_default();
    let needle = token.as_bytes();
    assert!(
        !raw.windows(needle.len()).any(|w| w == needle),
        "the token is in the database file"
    );
    assert!(
        !wal.windows(needle.len()).any(|w| w == needle),
        "the token is in the WAL"
    );
}

#[tokio::test]
async fn a_token_stops_working_when_the_account_that_created_it_is_disabled() {
    let admin = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    let token = create(&admin, "nightly-export", "viewer").await;
    assert_eq!(
        call(&admin, &token, "/api/notes/list", "").await.status,
        200
    );
    admin
        .behind_the_back("UPDATE users SET disabled_at = '2026-11-28T00:00:00Z'")
        .await;
    assert_eq!(
        call(&admin, &token, "/api/notes/list", "").await.status,
        401,
        "a token acts as its creator, who may no longer act"
    );
}

#[tokio::test]
async fn a_revoked_token_no_longer_works() {
    let admin = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    let token = create(&admin, "old-script", "editor").await;
    assert_eq!(
        call(&admin, &token, "/api/notes/list", "").await.status,
        200
    );
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM api_tokens")
        .fetch_one(&admin.state.db.read)
        .await
        .expect("id");
    let res = admin
        .post_form("/api/admin/tokens/revoke", &format!("token_id={id}"))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(
        call(&admin, &token, "/api/notes/list", "").await.status,
        401
    );
    let page = admin.get("/admin/tokens").await;
    assert!(page.body.contains("revoked"));
}

#[tokio::test]
async fn the_tokens_page_shows_a_new_token_once() {
    let admin = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    let res = admin
        .post_plain_form(
            "/api/admin/tokens/create",
            "name=pagerduty&role=responder",
            "http://127.0.0.1:3000/admin/tokens",
        )
        .await;
    assert_eq!(res.status, 302);
    let first = admin.get("/admin/tokens").await;
    assert!(
        first.body.contains("<code id=\"new-token\">mst_"),
        "shown after creating"
    );
    assert_eq!(first.headers["cache-control"], "no-store");
    let second = admin.get("/admin/tokens").await;
    assert!(!second.body.contains("new-token"), "shown only once");
    assert!(second.body.contains("pagerduty"));
}
