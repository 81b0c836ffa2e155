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
                        .body(Body::empty())
                        .expect("request"),
                )
                .await;
            let who = role.map_or("no session".to_owned(), |r| r.to_string());
            match decide(access_for_server_fn(&path), &caller(role)) {
                Ok(()) => assert!(
                    res.status != 401 && res.status != 403,
                    "{path} refused {who} ({}): {}",
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
        "/setup",
        "/sign-in",
        "/sign-in/mfa",
        "/account",
        "/admin/users",
        "/admin/tokens",
        "/admin/audit",
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
    let mut routes = server::routes::all();
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
