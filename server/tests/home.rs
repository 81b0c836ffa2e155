//! The home page a responder opens first, on a real SQLite file: empty,
//! each block says so in words; with the demo and an open incident, it
//! shows the incident with its clock and commander, the notice waiting
//! for a second person (not for the one who drafted it), the drill action
//! item, and a trend chart per runbook that marks drills apart.
mod support;

use app::{auth::Role, environment::Environment};
use support::{form, manual_clock, spawn_app};

#[tokio::test]
async fn an_empty_muster_says_what_each_block_is_waiting_for() {
    let app = spawn_app(Environment::Sandbox)
        .await
        .signed_in_as(Role::Viewer)
        .await;
    let page = app.get("/").await.ok().body;
    for said in [
        "No open incidents.",
        "No notices are waiting for you.",
        "Nothing overdue.",
        "No drills coming up.",
        "No open action items.",
        "No incidents or drills on a runbook yet.",
    ] {
        assert!(page.contains(said), "{said} in {page}");
    }
    for link in [
        "href=\"/incidents\"",
        "href=\"/roster\"",
        "href=\"/drills\"",
    ] {
        assert!(page.contains(link), "{link}");
    }
}

#[tokio::test]
async fn the_home_page_gathers_what_needs_attention() {
    let clock = manual_clock();
    let app = spawn_app(Environment::Sandbox)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await;
    let rae = app.session_of("responder@demo.muster").await;
    let eli = app.session_of("editor@demo.muster").await;
    let (runbook,): (i64,) = sqlx::query_as(
        "SELECT id FROM plans WHERE kind = 'runbook' AND title = 'Payment provider outage'",
    )
    .fetch_one(&app.state.db.read)
    .await
    .expect("runbook");
    app.post_as(
        &rae,
        "/api/incidents/declare",
        &form(&[
            ("title", "Refunds stuck"),
            ("severity", "sev2"),
            ("impact", "Refunds do not reach customers."),
            ("runbook", &runbook.to_string()),
        ]),
    )
    .await
    .ok();
    let (incident,): (i64,) = sqlx::query_as("SELECT MAX(id) FROM incidents")
        .fetch_one(&app.state.db.read)
        .await
        .expect("incident");
    let (template,): (i64,) = sqlx::query_as(
        "SELECT id FROM plans WHERE kind = 'template' AND title = 'Payment outage: investigating'",
    )
    .fetch_one(&app.state.db.read)
    .await
    .expect("template");
    app.post_as(
        &rae,
        "/api/incidents/notice/draft",
        &form(&[
            ("id", &incident.to_string()),
            ("template", &template.to_string()),
            ("values[company_name]", "Example Ltd"),
            ("values[affected_services]", "Refunds"),
            ("values[workaround]", "None yet"),
            ("next_update_minutes", "30"),
        ]),
    )
    .await
    .ok();
    clock.advance(chrono::Duration::minutes(25));

    let for_eli = app.get_as(&eli, "/").await.ok().body;
    let open = for_eli
        .split("id=\"open-incidents\"")
        .nth(1)
        .expect("open list");
    assert!(
        open.contains("Refunds stuck")
            && open.contains("25m 00s")
            && open.contains("commander: Ada Admin"),
        "{open}"
    );
    let waiting = for_eli
        .split("id=\"waiting-notices\"")
        .nth(1)
        .expect("waiting");
    assert!(
        waiting.starts_with(" class=\"home-list\"")
            && waiting.contains("Refunds stuck")
            && waiting.contains("drafted by Rae Responder"),
        "{waiting}"
    );
    let for_rae = app.get_as(&rae, "/").await.ok().body;
    assert!(
        for_rae.contains("No notices are waiting for you."),
        "the drafter cannot approve their own notice"
    );
    let actions = for_eli
        .split("id=\"open-actions\"")
        .nth(1)
        .expect("actions");
    assert!(
        actions.contains("duplicate charges: investigating") && actions.contains("/report"),
        "{actions}"
    );
    let trends = for_eli.split("id=\"trends\"").nth(1).expect("trends");
    assert!(trends.contains("<svg"), "{trends}");
    assert!(
        trends.contains("class=\"point real\""),
        "a real incident is drawn"
    );
    assert!(
        trends.contains("class=\"point drill\""),
        "and the demo drill, apart"
    );
    assert!(trends.contains("Payment provider outage"));
}
