//! The roster: the seeded catalogue, people, primaries and backups in
//! order, and the gaps the page warns about.
mod support;

use app::{auth::Role, environment::Environment, roster::Roster};
use support::{spawn_app, TestApp};

async fn roster(app: &TestApp) -> Roster {
    let res = app.post_form("/api/roster", "").await;
    assert_eq!(res.status, 200, "{}", res.body);
    serde_json::from_str(&res.body).expect("roster")
}

async fn add_person(app: &TestApp, name: &str) -> i64 {
    let res = app
        .post_form(
            "/api/roster/person",
            &format!("person_id=&name={name}&team=Ops&email=&phone=&chat=&account="),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    roster(app)
        .await
        .people
        .iter()
        .find(|p| p.name == name)
        .expect("added")
        .id
}

async fn change(app: &TestApp, role: i64, person: i64, what: &str) -> support::Answer {
    app.post_form(
        "/api/roster/holders",
        &format!("role_id={role}&person_id={person}&change={what}"),
    )
    .await
}

#[tokio::test]
async fn a_new_database_has_the_five_standard_roles_and_every_role_is_a_gap() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Viewer)
        .await;
    let r = roster(&app).await;
    let names: Vec<&str> = r.roles.iter().map(|c| c.role.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Incident Commander",
            "Communications Lead",
            "Scribe",
            "Operations Lead",
            "Security Lead"
        ]
    );
    assert!(r.roles[0].role.duties.contains("Declare the incident"));
    assert_eq!(r.gaps().without_primary.len(), 5);
    let page = app.get("/roster").await;
    assert!(page
        .body
        .contains("No primary: Incident Commander, Communications Lead"));
    assert!(
        !page.body.contains("Add as backup"),
        "viewers get no editing forms"
    );
}

#[tokio::test]
async fn editors_fill_roles_in_order_and_the_warnings_follow() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Editor)
        .await;
    let ic = roster(&app).await.roles[0].role.id;
    let scribe = roster(&app).await.roles[2].role.id;
    let (priya, sam, lee) = (
        add_person(&app, "Priya").await,
        add_person(&app, "Sam").await,
        add_person(&app, "Lee").await,
    );

    assert_eq!(change(&app, ic, sam, "backup").await.status, 200);
    assert_eq!(change(&app, ic, priya, "primary").await.status, 200);
    assert_eq!(change(&app, ic, lee, "backup").await.status, 200);
    assert_eq!(change(&app, ic, lee, "up").await.status, 200);
    let holders: Vec<i64> = roster(&app).await.roles[0]
        .holders
        .iter()
        .map(|(_, p)| *p)
        .collect();
    assert_eq!(
        holders,
        [priya, lee, sam],
        "primary first, then backups in order"
    );

    change(&app, scribe, priya, "primary").await;
    let gaps = roster(&app).await.gaps();
    assert_eq!(
        gaps.stretched,
        [(
            "Priya".to_owned(),
            vec!["Incident Commander".to_owned(), "Scribe".to_owned()]
        )]
    );
    assert!(gaps.without_backup.contains(&"Scribe".to_owned()));
    let page = app.get("/roster").await;
    assert!(page
        .body
        .contains("Priya holds several roles: Incident Commander, Scribe"));

    change(&app, scribe, priya, "remove").await;
    assert!(roster(&app).await.gaps().stretched.is_empty());
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM audit_log WHERE action = 'roster.change'")
            .fetch_one(&app.state.db.read)
            .await
            .expect("audit");
    assert_eq!(n, 6);
}

#[tokio::test]
async fn bad_roster_input_names_the_field_and_changes_nothing() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Editor)
        .await;
    let res = app
        .post_form(
            "/api/roster/person",
            "person_id=&name=+&team=&email=&phone=&chat=&account=",
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Name"), "{}", res.body);
    let res = app
        .post_form(
            "/api/roster/person",
            "person_id=&name=Kim&team=&email=&phone=&chat=&account=nobody%40example.com",
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body
            .contains("no account has the email nobody@example.com"),
        "{}",
        res.body
    );
    let res = app
        .post_form(
            "/api/roster/role",
            "role_id=&name=Scribe&description=&duties=",
        )
        .await;
    assert_eq!(res.status, 409, "role names are unique: {}", res.body);
    assert!(roster(&app).await.people.is_empty());
    assert_eq!(roster(&app).await.roles.len(), 5);
}

#[tokio::test]
async fn editors_edit_a_roles_duties_and_add_a_role() {
    let app = spawn_app(Environment::Production)
        .await
        .signed_in_as(Role::Editor)
        .await;
    let scribe = roster(&app).await.roles[2].role.id;
    let res = app
        .post_form(
            "/api/roster/role",
            &format!(
                "role_id={scribe}&name=Scribe&description=Keeps+the+record&duties=-+Write+it+down"
            ),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let res = app
        .post_form(
            "/api/roster/role",
            "role_id=&name=Customer+Liaison&description=Talks+to+key+accounts&duties=",
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let r = roster(&app).await;
    assert_eq!(r.roles[2].role.duties, "- Write it down");
    assert_eq!(
        r.roles.last().map(|c| c.role.name.as_str()),
        Some("Customer Liaison")
    );
    let page = app.get("/roster/roles").await;
    assert!(page.body.contains("Customer Liaison") && page.body.contains("- Write it down"));
}
