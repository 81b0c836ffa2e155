use crate::PATIENCE;
use fantoccini::{
    actions::InputSource,
    actions::{KeyAction, KeyActions},
    Client, ClientBuilder, Locator,
};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium driven through its own chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Browser {
    pub async fn start() -> Browser {
        Self::launch(&[]).await
    }

    /// A browser that runs no JavaScript at all, as when the WASM fails.
    pub async fn without_javascript() -> Browser {
        Self::launch(&["--blink-settings=scriptEnabled=false"]).await
    }

    /// A browser whose system asks for dark colours.
    pub async fn in_dark_mode() -> Browser {
        Self::launch(&["--blink-settings=preferredColorScheme=0"]).await
    }

    async fn launch(extra_args: &[&str]) -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium-driver)");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1200,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.extend(extra_args.iter().map(|a| (*a).to_owned()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => panic!("chromedriver did not answer: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Waits for an element a person would see, then returns its text.
    pub async fn text_of(&self, css: &str) -> String {
        self.wait_for_text_in(css, |_| true).await
    }

    /// Clicks something that loads a new page (a plain form's button, a
    /// link) and waits until the new page has replaced the old one, so
    /// nothing read afterwards can come from the page that was left.
    pub async fn submit(&self, css: &str) {
        self.eval("window.__muster_old_page = true").await;
        self.click(css).await;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let replaced = self
                .client
                .execute(
                    "return window.__muster_old_page !== true && document.readyState === 'complete'",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if replaced {
                return;
            }
            if Instant::now() > deadline {
                panic!("clicking {css} did not load a new page");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the element's text satisfies `ok` (re-finding it, so a
    /// page that is being replaced is simply waited out), then returns it.
    pub async fn wait_for_text_in(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut last = String::new();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = el.text().await {
                    if ok(&text) {
                        return text;
                    }
                    last = text;
                }
            }
            if Instant::now() > deadline {
                panic!("{css} never showed the expected text; last seen: {last:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.body_text().await;
            if text.contains(needle) {
                return text;
            }
            if Instant::now() > deadline {
                panic!("the page never showed {needle:?}; it shows:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the islands on the page have hydrated.
    pub async fn wait_hydrated(&self) {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css("[data-hydrated=\"true\"]"))
            .await
            .expect("the page never hydrated");
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.client.find(Locator::Css(css)).await.expect("field");
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .expect("button")
            .click()
            .await
            .expect("click");
    }

    /// Signs in through the sign-in page, as a person would.
    pub async fn sign_in(&self, muster: &crate::Muster, email: &str, password: &str) {
        self.goto(&muster.url("/sign-in")).await;
        self.fill("#sign-in-email", email).await;
        self.fill("#sign-in-password", password).await;
        self.submit("#sign-in-form button[type=submit]").await;
        self.wait_for_text("Sign out").await;
    }

    /// A new account with this role, signed in.
    pub async fn sign_in_as(&self, muster: &crate::Muster, role: &str) {
        let (email, password) = muster.add_user(role);
        self.sign_in(muster, &email, &password).await;
    }

    /// Presses one key (a character or a `Key`) wherever the focus is.
    pub async fn press(&self, key: impl Into<char>) {
        let value = key.into();
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        self.client.perform_actions(keys).await.expect("key press");
    }

    /// Runs a script in the page and returns its JSON value.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.expect("script")
    }

    pub async fn finish(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
