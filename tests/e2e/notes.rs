use e2e::{Browser, Muster, MusterOptions};
use fantoccini::{key::Key, Locator};

#[tokio::test]
async fn the_hydrated_form_adds_a_note_without_reloading_the_page() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "responder").await;
    browser.goto(&muster.url("/notes")).await;
    browser.wait_hydrated().await;
    assert!(browser.body_text().await.contains("No notes yet"));
    // A value on the window survives only if the page is never reloaded.
    browser
        .client
        .execute("window.__still_here = 'yes'", vec![])
        .await
        .expect("mark");
    browser
        .fill("#team-note-body", "Stripe is degraded in eu-west")
        .await;
    browser.click("#team-note-form button[type=submit]").await;
    let row = browser
        .text_of(".note-list li:first-child .note-body")
        .await;
    assert_eq!(row, "Stripe is degraded in eu-west");
    let mark = browser
        .client
        .execute("return window.__still_here", vec![])
        .await
        .expect("read mark");
    assert_eq!(mark.as_str(), Some("yes"), "the page was reloaded");
    let field = browser
        .client
        .find(Locator::Css("#team-note-body"))
        .await
        .expect("field");
    assert_eq!(
        field.prop("value").await.expect("value").as_deref(),
        Some("")
    );

    // Stored, not just shown: a fresh load still has it.
    browser.goto(&muster.url("/notes")).await;
    browser.wait_for_text("Stripe is degraded in eu-west").await;
    browser.finish().await;
}

#[tokio::test]
async fn the_form_works_with_javascript_disabled() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::without_javascript().await;
    browser.sign_in_as(&muster, "responder").await;
    browser.goto(&muster.url("/notes")).await;
    let hydrated = browser
        .client
        .find(Locator::Css("section.notes"))
        .await
        .expect("board")
        .attr("data-hydrated")
        .await
        .expect("attr");
    assert_eq!(hydrated.as_deref(), Some("false"), "JavaScript ran");

    browser
        .fill("#team-note-body", "Zapier key rotated by Sam")
        .await;
    browser.submit("#team-note-form button[type=submit]").await;
    browser.wait_for_text("Zapier key rotated by Sam").await;
    let url = browser.client.current_url().await.expect("url");
    assert_eq!(url.path(), "/notes");

    // A note of only spaces passes the browser's check but not ours.
    browser.fill("#team-note-body", "   ").await;
    browser
        .client
        .find(Locator::Css("#team-note-body"))
        .await
        .expect("field")
        .send_keys(&(Key::Tab).to_string())
        .await
        .expect("tab");
    browser.submit("#team-note-form button[type=submit]").await;
    let alert = browser.text_of("[role=alert]").await;
    assert!(
        alert.contains("Note: write something before adding the note"),
        "{alert}"
    );
    assert!(
        browser
            .body_text()
            .await
            .contains("Zapier key rotated by Sam"),
        "stored notes stay"
    );
    browser.finish().await;
}

#[tokio::test]
async fn a_server_error_shows_a_plain_message_and_the_request_id() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "responder").await;
    browser.goto(&muster.url("/notes")).await;
    browser.wait_hydrated().await;
    // Every insert now fails on the server's side, as a real fault would.
    muster.behind_the_back("DROP TABLE notes").await;

    browser
        .fill("#team-note-body", "this will not be stored")
        .await;
    browser.click("#team-note-form button[type=submit]").await;
    let alert = browser.text_of("[role=alert]").await;
    assert!(
        alert.contains("Something went wrong on our side; nothing was changed."),
        "{alert}"
    );
    let reference = browser.text_of("[role=alert] .reference code").await;
    assert_eq!(reference.len(), 36, "a request id: {reference}");
    assert!(
        !browser.body_text().await.contains("no such table"),
        "internal detail shown"
    );

    // The operator finds the details in the log under the same id.
    let logs = muster.wait_for_log(|l| l.contains("internal error") && l.contains(&reference));
    let line = logs
        .lines()
        .find(|l| l.contains("internal error") && l.contains(&reference))
        .unwrap_or_else(|| panic!("no log line for {reference} in:\n{logs}"));
    assert!(line.contains("no such table"), "{line}");
    browser.finish().await;
}
