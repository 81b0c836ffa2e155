//! The one two-person rule, for notice templates and incident notices: the
//! approver is a person signed in who did not write it, and an API token
//! writes as the person who created it, so nobody approves their own work
//! by way of a token.
mod support;

use app::{auth::Role, environment::Environment, incidents::IncidentView};
use support::{form, spawn_app};

fn template(title: &str) -> String {
    form(&[
        ("input[id]", ""),
        ("input[title]", title),
        ("input[tags]", ""),
        ("input[stage]", "investigating"),
        ("input[channel]", "in_app"),
        ("input[subject]", "{{ incident_title }}"),
        ("input[body]", "Since {{ started_at }}: {{ impact }}"),
        ("input[note]", ""),
    ])
}

async fn plan_id(app: &support::TestApp, title: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM plans WHERE title = ?")
        .bind(title)
        .fetch_one(&app.state.db.read)
        .await
        .expect("plan");
    id
}

#[tokio::test]
async fn an_admin_cannot_approve_a_template_they_wrote_through_their_own_token() {
    let admin = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    let token = admin.token("ci-templates", "editor").await;
    admin
        .post_with_token(&token, "/api/notices/save", &template("From CI"))
        .await
        .ok();
    let id = plan_id(&admin, "From CI").await;
    let approve = format!("id={id}&version=1");

    let own = admin.post_form("/api/notices/approve", &approve).await;
    assert_eq!(own.status, 422, "{}", own.body);
    assert!(
        own.body.contains("another editor must approve"),
        "{}",
        own.body
    );

    let by_token = admin
        .post_with_token(&token, "/api/notices/approve", &approve)
        .await;
    assert_eq!(by_token.status, 422, "{}", by_token.body);
    assert!(
        by_token.body.contains("not an API token"),
        "{}",
        by_token.body
    );

    let page = admin.get(&format!("/notices/{id}")).await;
    assert!(
        page.body
            .contains("You wrote this version, so another editor must approve it."),
        "the page tells the token's creator the version is theirs"
    );

    let second = admin.session_for(Role::Editor).await;
    admin
        .post_as(&second, "/api/notices/approve", &approve)
        .await
        .ok();
    let (approved,): (Option<i64>,) = sqlx::query_as("SELECT approved FROM plans WHERE id = ?")
        .bind(id)
        .fetch_one(&admin.state.db.read)
        .await
        .expect("plan");
    assert_eq!(approved, Some(1), "a second person approves");
}

#[tokio::test]
async fn an_incident_notice_drafted_through_a_token_waits_for_someone_other_than_its_creator() {
    let admin = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Admin)
        .await;
    let editor = admin.session_for(Role::Editor).await;
    admin
        .post_as(&editor, "/api/notices/save", &template("Short status"))
        .await
        .ok();
    let template_id = plan_id(&admin, "Short status").await;
    admin
        .post_form(
            "/api/notices/approve",
            &format!("id={template_id}&version=1"),
        )
        .await
        .ok();
    let token = admin.token("pager-bridge", "responder").await;
    admin
        .post_with_token(
            &token,
            "/api/incidents/declare",
            &form(&[
                ("title", "Checkout down"),
                ("severity", "sev2"),
                ("impact", "Payments fail"),
                ("runbook", ""),
            ]),
        )
        .await
        .ok();
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM incidents WHERE title = 'Checkout down'")
        .fetch_one(&admin.state.db.read)
        .await
        .expect("incident");
    admin
        .post_with_token(
            &token,
            "/api/incidents/notice/draft",
            &format!("id={id}&template={template_id}&next_update_minutes="),
        )
        .await
        .ok();
    let view: IncidentView = serde_json::from_str(
        &admin
            .post_form("/api/incidents/get", &format!("id={id}"))
            .await
            .ok()
            .body,
    )
    .expect("incident");
    let notice = view.notices[0].id;
    let approve = format!("id={id}&notice={notice}");

    let own = admin
        .post_form("/api/incidents/notice/approve", &approve)
        .await;
    assert_eq!(own.status, 422, "{}", own.body);
    assert!(
        own.body.contains("someone else must approve"),
        "{}",
        own.body
    );
    let by_token = admin
        .post_with_token(&token, "/api/incidents/notice/approve", &approve)
        .await;
    assert_eq!(by_token.status, 422, "{}", by_token.body);

    let responder = admin.session_for(Role::Responder).await;
    admin
        .post_as(&responder, "/api/incidents/notice/approve", &approve)
        .await
        .ok();
    let (approved_by,): (Option<String>,) =
        sqlx::query_as("SELECT approved_by FROM incident_notices WHERE id = ?")
            .bind(notice)
            .fetch_one(&admin.state.db.read)
            .await
            .expect("notice");
    assert!(approved_by.is_some(), "a second person approves");
}
