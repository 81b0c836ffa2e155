//! One real SQLite file per test, and the real router driven in-process.
#![allow(dead_code)]
use app::{
    auth::{sessions, users, AuthState, Email, Role},
    environment::Environment,
    state::AppState,
};
use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use std::path::PathBuf;
use tower::ServiceExt;

pub mod reach;

pub const ORIGIN: &str = "http://127.0.0.1:3000";

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    /// The access domain's part of the state.
    pub auth: AuthState,
    pub db_path: PathBuf,
    /// Sent with every request when set: who the test is signed in as.
    pub cookie: Option<String>,
    _dir: tempfile::TempDir,
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    /// The `name=value` of the cookie this answer sets.
    pub fn cookie(&self) -> String {
        let raw = self
            .headers
            .get(header::SET_COOKIE)
            .expect("a cookie")
            .to_str()
            .expect("ascii");
        raw.split(';').next().expect("name=value").to_owned()
    }

    pub fn request_id(&self) -> &str {
        self.headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("every answer has a request id")
    }
}

pub async fn spawn_app(environment: Environment) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("muster.db");
    let opened = server::db::open(&db_path).await.expect("open database");
    let mut state = AppState::new(opened.db, environment, ORIGIN.into());
    // The tests' receivers and mail servers listen on loopback, which
    // Muster refuses unless it is allowed (tests/outbound.rs checks the
    // refusals with nothing allowed).
    state.outbound = loopback_allowed();
    let auth = AuthState::new(app::sealing::SecretKey::generate());
    TestApp {
        router: server::startup::router(state.clone(), auth.clone()),
        state,
        auth,
        db_path,
        cookie: None,
        _dir: dir,
    }
}

/// Where a test app may connect: public addresses and this machine.
pub fn loopback_allowed() -> app::outbound::Outbound {
    app::outbound::Outbound::allowing(vec![
        "127.0.0.0/8".parse().expect("net"),
        "::1/128".parse().expect("net"),
    ])
}

/// A clock that moves only when a test moves it, at 03:00 on a November night.
pub fn manual_clock() -> std::sync::Arc<app::clock::ManualTime> {
    use chrono::TimeZone;
    std::sync::Arc::new(app::clock::ManualTime::at(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 3, 0, 0)
            .single()
            .expect("a time"),
    ))
}

impl TestApp {
    /// The one number a query answers (a count).
    pub async fn count(&self, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql)
            .fetch_one(&self.state.db.read)
            .await
            .expect("count");
        n
    }

    /// Panics unless the search index holds exactly the stored events'
    /// words (FTS5 compares it with the events table).
    pub async fn assert_search_index_intact(&self) {
        sqlx::query(
            "INSERT INTO events_search (events_search, rank) VALUES ('integrity-check', 1)",
        )
        .execute(&self.state.db.write)
        .await
        .expect("the search index matches the stored events");
    }

    /// The same app reading its time from `clock`.
    pub fn on_clock(mut self, clock: std::sync::Arc<app::clock::ManualTime>) -> Self {
        self.state.clock = clock;
        self.rebuilt()
    }

    /// The router built again from the (changed) state.
    pub fn rebuilt(mut self) -> Self {
        self.router = server::startup::router(self.state.clone(), self.auth.clone());
        self
    }

    /// Creates an account with this role (no password: tests that sign in
    /// with a password make their own) and signs the test in as it.
    pub async fn signed_in_as(mut self, role: Role) -> Self {
        self.cookie = Some(self.session_for(role).await);
        self
    }

    /// A fresh session cookie for a new account with this role.
    pub async fn session_for(&self, role: Role) -> String {
        let n: i64 = users::count(&self.state.db.read).await.expect("count");
        let email = Email::parse(&format!("{role}{n}@example.com")).expect("email");
        let user = users::create(
            &self.state.db.write,
            &email,
            &format!("{role} {n}"),
            "no-password",
            role,
            self.state.clock.now(),
        )
        .await
        .expect("create")
        .expect("new email");
        self.session_of_user(user.id).await
    }

    /// A fresh session cookie for the account with this email (a demo
    /// account, say), as of the app's clock.
    pub async fn session_of(&self, email: &str) -> String {
        let user = self.user_id(email).await;
        self.session_of_user(user).await
    }

    async fn session_of_user(&self, user: i64) -> String {
        let (_, token) = sessions::create(
            &self.state.db.write,
            user,
            "test",
            "127.0.0.1",
            false,
            self.state.clock.now(),
        )
        .await
        .expect("session");
        format!("{}={token}", self.auth.sessions.cookie_name())
    }

    /// This app with the demo data loaded.
    pub async fn with_demo(self) -> Self {
        server::demo::load(
            &self.state.db,
            &self.auth.hasher,
            &self.auth.secret_key,
            self.state.clock.now(),
        )
        .await
        .expect("demo");
        self
    }

    /// Creates an account that signs in with this password.
    pub async fn account(&self, email: &str, password: &str, role: Role) {
        let hash = self.auth.hasher.hash(password.into()).await.expect("hash");
        users::create(
            &self.state.db.write,
            &Email::parse(email).expect("email"),
            "Test",
            &hash,
            role,
            self.state.clock.now(),
        )
        .await
        .expect("create")
        .expect("new email");
    }

    /// Signs in through the real endpoint and returns the session cookie,
    /// or the refusal.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<String, Answer> {
        let form = format!(
            "email={}&password={}",
            email.replace('@', "%40"),
            password.replace(' ', "+")
        );
        let res = self
            .send(
                Request::post("/api/auth/sign-in")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ACCEPT, "application/json")
                    .header(header::ORIGIN, ORIGIN)
                    .header(header::COOKIE, "")
                    .body(Body::from(form))
                    .expect("request"),
            )
            .await;
        if res.status == StatusCode::OK && res.headers.contains_key(header::SET_COOKIE) {
            Ok(res.cookie())
        } else {
            Err(res)
        }
    }

    /// A POST as the hydrated page sends it, signed in with this cookie.
    pub async fn post_as(&self, cookie: &str, path: &str, form: &str) -> Answer {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, cookie)
                .body(Body::from(form.to_owned()))
                .expect("request"),
        )
        .await
    }

    /// A form post from a browser without JavaScript, signed in.
    pub async fn post_plain_form_as(
        &self,
        cookie: &str,
        path: &str,
        form: &str,
        referer: &str,
    ) -> Answer {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "text/html,application/xhtml+xml")
                .header(header::REFERER, referer)
                .header(header::COOKIE, cookie)
                .body(Body::from(form.to_owned()))
                .expect("request"),
        )
        .await
    }

    /// An automation's call: a bearer token, no cookie, no Origin.
    pub async fn post_with_token(&self, token: &str, path: &str, form: &str) -> Answer {
        self.send(
            Request::post(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .header(header::COOKIE, "")
                .body(Body::from(form.to_owned()))
                .expect("request"),
        )
        .await
    }

    /// A new API token with this role, created by whoever this app is
    /// signed in as.
    pub async fn token(&self, name: &str, role: &str) -> String {
        let res = self
            .post_form(
                "/api/admin/tokens/create",
                &format!("name={name}&role={role}"),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        serde_json::from_str(&res.body).expect("the token")
    }

    pub async fn get_as(&self, cookie: &str, path: &str) -> Answer {
        self.send(
            Request::get(path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    pub async fn user_id(&self, email: &str) -> i64 {
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = ?")
            .bind(email)
            .fetch_one(&self.state.db.read)
            .await
            .expect("user");
        id
    }

    pub async fn send(&self, mut req: Request<Body>) -> Answer {
        if let Some(cookie) = &self.cookie {
            if !req.headers().contains_key(header::COOKIE) {
                req.headers_mut()
                    .insert(header::COOKIE, cookie.parse().expect("cookie"));
            }
        }
        let res: Response<Body> = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// A form post as the hydrated page sends it (asks for JSON back).
    pub async fn post_form(&self, path: &str, form: &str) -> Answer {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .header(header::ORIGIN, ORIGIN)
                .body(Body::from(form.to_owned()))
                .expect("request"),
        )
        .await
    }

    /// A form post as a browser without JavaScript sends it.
    pub async fn post_plain_form(&self, path: &str, form: &str, referer: &str) -> Answer {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "text/html,application/xhtml+xml")
                .header(header::REFERER, referer)
                .body(Body::from(form.to_owned()))
                .expect("request"),
        )
        .await
    }

    /// Runs SQL on a second, independent connection to the same file:
    /// changing the database behind the server's back, as a fault would.
    pub async fn behind_the_back(&self, sql: &str) {
        use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
        let mut conn = SqliteConnectOptions::new()
            .filename(&self.db_path)
            .connect()
            .await
            .expect("side connection");
        sqlx::query(sql).execute(&mut conn).await.expect("side SQL");
        conn.close().await.expect("close");
    }
}

/// A form body from name and value pairs, encoded as a browser would.
pub fn form(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).expect("form")
}

impl Answer {
    /// This answer, after checking it succeeded (or redirected).
    pub fn ok(self) -> Self {
        assert!(
            self.status.is_success() || self.status.is_redirection(),
            "{}: {}",
            self.status,
            self.body
        );
        self
    }
}

/// The events a search on the events page finds (id, summary), first page.
pub async fn search(app: &TestApp, words: &str) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let filter = app::events::Filter {
        words: words.into(),
        ..Default::default()
    };
    let (rows, _) = app::events::query::list(&app.state.db.read, &filter, 50).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.summary)).collect())
}

/// Log output kept in memory.
#[derive(Clone, Default)]
pub struct Logs(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Logs {
    /// Every log line of this thread, at every level, kept from now until
    /// the guard is dropped. (Only this thread's: run such a test alone
    /// in its file, where no other test's thread reaches a log line first.)
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(logs.clone())
            .with_ansi(false)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        // Callsites reached before were cached as unwanted: ask again.
        tracing::callsite::rebuild_interest_cache();
        (logs, guard)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

/// Makes a webhook source as an admin would; its secret.
pub async fn hook_source(
    app: &TestApp,
    name: &str,
    scheme: &str,
    networks: &str,
    secret: Option<&str>,
) -> String {
    let settings = app::hooks::db::Settings::check("", networks, "", true).expect("settings");
    app::hooks::manage::add(
        &app.state.db.write,
        &app.auth.secret_key,
        name,
        scheme,
        &settings,
        secret.map(str::to_owned),
        "test",
        app.state.clock.now(),
    )
    .await
    .expect("a source")
}

/// Posts a delivery to /hooks/NAME as a sender at `client` would.
pub async fn deliver(
    app: &TestApp,
    name: &str,
    headers: &[(&str, String)],
    body: &[u8],
    client: Option<std::net::IpAddr>,
) -> Answer {
    let mut req =
        Request::post(format!("/hooks/{name}")).header(header::CONTENT_TYPE, "application/json");
    for (n, v) in headers {
        req = req.header(*n, v);
    }
    let mut req = req.body(Body::from(body.to_vec())).expect("request");
    if let Some(ip) = client {
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                ip, 40_000,
            )));
    }
    app.send(req).await
}

/// The events of one open live stream (Server-Sent Events), as a browser's EventSource reads them.
pub struct Events {
    body: axum::body::BodyDataStream,
    buffer: String,
}

impl Events {
    pub async fn open(app: &TestApp, cookie: &str, path: &str) -> Result<Events, u16> {
        let res = app
            .router
            .clone()
            .oneshot(
                Request::get(path)
                    .header("cookie", cookie)
                    .header("accept", "text/event-stream")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        if res.status() != 200 {
            return Err(res.status().as_u16());
        }
        Ok(Events {
            body: res.into_body().into_data_stream(),
            buffer: String::new(),
        })
    }

    /// The next event's data, or `None` when the stream has ended. A test
    /// that waits longer than this for an event fails rather than hangs.
    pub async fn next(&mut self) -> Option<String> {
        use futures_util::StreamExt;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                    return Some(data.trim().to_owned());
                }
                continue;
            }
            match tokio::time::timeout(std::time::Duration::from_secs(20), self.body.next()).await {
                Ok(Some(Ok(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(_) => return None,
                Err(_) => panic!("no event and no end within 20 s"),
            }
        }
    }
}

/// Stores `count` failed Stripe charges, 7 seconds apart from `after_s`
/// seconds past the incident's declaration (as an import would, with a
/// made-up fingerprint), and links them all to the incident as the person
/// with `cookie` would. Their ids.
pub async fn link_events(
    app: &TestApp,
    cookie: &str,
    incident: i64,
    after_s: i64,
    count: i64,
) -> Vec<i64> {
    let (import,): (i64,) = sqlx::query_as(
        "INSERT INTO event_imports (file_name, format, imported_by, imported_at, accepted, duplicates, rejected) \
         VALUES ('flood.json', 'stripe', 'test', '2026-11-27T22:00:00Z', ?, 0, 0) RETURNING id",
    )
    .bind(count)
    .fetch_one(&app.state.db.write)
    .await
    .expect("import");
    let (declared,): (chrono::DateTime<chrono::Utc>,) =
        sqlx::query_as("SELECT declared_at FROM incidents WHERE id = ?")
            .bind(incident)
            .fetch_one(&app.state.db.read)
            .await
            .expect("declared");
    let mut ids = Vec::new();
    let mut linked = vec![("incident".to_owned(), incident.to_string())];
    for n in 0..count {
        let at = declared + chrono::Duration::seconds(after_s + n * 7);
        let (event,): (i64,) = sqlx::query_as(
            "INSERT INTO events (source, dedupe_key, occurred_at, received_at, actor, action, target, outcome, summary, payload, fingerprint, import_id) \
             VALUES ('stripe', ?, ?, ?, 'stripe', 'charge.failed', 'ch', 'failure', ?, '{}', ?, ?) RETURNING id",
        )
        .bind(format!("evt_{incident}_{after_s}_{n}"))
        .bind(at)
        .bind(at)
        .bind(format!("Charge {n} failed: 502 from the card network"))
        .bind(format!("f1ng3rpr1nt{n:04}aaaaaaaaaaaaaaaa"))
        .bind(import)
        .fetch_one(&app.state.db.write)
        .await
        .expect("event");
        linked.push((format!("events[{n}]"), event.to_string()));
        ids.push(event);
    }
    let link = serde_urlencoded::to_string(&linked).expect("form");
    app.post_as(cookie, "/api/events/link", &link).await.ok();
    ids
}

/// The demo's payment outage (resolved, with its published review).
pub async fn outage(app: &TestApp) -> i64 {
    app.count("SELECT id FROM incidents WHERE title = 'Card payments failing at checkout'")
        .await
}

/// The first entry of an incident's timeline whose text starts so.
pub async fn entry_starting(app: &TestApp, incident: i64, start: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as(
        "SELECT id FROM timeline WHERE incident_id = ? AND text LIKE ? || '%' ORDER BY id LIMIT 1",
    )
    .bind(incident)
    .bind(start)
    .fetch_one(&app.state.db.read)
    .await
    .expect("entry");
    id
}
