//! The roster in the browser: an editor adds a person and fills a role;
//! the warnings change; a viewer reads but cannot change it.
use e2e::{Browser, Muster, MusterOptions};

#[tokio::test]
async fn an_editor_fills_a_role_and_the_roster_stops_warning_about_it() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "editor").await;
    browser.goto(&muster.url("/roster")).await;
    let gaps = browser.text_of("#gaps").await;
    assert!(
        gaps.contains("No primary: Incident Commander, Communications Lead, Scribe"),
        "{gaps}"
    );

    browser.fill("#person-new-name", "Priya Shah").await;
    browser.fill("#person-new-team", "Support").await;
    browser.fill("#person-new-chat", "@priya").await;
    browser.submit("#add-person-form button[type=submit]").await;
    assert!(browser.text_of("#people").await.contains("Priya Shah"));

    browser
        .submit("article[data-role='Scribe'] .add-holder button[value=primary]")
        .await;
    let card = browser
        .text_of("article[data-role='Scribe'] .holders")
        .await;
    assert!(card.contains("Primary: Priya Shah (Support)"), "{card}");
    let gaps = browser.text_of("#gaps").await;
    let no_primary = gaps
        .lines()
        .find(|l| l.starts_with("No primary"))
        .unwrap_or_default();
    assert!(!no_primary.contains("Scribe"), "{gaps}");

    browser
        .submit("article[data-role='Incident Commander'] .add-holder button[value=backup]")
        .await;
    let gaps = browser.text_of("#gaps").await;
    assert!(
        gaps.contains("Priya Shah holds several roles: Incident Commander, Scribe"),
        "{gaps}"
    );
    browser.finish().await;

    let viewer = Browser::start().await;
    viewer.sign_in_as(&muster, "viewer").await;
    viewer.goto(&muster.url("/roster")).await;
    assert!(viewer
        .text_of("article[data-role='Scribe']")
        .await
        .contains("Priya Shah"));
    let forms = viewer
        .eval("return document.querySelectorAll('main form').length")
        .await;
    assert_eq!(forms, 0, "a viewer sees no editing forms");
    viewer.finish().await;
}
