//! A review in the browser, written by a responder, published by a named
//! reviewer and read by a viewer, each in a browser of their own. The
//! author starts the review from the ended demo drill, cites an audit
//! event, sees a blame hint appear for "human error" as they type and go
//! when they rewrite it, adds two action items, and asks for review; the
//! reviewer publishes; the viewer reads it without a single form and
//! exports it as Markdown and as a printable page.
use e2e::{Browser, Muster, MusterOptions};

/// The first link on the page whose address matches `pattern` (a
/// JavaScript regular expression).
async fn link(browser: &Browser, pattern: &str) -> String {
    browser
        .eval(&format!(
            "return [...document.querySelectorAll('a')].map(a => a.getAttribute('href')) \
             .find(h => h && /{pattern}/.test(h)) || ''"
        ))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn fetch_text(browser: &Browser, path: &str) -> String {
    browser
        .eval(&format!("return fetch('{path}').then(r => r.text())"))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_review_is_written_hinted_published_and_exported() {
    let muster = Muster::start(MusterOptions {
        demo: true,
        environment: Some("sandbox"),
        ..MusterOptions::default()
    });
    let (author, reviewer, viewer) = (
        Browser::start().await,
        Browser::start().await,
        Browser::start().await,
    );
    author.sign_in_as(&muster, "responder").await;
    let (email, password) = muster.add_user("editor");
    reviewer.sign_in(&muster, &email, &password).await;
    viewer.sign_in_as(&muster, "viewer").await;

    // An imported event to cite, as found on the events page.
    author.goto(&muster.url("/events")).await;
    let event = link(&author, r"^\/events\/\d+$").await;
    let event: i64 = event
        .trim_start_matches("/events/")
        .parse()
        .unwrap_or_else(|_| panic!("an event link, not {event:?}"));

    // Start the review from the ended drill's report.
    author.goto(&muster.url("/drills")).await;
    let run = link(&author, r"^\/drills\/runs\/\d+$").await;
    assert!(!run.is_empty(), "the demo's drill run is listed");
    author.goto(&muster.url(&run)).await;
    author.submit("#report-link").await;
    author.submit("#review-form button[type=submit]").await;
    let review = author
        .eval("return location.pathname")
        .await
        .as_str()
        .expect("path")
        .to_owned();
    assert!(review.starts_with("/reviews/"), "{review}");
    assert_eq!(author.text_of("#review-state").await, "Draft");

    // Hints as the author types: they appear, and go once rewritten.
    author.wait_hydrated().await;
    author.click("#section-summary details summary").await;
    author
        .fill(
            "#text-summary",
            "The loop ran for an hour because of human error.",
        )
        .await;
    let hinted = author
        .wait_for_text_in("#section-summary .live-hints", |t| {
            t.contains("human error")
        })
        .await;
    assert!(hinted.contains("Name the conditions"), "{hinted}");
    author
        .fill(
            "#text-summary",
            &format!(
                "The retry policy had no limit, so the loop ran for an hour ([[event:{event}]])."
            ),
        )
        .await;
    author
        .wait_for_text_in("#section-summary .live-hints", str::is_empty)
        .await;
    let preview = author
        .wait_for_text_in("#section-summary .live-preview", |t| t.contains("event, "))
        .await;
    assert!(
        preview.contains("The retry policy had no limit"),
        "{preview}"
    );
    author
        .submit("#section-summary .section-editor button[type=submit]")
        .await;
    let saved = author.text_of("#section-summary > .markdown").await;
    assert!(
        saved.contains("stripe event, ") && !saved.contains("[[event:"),
        "the citation is a link with its source and time: {saved}"
    );

    // Two action items.
    for (title, due) in [
        ("Cap webhook retries per endpoint", "2030-01-15"),
        ("Alert when one endpoint's deliveries double", "2030-02-01"),
    ] {
        author.fill("#add-action input[name=title]", title).await;
        author
            .eval(&format!(
                "document.querySelector('#add-action input[name=due_on]').value = '{due}'; return true"
            ))
            .await;
        author.submit("#add-action button[type=submit]").await;
        author
            .wait_for_text_in("#review-actions", |t| t.contains(title))
            .await;
    }

    // Name the reviewer and ask for review.
    author
        .eval(
            "const s = document.querySelector('#add-reviewer select'); \
             s.value = [...s.options].find(o => o.text.startsWith('editor ')).value; return true",
        )
        .await;
    author.submit("#add-reviewer button[type=submit]").await;
    author
        .wait_for_text_in("#reviewers", |t| t.contains("editor "))
        .await;
    author.submit("#workflow .moves button[type=submit]").await;
    assert_eq!(author.text_of("#review-state").await, "In review");
    assert!(
        !author.body_text().await.contains("Approve and publish"),
        "the author does not publish their own review"
    );

    // The reviewer publishes.
    reviewer.goto(&muster.url(&review)).await;
    reviewer.submit("#workflow button.primary").await;
    assert_eq!(reviewer.text_of("#review-state").await, "Published");

    // The viewer reads it, with no form to change it, and exports it.
    viewer.goto(&muster.url(&review)).await;
    assert_eq!(viewer.text_of("#review-state").await, "Published");
    let forms = viewer
        .eval("return document.querySelectorAll('#review form, #review textarea').length")
        .await;
    assert_eq!(forms, 0, "a viewer reads, never edits");
    let md = fetch_text(&viewer, &format!("{review}/review.md")).await;
    for shown in [
        "# Review: ",
        "- State: Published, version 1, by editor ",
        "The retry policy had no limit, so the loop ran for an hour ([stripe event, ",
        ", fingerprint ",
        "| Cap webhook retries per endpoint | ",
        "| Alert when one endpoint's deliveries double | ",
    ] {
        assert!(md.contains(shown), "{shown:?} in {md}");
    }
    viewer.goto(&muster.url(&format!("{review}/print"))).await;
    let heading = viewer.text_of("h1").await;
    assert!(heading.starts_with("Review: "), "{heading}");
    let styled = viewer
        .eval(
            "return [getComputedStyle(document.querySelector('table')).borderCollapse, \
             !!document.querySelector('svg.review-picture'), \
             document.querySelectorAll('section.part').length]",
        )
        .await;
    assert_eq!(
        styled,
        serde_json::json!(["collapse", true, 10]),
        "the print styles apply under the page's policy; the picture and every part are there"
    );
    for b in [author, reviewer, viewer] {
        b.finish().await;
    }
    muster.stop();
}
