//! Runbooks and notice templates in the browser: an editor writes a
//! runbook in three phases, reorders, saves twice and compares versions; a
//! viewer cannot edit; the template preview warns about a misspelled
//! variable as it is typed; the author cannot approve, a second editor can.
use e2e::{Browser, Muster, MusterOptions};

async fn set_select(browser: &Browser, css: &str, value: &str) {
    browser
        .eval(&format!(
            "document.querySelector({css:?}).value = {value:?}; return true"
        ))
        .await;
}

async fn add_step(browser: &Browser, phase: &str, text: &str) {
    set_select(browser, "#step-new-phase", phase).await;
    browser.fill("#step-new-target", "15").await;
    browser.fill("#step-new-text", text).await;
    browser.submit("#step-new-form button[type=submit]").await;
}

async fn steps_of(browser: &Browser, phase: &str) -> String {
    browser
        .text_of(&format!("section[data-phase={phase}] .steps"))
        .await
}

#[tokio::test]
async fn an_editor_writes_a_runbook_reorders_saves_twice_and_compares_versions() {
    let muster = Muster::start(MusterOptions::default());
    let editor = Browser::start().await;
    editor.sign_in_as(&muster, "editor").await;
    editor.goto(&muster.url("/runbooks")).await;
    editor.fill("#new-title", "Card payments failing").await;
    editor.submit(".new-plan button[type=submit]").await;
    editor.wait_for_text("Editing Card payments failing").await;
    let edit_path = editor.eval("return location.pathname").await;
    let edit_path = edit_path.as_str().expect("path").to_owned();
    let base = edit_path.trim_end_matches("/edit").to_owned();

    add_step(
        &editor,
        "triage",
        "Check **status.stripe.com** <script>document.title='owned'</script>",
    )
    .await;
    add_step(&editor, "triage", "Open the incident channel").await;
    add_step(&editor, "containment", "Pause the retry job").await;
    add_step(&editor, "recovery", "Reconcile charges against orders").await;
    let triage = steps_of(&editor, "triage").await;
    assert!(
        triage.find("status.stripe.com") < triage.find("Open the incident channel"),
        "{triage}"
    );
    assert!(
        triage.contains("<script>document.title='owned'</script>"),
        "the script is shown as text: {triage}"
    );
    assert!(steps_of(&editor, "containment")
        .await
        .contains("Pause the retry job"));

    editor.fill("#change-note", "First steps").await;
    editor.submit("#save-version button[type=submit]").await;
    let page = editor.wait_for_text("Version 2 saved").await;
    assert!(page.contains("First steps"), "{page}");
    let title = editor.eval("return document.title").await;
    assert!(
        !title.as_str().unwrap_or_default().contains("owned"),
        "no script ran"
    );

    // Reorder with the buttons (no script needed), then save again.
    editor.goto(&muster.url(&edit_path)).await;
    editor
        .submit("section[data-phase=triage] li.step:nth-child(2) button[value=up]")
        .await;
    let triage = steps_of(&editor, "triage").await;
    assert!(
        triage.find("Open the incident channel") < triage.find("status.stripe.com"),
        "{triage}"
    );
    editor.fill("#change-note", "Open the channel first").await;
    editor.submit("#save-version button[type=submit]").await;
    editor.wait_for_text("Version 3 saved").await;

    // The history compares the last two versions, and any two on request.
    editor.goto(&muster.url(&format!("{base}/history"))).await;
    let diff = editor.text_of(".diff").await;
    assert!(diff.contains("Open the incident channel"), "{diff}");
    // The moved step leaves its old place and appears in its new one.
    editor.text_of(".diff-line.removed").await;
    let lines = |class: &str| {
        format!("return [...document.querySelectorAll('.diff-line.{class} .text')].map(e => e.textContent).join('\\n')")
    };
    let removed = editor.eval(&lines("removed")).await;
    let added = editor.eval(&lines("added")).await;
    for side in [&removed, &added] {
        let text = side.as_str().unwrap_or_default();
        assert!(text.contains("Open the incident channel"), "{text}");
    }
    let versions = editor.text_of("#versions").await;
    for note in ["Open the channel first", "First steps", "Created"] {
        assert!(versions.contains(note), "{versions}");
    }
    set_select(&editor, "#from", "1").await;
    set_select(&editor, "#to", "3").await;
    editor.submit(".compare button[type=submit]").await;
    editor
        .wait_for_text("Changes from version 1 to version 3")
        .await;
    let diff = editor.text_of(".diff").await;
    assert!(diff.contains("Reconcile charges against orders"), "{diff}");
    editor.finish().await;

    // A viewer reads the runbook but cannot edit it.
    let viewer = Browser::start().await;
    viewer.sign_in_as(&muster, "viewer").await;
    viewer.goto(&muster.url(&base)).await;
    viewer
        .wait_for_text("Reconcile charges against orders")
        .await;
    let forms = viewer
        .eval("return document.querySelectorAll('main form, main a[href$=\"/edit\"]').length")
        .await;
    assert_eq!(forms, 0, "a viewer sees no edit link and no forms");
    viewer.goto(&muster.url(&edit_path)).await;
    viewer.wait_for_text("Not allowed").await;
    viewer.finish().await;
}

#[tokio::test]
async fn the_preview_warns_of_a_misspelled_variable_and_a_second_editor_approves() {
    let muster = Muster::start(MusterOptions::default());
    let author = Browser::start().await;
    author.sign_in_as(&muster, "editor").await;
    author.goto(&muster.url("/notices")).await;
    author.click("details > summary").await;
    author.wait_hydrated().await;
    author.fill("#notice-new-title", "Checkout degraded").await;
    author
        .fill("#notice-new-subject", "Payments are failing")
        .await;
    author
        .fill("#notice-new-body", "Hi {{ custmer_name }}, we are on it.")
        .await;
    let preview = author
        .wait_for_text_in("#notice-preview", |t| t.contains("Unknown variables"))
        .await;
    assert!(
        preview.contains("Unknown variables (check the spelling): custmer_name"),
        "{preview}"
    );
    author
        .fill("#notice-new-body", "Hi {{ customer_name }}, we are on it.")
        .await;
    let preview = author
        .wait_for_text_in("#notice-preview", |t| {
            t.contains("Ada Lovelace, we are on it.")
        })
        .await;
    assert!(
        preview.contains("Hi Ada Lovelace, we are on it."),
        "{preview}"
    );
    assert!(!preview.contains("Unknown variables"), "{preview}");
    author.submit("#notice-new-form button[type=submit]").await;
    let page = author
        .wait_for_text("You wrote this version, so another editor must approve it.")
        .await;
    assert!(page.contains("Not approved yet"), "{page}");
    let buttons = author
        .eval("return document.querySelectorAll('#approve-form').length")
        .await;
    assert_eq!(buttons, 0, "the author gets no approve button");
    let path = author.eval("return location.pathname").await;
    let path = path.as_str().expect("path").to_owned();
    author.finish().await;

    let second = Browser::start().await;
    second.sign_in_as(&muster, "editor").await;
    second.goto(&muster.url(&path)).await;
    second.submit("#approve-form button[type=submit]").await;
    let status = second
        .wait_for_text_in("#approval-status", |t| t.contains("approved by"))
        .await;
    assert!(
        status.contains("In use: version 1 is approved."),
        "{status}"
    );
    assert!(
        status.contains("approved by editor1@example.com"),
        "{status}"
    );
    second.finish().await;
}
