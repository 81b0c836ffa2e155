use e2e::{Browser, Muster, MusterOptions};
use fantoccini::Locator;

#[tokio::test]
async fn the_overview_shows_the_shell_with_navigation_and_version() {
    let muster = Muster::start(MusterOptions::default());
    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "viewer").await;
    browser.goto(&muster.url("/")).await;
    assert_eq!(browser.text_of("header .brand").await, "Muster");
    let nav = browser.text_of("nav[aria-label=Main]").await;
    assert!(
        nav.contains("Overview") && nav.contains("Team notes"),
        "{nav}"
    );
    assert!(browser
        .text_of("footer")
        .await
        .contains(&format!("Muster {}", env!("CARGO_PKG_VERSION"))));
    assert!(browser
        .client
        .find(Locator::Css("main#main h1"))
        .await
        .is_ok());
    assert!(
        browser
            .client
            .find(Locator::Css(".env-banner"))
            .await
            .is_err(),
        "production has no banner"
    );
    assert_eq!(browser.client.title().await.expect("title"), "Muster");

    browser.submit("nav a[href='/notes']").await;
    assert_eq!(browser.text_of("main h1").await, "Team notes");
    let current = browser.text_of("nav a[aria-current=page]").await;
    assert_eq!(current, "Team notes");
    browser.finish().await;
}

#[tokio::test]
async fn a_staging_server_shows_the_banner_on_every_page() {
    let muster = Muster::start(MusterOptions {
        environment: Some("staging"),
        ..Default::default()
    });
    let browser = Browser::start().await;
    browser.goto(&muster.url("/sign-in")).await;
    assert!(
        browser.text_of(".env-banner").await.starts_with("STAGING"),
        "before signing in"
    );
    browser.sign_in_as(&muster, "viewer").await;
    for path in ["/", "/notes", "/nowhere"] {
        browser.goto(&muster.url(path)).await;
        let banner = browser.text_of(".env-banner").await;
        assert!(banner.starts_with("STAGING"), "{path}: {banner}");
        let title = browser.client.title().await.expect("title");
        assert!(title.starts_with("[STAGING]"), "{path}: {title}");
    }
    browser.finish().await;
}

#[tokio::test]
async fn the_layout_fits_a_phone_screen_without_sideways_scrolling() {
    let muster = Muster::start(MusterOptions {
        environment: Some("sandbox"),
        demo: true,
        ..Default::default()
    });
    let browser = Browser::start().await;
    browser
        .client
        .set_window_size(375, 740)
        .await
        .expect("resize");
    browser.sign_in_as(&muster, "viewer").await;
    for (path, text) in [
        ("/notes", "Quarterly tabletop drill"),
        ("/incidents", "Card payments failing at checkout"),
        ("/incidents/1", "How it went"),
        ("/runbooks", "Payment provider outage"),
        ("/notices/1", "Preview with sample values"),
    ] {
        browser.goto(&muster.url(path)).await;
        browser.wait_for_text(text).await;
        let overflow = browser
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .expect("script");
        assert_eq!(
            overflow.as_i64(),
            Some(0),
            "{path} scrolls sideways on a phone"
        );
    }
    browser.finish().await;
}
