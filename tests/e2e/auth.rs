//! Accounts in the browser: first-run setup, signing in and out, a wrong
//! password, and a role that may not open a page.
use e2e::{Browser, Muster, MusterOptions};

#[tokio::test]
async fn the_first_visit_sets_up_the_administrator_and_signs_them_in() {
    let muster = Muster::start(MusterOptions::default());
    assert!(muster
        .printed()
        .contains("/setup to create the first administrator"));
    let browser = Browser::start().await;
    browser.goto(&muster.url("/notes")).await;
    assert_eq!(browser.text_of("main h1").await, "Set up Muster");
    browser.fill("#setup-email", "ida@example.com").await;
    browser.fill("#setup-name", "Ida Commander").await;
    browser
        .fill("#setup-password", "tabletop every quarter")
        .await;
    browser
        .fill("#setup-repeat", "tabletop every quarter")
        .await;
    browser.submit("#setup-form button[type=submit]").await;
    let header = browser.text_of(".user-menu").await;
    assert!(
        header.contains("Ida Commander") && header.contains("admin"),
        "{header}"
    );
    assert!(browser
        .text_of("nav[aria-label=Main]")
        .await
        .contains("Audit log"));

    // The audit log shows what just happened.
    browser.goto(&muster.url("/admin/audit")).await;
    let table = browser.text_of("table.audit").await;
    assert!(
        table.contains("user.create") && table.contains("session.sign_in"),
        "{table}"
    );

    // Setup is a one-time door.
    browser.goto(&muster.url("/setup")).await;
    assert_eq!(browser.client.current_url().await.expect("url").path(), "/");
    browser.finish().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_saying_whether_the_account_exists() {
    let muster = Muster::start(MusterOptions::default());
    let (email, password) = muster.add_user("editor");
    let browser = Browser::start().await;
    browser.goto(&muster.url("/sign-in")).await;
    browser.fill("#sign-in-email", &email).await;
    browser.fill("#sign-in-password", "definitely not it").await;
    browser.submit("#sign-in-form button[type=submit]").await;
    assert_eq!(
        browser.text_of("[role=alert]").await,
        "The email or password is not right."
    );

    browser.fill("#sign-in-email", "nobody@example.com").await;
    browser.fill("#sign-in-password", "definitely not it").await;
    browser.submit("#sign-in-form button[type=submit]").await;
    assert_eq!(
        browser.text_of("[role=alert]").await,
        "The email or password is not right."
    );

    browser.sign_in(&muster, &email, &password).await;
    assert!(browser.text_of(".user-menu").await.contains("editor"));
    browser.finish().await;
}

#[tokio::test]
async fn a_viewer_is_not_allowed_the_audit_log() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "viewer").await;
    assert!(!browser
        .text_of("nav[aria-label=Main]")
        .await
        .contains("Audit log"));
    browser.goto(&muster.url("/admin/audit")).await;
    assert_eq!(browser.text_of("main h1").await, "Not allowed");
    assert!(browser
        .body_text()
        .await
        .contains("Your role does not allow this page."));
    browser.finish().await;
}

#[tokio::test]
async fn signing_out_returns_to_the_sign_in_page_and_closes_the_pages() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "responder").await;
    browser.submit(".user-menu button[type=submit]").await;
    assert_eq!(browser.text_of("main h1").await, "Sign in");
    browser.goto(&muster.url("/notes")).await;
    let url = browser.client.current_url().await.expect("url");
    assert_eq!((url.path(), url.query()), ("/sign-in", Some("next=/notes")));
    browser.finish().await;
}

#[tokio::test]
async fn an_admin_filters_the_audit_log_by_action() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "admin").await;
    browser.goto(&muster.url("/admin/audit")).await;
    browser.fill("#f-action", "session.").await;
    browser.submit("form.filters button[type=submit]").await;
    browser.wait_for_text("session.sign_in").await;
    let table = browser.text_of("table.audit").await;
    assert!(
        !table.contains("user.create"),
        "the filter keeps only session entries: {table}"
    );
    assert_eq!(
        browser.client.current_url().await.expect("url").query(),
        Some("actor=&action=session.&since=&until=")
    );
    browser.finish().await;
}

#[tokio::test]
async fn signing_out_everywhere_else_ends_the_other_browsers_session() {
    let muster = Muster::start(MusterOptions::default());
    let (email, password) = muster.add_user("viewer");
    let laptop = Browser::start().await;
    let phone = Browser::start().await;
    laptop.sign_in(&muster, &email, &password).await;
    phone.sign_in(&muster, &email, &password).await;

    laptop.goto(&muster.url("/account")).await;
    let rows = laptop
        .eval("return document.querySelectorAll('#sessions tbody tr').length")
        .await;
    assert_eq!(rows, 2, "both browsers are listed");
    laptop.submit("#end-others-form button[type=submit]").await;
    laptop.wait_for_text("My account").await;
    let rows = laptop
        .eval("return document.querySelectorAll('#sessions tbody tr').length")
        .await;
    assert_eq!(rows, 1, "only this browser is left");

    phone.goto(&muster.url("/notes")).await;
    assert_eq!(phone.text_of("main h1").await, "Sign in");
    laptop.goto(&muster.url("/notes")).await;
    assert_eq!(laptop.text_of("main h1").await, "Team notes");
    laptop.finish().await;
    phone.finish().await;
}

#[tokio::test]
async fn an_admin_disables_an_account_from_the_accounts_page() {
    let muster = Muster::start(MusterOptions::default());
    let (email, password) = muster.add_user("responder");
    let admin = Browser::start().await;
    admin.sign_in_as(&muster, "admin").await;
    admin.goto(&muster.url("/admin/users")).await;
    admin
        .submit(&format!("tr[data-email='{email}'] .toggle-disabled button"))
        .await;
    admin.wait_for_text("disabled").await;
    let status = admin
        .text_of(&format!("tr[data-email='{email}'] td:nth-child(3)"))
        .await;
    assert!(status.starts_with("disabled"), "{status}");

    let them = Browser::start().await;
    them.goto(&muster.url("/sign-in")).await;
    them.fill("#sign-in-email", &email).await;
    them.fill("#sign-in-password", &password).await;
    them.submit("#sign-in-form button[type=submit]").await;
    assert_eq!(
        them.text_of("[role=alert]").await,
        "The email or password is not right."
    );
    admin.finish().await;
    them.finish().await;
}

#[tokio::test]
async fn repeated_wrong_passwords_are_slowed_down_and_the_page_says_when_to_retry() {
    let muster = Muster::start(MusterOptions::default());
    let (email, _) = muster.add_user("viewer");
    let browser = Browser::start().await;
    browser.goto(&muster.url("/sign-in")).await;
    let attempt = |pass: String| {
        let (browser, email) = (&browser, &email);
        async move {
            browser.fill("#sign-in-email", email).await;
            browser.fill("#sign-in-password", &pass).await;
            // Each answer is a new page: take the last one's alert away so
            // only the new page's can be read.
            browser
                .eval("document.querySelectorAll('[role=alert]').forEach(e => e.remove())")
                .await;
            browser.submit("#sign-in-form button[type=submit]").await;
            browser
                .wait_for_text_in("[role=alert]", |t| !t.is_empty())
                .await
        }
    };
    for n in 1..=3 {
        assert_eq!(
            attempt(format!("wrong guess {n}")).await,
            "The email or password is not right."
        );
    }
    // Each further wrong guess waits longer (5 s, 10 s, 20 s ...), so
    // however slow the browser, one soon arrives inside its wait.
    let mut alert = String::new();
    for n in 4..=10 {
        alert = attempt(format!("wrong guess {n}")).await;
        if alert.starts_with("Too many attempts") {
            break;
        }
        assert_eq!(alert, "The email or password is not right.");
    }
    assert!(
        alert.starts_with("Too many attempts. Try again in"),
        "{alert}"
    );
    assert!(alert.ends_with("seconds."), "{alert}");
    browser.finish().await;
}

/// The code an authenticator app shows for this base32 key, `ahead`
/// seconds from now.
fn app_code(key: &str, ahead: u64) -> String {
    use totp_rs::{Algorithm, Secret, TOTP};
    let secret = Secret::Encoded(key.to_owned())
        .to_bytes()
        .expect("base32 key");
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, secret).expect("totp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    totp.generate(now + ahead)
}

#[tokio::test]
async fn a_person_enrols_in_two_step_sign_in_and_signs_in_with_a_code() {
    let muster = Muster::start(MusterOptions::default());
    let (email, password) = muster.add_user("editor");
    let browser = Browser::start().await;
    browser.sign_in(&muster, &email, &password).await;
    browser.goto(&muster.url("/account")).await;
    browser.submit("#mfa-start-form button").await;
    let key = browser.text_of("#totp-secret").await;
    let qr = browser
        .eval("return document.querySelector('.qr svg') !== null")
        .await;
    assert_eq!(qr, true, "a QR code is shown");
    browser.fill("#mfa-code", &app_code(&key, 0)).await;
    browser.submit("#mfa-confirm-form button").await;
    let codes = browser.text_of("#recovery-codes").await;
    assert!(codes.contains("Save these recovery codes now"), "{codes}");
    assert!(browser
        .body_text()
        .await
        .contains("Two-step sign-in is on."));

    browser.submit(".user-menu button[type=submit]").await;
    browser.goto(&muster.url("/sign-in")).await;
    browser.fill("#sign-in-email", &email).await;
    browser.fill("#sign-in-password", &password).await;
    browser.submit("#sign-in-form button[type=submit]").await;
    assert_eq!(browser.text_of("main h1").await, "Two-step sign-in");
    // The code used to confirm is spent; the app's next one is not.
    browser.fill("#mfa-sign-in-code", &app_code(&key, 30)).await;
    browser.submit("#mfa-form button").await;
    let header = browser.text_of(".user-menu").await;
    assert!(header.contains("editor"), "signed in: {header}");
    browser.finish().await;
}
