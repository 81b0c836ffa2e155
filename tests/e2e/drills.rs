//! A tabletop drill in the browser: a facilitator and two players, each in
//! a browser of their own. The players open the planned drill before it
//! starts; the facilitator starts it at 10x and its first inject arrives on
//! their pages as new; an
//! inject for the Communications Lead reaches only that player, live; the
//! players draft, approve and publish a notice on the drill incident (it
//! goes nowhere outside Muster) and the expectation turns met on the
//! facilitator's console without a reload; pause stands the clock and
//! holds back the next inject; the drill ends and its report shows the
//! score with its coverage.
use e2e::{Browser, Muster, MusterOptions};
use std::time::Duration;

/// Makes an account for a role and links it to a person on the roster, as
/// an admin would on the roster page.
async fn player(muster: &Muster, person: &str) -> (String, String) {
    let (email, password) = muster.add_user("responder");
    muster
        .behind_the_back(&format!(
            "UPDATE people SET user_id = (SELECT id FROM users WHERE email = '{email}') \
             WHERE name = '{person}'"
        ))
        .await;
    (email, password)
}

/// Picks `option` in the select named `name` on the plan form.
async fn choose(browser: &Browser, name: &str, option: &str) {
    browser
        .eval(&format!(
            "const s = document.querySelector(\"#plan-drill select[name='{name}']\"); \
             s.value = [...s.options].find(o => o.text.startsWith('{option}')).value; return true"
        ))
        .await;
}

/// The id of a role on the plan form.
async fn role_field(browser: &Browser, role: &str) -> String {
    let name = browser
        .eval(&format!(
            "return [...document.querySelectorAll('#plan-drill label')] \
             .find(l => l.textContent.startsWith('{role}')).querySelector('select').name"
        ))
        .await;
    name.as_str().expect("role select").to_owned()
}

/// The page's run revision, once hydrated.
async fn revision(browser: &Browser) -> i64 {
    browser
        .eval("return Number(document.querySelector('.drill-run').dataset.revision)")
        .await
        .as_i64()
        .expect("revision")
}

/// "running · 07:30 of 45:00 · 10x" → "07:30" (minutes and seconds of
/// the drill's own time, which compare as text).
fn clock_of(status: &str) -> String {
    status
        .split(" · ")
        .nth(1)
        .and_then(|s| s.split(" of ").next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_facilitator_and_two_players_run_a_drill_to_its_report() {
    let muster = Muster::start(MusterOptions {
        demo: true,
        environment: Some("sandbox"),
        ..MusterOptions::default()
    });
    let (facilitator, commander, comms) = (
        Browser::start().await,
        Browser::start().await,
        Browser::start().await,
    );
    let sam = player(&muster, "Sam Ortiz").await;
    let priya = player(&muster, "Priya Shah").await;
    facilitator.sign_in_as(&muster, "admin").await;
    commander.sign_in(&muster, &sam.0, &sam.1).await;
    comms.sign_in(&muster, &priya.0, &priya.1).await;

    facilitator.goto(&muster.url("/drills")).await;
    choose(&facilitator, "scenario", "Checkout down").await;
    let field = role_field(&facilitator, "Incident Commander").await;
    choose(&facilitator, &field, "Sam Ortiz").await;
    let field = role_field(&facilitator, "Communications Lead").await;
    choose(&facilitator, &field, "Priya Shah").await;
    // Planned, not started: the players open its page before anything
    // is released.
    choose(&facilitator, "start", "(do not start yet)").await;
    facilitator.submit("#plan-drill button[type=submit]").await;
    let status = facilitator.text_of("#run-status").await;
    assert!(status.starts_with("scheduled"), "{status}");
    let run = facilitator
        .eval("return location.pathname")
        .await
        .as_str()
        .expect("path")
        .to_owned();
    for browser in [&commander, &comms] {
        browser.goto(&muster.url(&run)).await;
        browser.wait_hydrated().await;
        browser.eval("window.__never_reloaded = true").await;
    }
    assert!(commander
        .text_of("#injects")
        .await
        .contains("No injects for you yet"));

    // The facilitator starts it at 10x (the speed list is labelled).
    let labelled = facilitator
        .eval(
            "const s = document.querySelector('#drill-controls select[name=speed]'); \
             s.value = '10x'; return s.closest('label').textContent.trim().startsWith('Speed')",
        )
        .await;
    assert_eq!(labelled, true, "the speed list has a label");
    facilitator
        .submit("#drill-controls button[value=start]")
        .await;
    facilitator.wait_hydrated().await;
    let status = facilitator.text_of("#run-status").await;
    assert!(
        status.starts_with("running") && status.contains("10x"),
        "{status}"
    );
    // Running at 10x, the speed list shows 10x, not another speed.
    let shown = facilitator
        .eval("return document.querySelector('#drill-controls select[name=speed]').value")
        .await;
    assert_eq!(shown, "10x");

    // The first inject is new on a page that showed none: badge and title.
    let alert = "Alert: checkout error rate 38%";
    commander
        .wait_for_text_in(".inject.new", |t| t.contains(alert) && t.contains("New"))
        .await;
    let title = commander.eval("return document.title").await;
    assert_eq!(title, format!("New inject: {alert} · Drill").as_str());
    assert_eq!(
        commander.text_of("#my-roles").await,
        "You play Incident Commander."
    );
    assert_eq!(
        comms.text_of("#my-roles").await,
        "You play Communications Lead."
    );
    let first = commander.text_of("#injects").await;
    assert!(first.contains("Alert: checkout error rate 38%"), "{first}");
    assert!(
        !first.contains("Customer email"),
        "not yet released: {first}"
    );

    // The customer email is for the Communications Lead only. (The
    // facilitator's controls are plain forms: each loads the page again.)
    facilitator
        .submit("#drill-controls button[value=next]")
        .await;
    facilitator.wait_hydrated().await;
    facilitator.eval("window.__never_reloaded = true").await;
    let email = "Customer email: my card was declined twice";
    comms
        .wait_for_text_in(".inject.new", |t| t.contains(email) && t.contains("New"))
        .await;
    let title = comms.eval("return document.title").await;
    assert_eq!(title, format!("New inject: {email} · Drill").as_str());
    let seen = revision(&comms).await;
    // Once the commander's page has caught up with the same change, it
    // still does not show the email.
    for _ in 0..200 {
        if revision(&commander).await >= seen {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        revision(&commander).await >= seen,
        "the commander's page followed"
    );
    assert!(!commander.text_of("#injects").await.contains(email));

    // The players publish an investigating notice on the drill incident.
    let incident = comms
        .eval("return document.querySelector('#drill-incident').getAttribute('href')")
        .await
        .as_str()
        .expect("drill incident")
        .to_owned();
    let expectation = "tr[data-expectation='2-1'] .verdict-state";
    assert_eq!(facilitator.text_of(expectation).await, "pending");
    comms.goto(&muster.url(&incident)).await;
    assert!(comms.body_text().await.contains("DRILL"));
    comms.click("details.draft-notice > summary").await;
    comms.fill("#draft-company_name", "Example Ltd").await;
    comms.fill("#draft-affected_services", "Checkout").await;
    comms
        .fill("#draft-workaround", "Pay by bank transfer")
        .await;
    comms.submit("#draft-notice-form button[type=submit]").await;
    // The drill incident's page works as a real one does: live, in place.
    commander.goto(&muster.url(&incident)).await;
    commander.wait_hydrated().await;
    commander.click(".approve-notice button").await;
    comms.wait_hydrated().await;
    comms.wait_for_text_in(".publish-notice", |_| true).await;
    comms.click(".publish-notice button").await;
    let timeline = comms
        .wait_for_text_in("#timeline", |t| t.contains("DRILL, not sent"))
        .await;
    assert!(timeline.contains("Investigating"), "{timeline}");

    // The facilitator's console, never reloaded, shows it met.
    facilitator
        .wait_for_text_in(expectation, |t| t.starts_with("met"))
        .await;
    let score = facilitator.text_of("#score").await;
    assert!(score.contains("expectations judged"), "{score}");
    let same_page = facilitator
        .eval("return window.__never_reloaded === true")
        .await;
    assert_eq!(same_page, true, "the console updated without a reload");

    // Paused, the clock stands and the next inject waits.
    facilitator
        .submit("#drill-controls button[value=pause]")
        .await;
    let paused = facilitator
        .wait_for_text_in("#run-status", |t| t.starts_with("paused"))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        facilitator.text_of("#run-status").await,
        paused,
        "the clock stands"
    );
    let upcoming = facilitator.text_of("li.inject.upcoming").await;
    assert!(upcoming.contains("+12:00"), "{upcoming}");
    facilitator
        .submit("#drill-controls button[value=resume]")
        .await;
    // Running again, the clock moves on from where it stood.
    let stood = clock_of(&paused);
    facilitator
        .wait_for_text_in("#run-status", |t| {
            t.starts_with("running") && clock_of(t) > stood
        })
        .await;
    assert!(facilitator
        .text_of("li.inject.upcoming")
        .await
        .contains("+12:00"));

    facilitator
        .submit("#drill-controls button[value=end]")
        .await;
    facilitator
        .wait_for_text_in("#run-status", |t| t.starts_with("ended"))
        .await;
    comms.goto(&muster.url(&format!("{run}/report"))).await;
    let report = comms.text_of("#report-score").await;
    assert!(
        report.contains("judged met") && report.contains("of 4 injects had expectations"),
        "{report}"
    );
    let measures = comms.text_of("#report-measures").await;
    assert!(measures.contains("Time to first notice"), "{measures}");
    assert!(
        !measures.contains("Time to first notice: not reached"),
        "{measures}"
    );

    facilitator.finish().await;
    commander.finish().await;
    comms.finish().await;
}
