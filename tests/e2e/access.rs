//! Reachable by keyboard, visibly focused, labelled, and comfortable in the
//! dark: what a tired person at 3 a.m. needs from every page.
use e2e::{Browser, Muster, MusterOptions};
use fantoccini::key::Key;

const FOCUSED: &str = "const e = document.activeElement; \
     return { id: e.id, tag: e.tagName, text: e.textContent.trim(), \
              outline: getComputedStyle(e).outlineStyle, width: getComputedStyle(e).outlineWidth };";

#[tokio::test]
async fn a_note_can_be_added_with_the_keyboard_alone_and_focus_is_always_visible() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "responder").await;
    browser.goto(&muster.url("/notes")).await;
    browser.wait_hydrated().await;

    browser.press(Key::Tab).await;
    let first = browser.eval(FOCUSED).await;
    assert_eq!(first["text"], "Skip to content", "first stop: {first}");

    let mut stops = Vec::new();
    // The header's links come first; the navigation grows with each area.
    for _ in 0..16 {
        let focused = browser.eval(FOCUSED).await;
        assert_ne!(
            focused["outline"], "none",
            "focus is invisible on {focused}"
        );
        assert_ne!(focused["width"], "0px", "focus is invisible on {focused}");
        if focused["id"] == "team-note-body" {
            break;
        }
        stops.push(focused["text"].as_str().unwrap_or_default().to_owned());
        browser.press(Key::Tab).await;
    }
    assert_eq!(
        browser.eval(FOCUSED).await["id"],
        "team-note-body",
        "never reached the note field: {stops:?}"
    );
    assert!(
        stops.iter().any(|s| s == "Team notes"),
        "the navigation is on the way: {stops:?}"
    );

    for c in "Typed without a mouse".chars() {
        browser.press(c).await;
    }
    browser.press(Key::Tab).await;
    assert_eq!(browser.eval(FOCUSED).await["text"], "Add note");
    browser.press(Key::Enter).await;
    assert_eq!(
        browser
            .text_of(".note-list li:first-child .note-body")
            .await,
        "Typed without a mouse"
    );
    browser.finish().await;
}

#[tokio::test]
async fn every_input_has_a_label() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "responder").await;
    browser.goto(&muster.url("/notes")).await;
    let unlabelled = browser
        .eval(
            "return [...document.querySelectorAll('input:not([type=hidden]), textarea, select')] \
             .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')) \
             .map(e => e.outerHTML);",
        )
        .await;
    assert_eq!(unlabelled, serde_json::json!([]));
    let fields = browser
        .eval("return document.querySelectorAll('textarea').length")
        .await;
    assert_eq!(fields, 1, "the check looked at the form");
    browser.finish().await;
}

#[tokio::test]
async fn the_pages_follow_a_dark_system_theme() {
    let muster = Muster::start(MusterOptions::default());
    let dark = Browser::in_dark_mode().await;
    dark.goto(&muster.url("/sign-in")).await;
    let background = dark
        .eval("return getComputedStyle(document.body).backgroundColor")
        .await;
    assert_eq!(background, "rgb(20, 22, 26)", "dark background");
    dark.finish().await;

    let light = Browser::start().await;
    light.goto(&muster.url("/sign-in")).await;
    let background = light
        .eval("return getComputedStyle(document.body).backgroundColor")
        .await;
    assert_eq!(background, "rgb(247, 247, 245)", "light background");
    light.finish().await;
}
