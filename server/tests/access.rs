//! Every server function and every route, with every role and with no
//! session, answers exactly as the one table in `app::auth::guard` says.
mod support;

use app::auth::{
    guard::{self, access_for_route, access_for_server_fn, decide, Refusal, ROUTES, SERVER_FNS},
    Caller, Role, User,
};
use app::environment::Environment;
use axum::{body::Body, http::Request};
use support::{spawn_app, ORIGIN};

fn caller(role: Option<Role>) -> Caller {
    role.map_or(Caller::Anonymous, |role| Caller::User {
        user: User {
            id: 0,
            email: String::new(),
            display_name: String::new(),
            role,
        },
        session_id: 0,
    })
}

/// No session, then each role from least to most.
const CALLERS: [Option<Role>; 5] = [
    None,
    Some(Role::Viewer),
    Some(Role::Responder),
    Some(Role::Editor),
    Some(Role::Admin),
];

/// A fresh account and session for each call (some calls end them), or
/// no cookie at all.
async fn cookie_for(app: &support::TestApp, role: Option<Role>) -> String {
    match role {
        Some(role) => app.session_for(role).await,
        None => String::new(),
    }
}

fn registered_server_fns() -> Vec<String> {
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_server_function_has_an_entry_in_the_table_and_every_entry_a_function() {
    let registered = registered_server_fns();
    assert!(
        registered.len() >= SERVER_FNS.len() - 1,
        "server functions found: {registered:?}"
    );
    for path in &registered {
        assert!(
            access_for_server_fn(path).is_some(),
            "{path} has no entry in app::auth::guard::SERVER_FNS: say who may call it"
        );
    }
    for (path, _) in SERVER_FNS {
        assert!(
            registered.iter().any(|p| p == path),
            "SERVER_FNS names {path}, which does not exist"
        );
    }
}

/// One form body that every server function accepts: each names its own
/// fields and ignores the rest, so an allowed caller gets past argument
/// decoding into the function itself (a 400 would mean it did not).
/// Where two functions share a name with different types, the value suits
/// both ("1" is a number and a text).
const EVERY_FIELD: &str = "id=1&version=1&kind=Runbook&query=&tag=&from=1&to=1\
&email=someone%40example.com&display_name=Some+One&role=viewer\
&password=a+long+enough+password&password_repeat=a+long+enough+password\
&user_id=1&disabled=false&code=123456&next=%2F&required=false&name=Pager\
&token_id=1&title=Checkout+down&status=monitoring&severity=sev2&impact=&runbook=\
&text=Rolled+back&happened_at=&corrects=&role_id=1&person_id=1&step=1&done=true\
&template=1&next_update_minutes=30&notice=1&body=Hello&description=&duties=\
&team=&phone=&chat=&account=&change=remove&tags=&summary=&phase=respond&target=\
&note=A+note&subject=Hello&document=%7B%7D\
&filter[actor]=&filter[action]=&filter[since]=&filter[until]=\
&input[id]=&input[title]=Hello&input[tags]=&input[stage]=investigating\
&input[channel]=email&input[subject]=Hello&input[body]=Hello&input[note]=first\
&incident=1&event=1&events[]=1&source=stripe&days=90\
&list[q]=charge&list[source]=&list[outcome]=&list[environment]=&list[from]=&list[to]=\
&list[import]=&list[after]=&scheme=stripe&environment=&networks=&retention=&overlap_hours=\
&enabled=true&rule[name]=Charges&rule[sources]=stripe&rule[actions]=&rule[words]=&rule[outcome]=\
&rule[environment]=&rule[threshold]=2&rule[window_minutes]=5&rule[group_by]=&rule[quiet_minutes]=5\
&rule[severity]=sev2&rule[runbook]=&scenario=1&scheduled_for=&start=&speed=10x&inject=1&expectation=1\
&verdict=met&comment=&strengths=&improvements=&owner=1&due_on=2026-12-15\
&planned=45&roles=&injects=&every=quarterly&starts=2027-01-04+10%3A00&minutes=\
&section=summary&entry=1&hidden=&moment=&priority=high&ticket_url=&user=1&part=summary\
&channel[name]=ops&channel[kind]=webhook&channel[preset]=standard&channel[address]=http%3A%2F%2F127.0.0.1%3A9%2F\
&channel[security]=&channel[username]=&channel[sender]=&channel[recipients]=&channel[per_minute]=\
&scope=runbook%3A1&key=not-a-key";

#[tokio::test]
async fn every_server_function_answers_every_role_as_the_table_says() {
    let app = spawn_app(Environment::Production).await;
    for path in registered_server_fns() {
        for role in CALLERS {
            let cookie = cookie_for(&app, role).await;
            let res = app
                .send(
                    Request::post(&path)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("accept", "application/json")
                        .header("origin", ORIGIN)
                        .header("cookie", cookie)
                        .body(Body::from(EVERY_FIELD))
                        .expect("request"),
                )
                .await;
            let who = role.map_or("no session".to_owned(), |r| r.to_string());
            match decide(access_for_server_fn(&path), &caller(role)) {
                // Reached the function (which may still find the values
                // wrong, missing or in conflict), and it did not fail. The
                // second step asks for a session waiting for it, and says so.
                Ok(()) if path == "/api/auth/mfa" && res.status == 401 => {}
                Ok(()) => assert!(
                    ![400, 401, 403, 500].contains(&res.status.as_u16()),
                    "{path} with {who} ({}): {}",
                    res.status,
                    res.body
                ),
                Err(Refusal::SignInRequired) => {
                    assert_eq!(res.status, 401, "{path} with {who}: {}", res.body)
                }
                Err(Refusal::Forbidden) => {
                    assert_eq!(res.status, 403, "{path} with {who}: {}", res.body)
                }
            }
        }
    }
}

/// The functions' own guard, with no middleware in front of it: each
/// refuses exactly the callers the table refuses, so a function stays
/// closed even if it is ever served by another route.
#[tokio::test]
async fn every_server_function_refuses_by_its_own_guard_too() {
    use leptos::prelude::provide_context;
    let app = spawn_app(Environment::Production).await;
    let (state, auth) = (app.state.clone(), app.auth.clone());
    let bare = axum::Router::new().route(
        "/api/{*name}",
        axum::routing::post(move |req: Request<Body>| {
            let (state, auth) = (state.clone(), auth.clone());
            leptos_axum::handle_server_fns_with_context(
                move || {
                    provide_context(state.clone());
                    provide_context(state.environment);
                    provide_context(auth.clone());
                },
                req,
            )
        }),
    );
    let mut refused = 0;
    for path in registered_server_fns() {
        for role in CALLERS {
            let Err(refusal) = decide(access_for_server_fn(&path), &caller(role)) else {
                continue;
            };
            let mut req = Request::post(&path)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(Body::from(EVERY_FIELD))
                .expect("request");
            req.extensions_mut().insert(caller(role));
            let res = tower::ServiceExt::oneshot(bare.clone(), req)
                .await
                .expect("infallible");
            let who = role.map_or("no session".to_owned(), |r| r.to_string());
            let expected = match refusal {
                Refusal::SignInRequired => 401,
                Refusal::Forbidden => 403,
            };
            let status = res.status().as_u16();
            let body = axum::body::to_bytes(res.into_body(), 1 << 20)
                .await
                .expect("body");
            assert_eq!(
                status,
                expected,
                "{path} with {who}: {}",
                String::from_utf8_lossy(&body)
            );
            refused += 1;
        }
    }
    assert!(refused > 50, "only {refused} refusals were tried");
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_table_says() {
    let app = spawn_app(Environment::Production).await;
    let pages = [
        "/",
        "/notes",
        "/roster",
        "/roster/roles",
        "/runbooks",
        "/runbooks/1",
        "/runbooks/1/edit",
        "/runbooks/1/history",
        "/runbooks/1/versions/1",
        "/notices",
        "/notices/1",
        "/notices/1/history",
        "/notices/1/versions/1",
        "/plans",
        "/incidents",
        "/incidents/1",
        "/incidents/1/evidence",
        "/events",
        "/events/1",
        "/imports",
        "/imports/1",
        "/sources",
        "/sources/1",
        "/alerts",
        "/alerts/1",
        "/alert-rules",
        "/drills",
        "/actions",
        "/reviews",
        "/reviews/1",
        "/drills/runs/1",
        "/drills/runs/1/report",
        "/drills/scenarios/new",
        "/drills/scenarios/1",
        "/drills/scenarios/1/edit",
        "/drills/scenarios/1/history",
        "/drills/scenarios/1/versions/1",
        "/setup",
        "/sign-in",
        "/sign-in/mfa",
        "/account",
        "/admin/users",
        "/admin/tokens",
        "/admin/audit",
        "/admin/backups",
        "/admin/channels",
        "/admin/channels/1",
        "/routing",
        "/ack",
    ];
    for (pattern, _) in ROUTES {
        let path = pattern
            .split('/')
            .map(|s| if s.starts_with(':') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        for role in CALLERS {
            let cookie = cookie_for(&app, role).await;
            let res = app
                .send(
                    Request::get(&path)
                        .header("cookie", cookie)
                        .body(Body::empty())
                        .expect("request"),
                )
                .await;
            let who = role.map_or("no session".to_owned(), |r| r.to_string());
            let location = res
                .headers
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let is_page = pages.contains(&path.as_str());
            match decide(access_for_route(&path), &caller(role)) {
                Ok(()) => assert!(
                    res.status != 401 && res.status != 403 && !location.starts_with("/sign-in?"),
                    "{path} refused {who}: {} {location}",
                    res.status
                ),
                Err(Refusal::SignInRequired) if is_page => {
                    assert_eq!(res.status, 303, "{path} with {who}");
                    assert_eq!(
                        location,
                        format!("/sign-in?next={path}"),
                        "{path} with {who}"
                    );
                }
                Err(Refusal::SignInRequired) => assert_eq!(res.status, 401, "{path} with {who}"),
                Err(Refusal::Forbidden) => {
                    assert_eq!(res.status, 403, "{path} with {who}");
                    if is_page {
                        assert!(res.body.contains("Not allowed"), "{path} with {who}");
                    }
                }
            }
        }
    }
    assert!(guard::access_for_route("/no/such/route").is_none());
}

#[tokio::test]
async fn the_router_serves_exactly_the_routes_the_access_table_names() {
    let served = server::startup::served_patterns();
    let mut named: Vec<String> = ROUTES.iter().map(|(p, _)| (*p).to_owned()).collect();
    named.sort();
    let unnamed: Vec<&String> = served.iter().filter(|p| !named.contains(p)).collect();
    let unserved: Vec<&String> = named.iter().filter(|p| !served.contains(p)).collect();
    assert!(
        unnamed.is_empty(),
        "served but not in app::auth::guard::ROUTES (say who may open them): {unnamed:?}"
    );
    assert!(
        unserved.is_empty(),
        "in ROUTES but served by nothing: {unserved:?}"
    );
}

#[tokio::test]
async fn a_route_missing_from_the_access_table_is_refused_to_everyone() {
    let mut app = spawn_app(Environment::Production).await;
    let mut routes = server::http::routes::all();
    routes.push((
        "/forgotten/{id}",
        axum::routing::get(|| async { "what only admins should see" }),
    ));
    app.router = server::startup::router_with(app.state.clone(), app.auth.clone(), routes);
    for role in CALLERS {
        let cookie = cookie_for(&app, role).await;
        let res = app
            .send(
                Request::get("/forgotten/1")
                    .header("cookie", cookie)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        let expected = if role.is_some() { 403 } else { 401 };
        assert_eq!(res.status, expected, "{role:?}");
        assert!(!res.body.contains("only admins"), "{role:?}");
    }
    assert_eq!(
        app.get("/no/such/page").await.status,
        404,
        "what nothing serves is still just not found"
    );
}

/// Strange values (empty, huge, control characters, other scripts, broken
/// escapes, huge numbers) in every field of every server function, sent by
/// an admin: each gets a clear answer; none fails on the server or panics.
#[tokio::test]
async fn strange_values_in_every_form_get_a_clear_answer_never_a_failure() {
    const ROUNDS: usize = 12;
    // A failure's logged cause is shown with the failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_test_writer()
        .try_init();
    let app = spawn_app(Environment::Production).await;
    let fields: Vec<(String, String)> = serde_urlencoded::from_str(EVERY_FIELD).expect("fields");
    let paths = registered_server_fns();
    let texts = app::fields::strange_texts(3, ROUNDS * fields.len() * paths.len());
    let mut texts = texts.into_iter();
    // Numbers, flags and kinds: in every other round they stay valid, so the
    // strange text reaches each function's own checks, not only decoding.
    const TYPED: [&str; 15] = [
        "id",
        "version",
        "kind",
        "from",
        "to",
        "user_id",
        "disabled",
        "required",
        "token_id",
        "role_id",
        "person_id",
        "step",
        "done",
        "template",
        "notice",
    ];
    let mut reached = 0;
    for path in &paths {
        for round in 0..ROUNDS {
            let strange: Vec<(&str, String)> = fields
                .iter()
                .map(|(name, valid)| {
                    let text = texts.next().unwrap_or_default();
                    let keep = round % 2 == 1 && TYPED.contains(&name.as_str());
                    (name.as_str(), if keep { valid.clone() } else { text })
                })
                .collect();
            let body = serde_urlencoded::to_string(&strange).expect("a form");
            // A fresh admin each time: some calls end sessions or change roles.
            let admin = app.session_for(Role::Admin).await;
            let res = app
                .send(
                    Request::post(path)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("accept", "application/json")
                        .header("origin", ORIGIN)
                        .header("cookie", admin)
                        .body(Body::from(body))
                        .expect("request"),
                )
                .await;
            assert!(
                res.status.as_u16() < 500,
                "{path} failed ({}): {}",
                res.status,
                res.body.chars().take(300).collect::<String>()
            );
            reached += usize::from(res.status != 400);
        }
    }
    println!(
        "{reached} of {} strange forms got past decoding",
        paths.len() * ROUNDS
    );
    assert!(
        reached > paths.len() * ROUNDS / 3,
        "only {reached} reached the functions"
    );
}
