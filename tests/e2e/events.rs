//! Evidence in the browser: an editor uploads the payment-outage story
//! file by file (each report page follows its import until it ends),
//! searches the failed charges, links three to the incident, and they
//! appear on its timeline, live on a colleague's open page too.
use e2e::{Browser, Muster, MusterOptions};
use std::path::Path;

fn story(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/events/story-payment-outage")
        .join(file)
        .canonicalize()
        .expect("fixture")
        .display()
        .to_string()
}

#[tokio::test]
async fn the_payment_outage_story_becomes_evidence_on_the_incident_timeline() {
    let muster = Muster::start(MusterOptions {
        demo: true,
        ..MusterOptions::default()
    });
    let (editor, colleague) = (Browser::start().await, Browser::start().await);
    editor.sign_in_as(&muster, "editor").await;
    colleague.sign_in_as(&muster, "viewer").await;

    // The incident first, so the colleague can watch it.
    editor.goto(&muster.url("/incidents")).await;
    editor
        .fill(
            "#declare-title-input",
            "Renewals declined at the card issuer",
        )
        .await;
    editor.submit("#declare-form button[type=submit]").await;
    editor
        .wait_for_text("Renewals declined at the card issuer")
        .await;
    let incident = editor.eval("return location.pathname").await;
    let incident = incident.as_str().expect("path").to_owned();
    colleague.goto(&muster.url(&incident)).await;
    colleague.wait_hydrated().await;

    for (file, format) in [
        ("stripe-events.json", "stripe"),
        ("zapier-zap-runs.json", "zapier"),
        ("pipedream-events.ndjson", "pipedream"),
        ("github-audit-log.json", "github"),
        ("cloudtrail.json", "cloudtrail"),
        ("app-events.ndjson", "generic"),
    ] {
        editor.goto(&muster.url("/imports")).await;
        let input = editor
            .client
            .find(fantoccini::Locator::Css("#import-file"))
            .await
            .expect("file input");
        input
            .send_keys(&story(file))
            .await
            .expect("choose the file");
        editor.submit("#import-form button[type=submit]").await;
        // The report follows the import (refreshing itself) until it ends.
        let state = editor
            .wait_for_text_in("#import-state", |t| t.starts_with("Imported as"))
            .await;
        assert_eq!(state, format!("Imported as {format}."), "{file}");
        let accepted = editor.text_of("#import-counts [data-count=accepted]").await;
        assert!(
            accepted.parse::<u32>().expect("a count") > 0,
            "{file}: {accepted}"
        );
    }

    // Search for the failed charges.
    editor.goto(&muster.url("/events")).await;
    editor.fill("#f-q", "charge.failed").await;
    editor.submit("#event-filters button[type=submit]").await;
    let rows = editor.text_of("#events tbody").await;
    assert!(rows.contains("charge.failed"), "{rows}");
    assert!(rows.contains("failure"), "{rows}");

    // Choose three and link them to the incident.
    let chosen = editor
        .eval(
            "const boxes = [...document.querySelectorAll('#events tr[data-event] input[type=checkbox]')].slice(0, 3); \
             boxes.forEach(b => b.checked = true); \
             const s = document.querySelector('#link-incident'); \
             s.value = [...s.options].find(o => o.text.includes('Renewals declined')).value; \
             return boxes.map(b => b.closest('tr').querySelector('code').textContent)",
        )
        .await;
    let chosen: Vec<String> = serde_json::from_value(chosen).expect("ids");
    assert_eq!(chosen.len(), 3);
    editor.submit("#link-form button[type=submit]").await;
    let timeline = editor
        .wait_for_text_in("#timeline", |t| {
            chosen.iter().all(|id| t.contains(id.as_str()))
        })
        .await;
    assert!(timeline.contains("via stripe:"), "{timeline}");
    // The colleague's open page shows them without reloading.
    colleague
        .wait_for_text_in("#timeline", |t| {
            chosen.iter().all(|id| t.contains(id.as_str()))
        })
        .await;

    editor.finish().await;
    colleague.finish().await;
}
