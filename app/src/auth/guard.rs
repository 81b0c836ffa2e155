//! The single table of who may do what, and the one guard that applies it
//! to every server function and every page or route. A server function or
//! route missing from the table is refused (and fails the role-matrix test).
use super::{Caller, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Signed in with this role or a higher one.
    AtLeast(Role),
}

use Access::{AtLeast, Public};
use Role::{Admin, Editor, Responder, Viewer};

/// Server functions, by path.
pub const SERVER_FNS: &[(&str, Access)] = &[
    ("/api/auth/setup", Public),
    ("/api/auth/sign-in", Public),
    ("/api/auth/sign-out", AtLeast(Viewer)),
    ("/api/notes/list", AtLeast(Viewer)),
    ("/api/notes/add", AtLeast(Responder)),
    ("/api/roster", AtLeast(Viewer)),
    ("/api/roster/role", AtLeast(Editor)),
    ("/api/roster/person", AtLeast(Editor)),
    ("/api/roster/holders", AtLeast(Editor)),
    ("/api/plans/list", AtLeast(Viewer)),
    ("/api/plans/history", AtLeast(Viewer)),
    ("/api/plans/compare", AtLeast(Viewer)),
    ("/api/plans/import", AtLeast(Editor)),
    ("/api/runbooks/get", AtLeast(Viewer)),
    ("/api/runbooks/draft", AtLeast(Editor)),
    ("/api/runbooks/create", AtLeast(Editor)),
    ("/api/runbooks/draft/header", AtLeast(Editor)),
    ("/api/runbooks/draft/step", AtLeast(Editor)),
    ("/api/runbooks/draft/move", AtLeast(Editor)),
    ("/api/runbooks/draft/template", AtLeast(Editor)),
    ("/api/runbooks/save", AtLeast(Editor)),
    ("/api/runbooks/discard", AtLeast(Editor)),
    ("/api/notices/get", AtLeast(Viewer)),
    ("/api/notices/save", AtLeast(Editor)),
    ("/api/notices/approve", AtLeast(Editor)),
    ("/api/notices/preview", AtLeast(Editor)),
    ("/api/incidents/list", AtLeast(Viewer)),
    ("/api/incidents/get", AtLeast(Viewer)),
    ("/api/incidents/open", AtLeast(Viewer)),
    ("/api/incidents/page", AtLeast(Viewer)),
    ("/api/incidents/declare", AtLeast(Responder)),
    ("/api/incidents/note", AtLeast(Responder)),
    ("/api/incidents/status", AtLeast(Responder)),
    ("/api/incidents/severity", AtLeast(Responder)),
    ("/api/incidents/role", AtLeast(Responder)),
    ("/api/incidents/step", AtLeast(Responder)),
    ("/api/incidents/notice/draft", AtLeast(Responder)),
    ("/api/incidents/notice/approve", AtLeast(Responder)),
    ("/api/incidents/notice/publish", AtLeast(Responder)),
    ("/api/events/list", AtLeast(Viewer)),
    ("/api/events/get", AtLeast(Viewer)),
    ("/api/events/link", AtLeast(Responder)),
    ("/api/events/unlink", AtLeast(Responder)),
    ("/api/events/suggest", AtLeast(Viewer)),
    ("/api/events/imports", AtLeast(Editor)),
    ("/api/events/import", AtLeast(Editor)),
    ("/api/events/retention", AtLeast(Admin)),
    ("/api/audit/list", AtLeast(Admin)),
    ("/api/account/sessions", AtLeast(Viewer)),
    ("/api/account/end-other-sessions", AtLeast(Viewer)),
    ("/api/admin/accounts", AtLeast(Admin)),
    ("/api/admin/accounts/create", AtLeast(Admin)),
    ("/api/admin/accounts/role", AtLeast(Admin)),
    ("/api/admin/accounts/disabled", AtLeast(Admin)),
    ("/api/admin/accounts/password", AtLeast(Admin)),
    ("/api/auth/mfa", Public),
    ("/api/account/mfa", AtLeast(Viewer)),
    ("/api/account/mfa/start", AtLeast(Viewer)),
    ("/api/account/mfa/confirm", AtLeast(Viewer)),
    ("/api/account/mfa/disable", AtLeast(Viewer)),
    ("/api/admin/require-mfa", AtLeast(Admin)),
    ("/api/admin/backups", AtLeast(Admin)),
    ("/api/admin/channels", AtLeast(Admin)),
    ("/api/admin/channel", AtLeast(Admin)),
    ("/api/admin/channels/add", AtLeast(Admin)),
    ("/api/admin/channels/test", AtLeast(Admin)),
    ("/api/admin/channels/enabled", AtLeast(Admin)),
    ("/api/routing", AtLeast(Editor)),
    ("/api/routing/add", AtLeast(Editor)),
    ("/api/routing/remove", AtLeast(Editor)),
    // The key in an acknowledge link is the proof (only its hash is kept).
    ("/api/calls/look", Public),
    ("/api/calls/acknowledge", Public),
    ("/api/admin/tokens", AtLeast(Admin)),
    ("/api/admin/tokens/create", AtLeast(Admin)),
    ("/api/admin/tokens/revoke", AtLeast(Admin)),
    ("/api/alerts/list", AtLeast(Viewer)),
    ("/api/alerts/get", AtLeast(Viewer)),
    ("/api/alerts/rules", AtLeast(Viewer)),
    ("/api/alerts/rules/add", AtLeast(Editor)),
    ("/api/alerts/rules/enabled", AtLeast(Editor)),
    ("/api/alerts/declare", AtLeast(Responder)),
    ("/api/hooks/sources", AtLeast(Editor)),
    ("/api/hooks/source", AtLeast(Editor)),
    ("/api/hooks/add", AtLeast(Admin)),
    ("/api/hooks/rotate", AtLeast(Admin)),
    ("/api/hooks/settings", AtLeast(Admin)),
    ("/api/home", AtLeast(Viewer)),
    ("/api/actions/list", AtLeast(Viewer)),
    ("/api/actions/review/add", AtLeast(Responder)),
    ("/api/actions/status", AtLeast(Responder)),
    ("/api/reviews/get", AtLeast(Viewer)),
    ("/api/reviews/list", AtLeast(Viewer)),
    ("/api/reviews/start", AtLeast(Responder)),
    ("/api/reviews/section", AtLeast(Responder)),
    ("/api/reviews/preview", AtLeast(Responder)),
    ("/api/reviews/entry", AtLeast(Responder)),
    ("/api/reviews/reviewer/add", AtLeast(Responder)),
    ("/api/reviews/reviewer/remove", AtLeast(Responder)),
    // A named reviewer may be a viewer: the function checks who may.
    ("/api/reviews/comment", AtLeast(Viewer)),
    ("/api/reviews/state", AtLeast(Responder)),
    ("/api/drills/list", AtLeast(Viewer)),
    ("/api/drills/scenario", AtLeast(Viewer)),
    ("/api/drills/run", AtLeast(Viewer)),
    ("/api/drills/plan", AtLeast(Editor)),
    // The run's facilitator (or an admin), checked by the function.
    ("/api/drills/clock", AtLeast(Responder)),
    ("/api/drills/release", AtLeast(Responder)),
    ("/api/drills/judge", AtLeast(Responder)),
    ("/api/drills/report", AtLeast(Viewer)),
    ("/api/drills/report/notes", AtLeast(Responder)),
    ("/api/drills/actions/add", AtLeast(Responder)),
    ("/api/drills/scenario/edit", AtLeast(Editor)),
    ("/api/drills/scenario/save", AtLeast(Editor)),
    ("/api/drills/replay", AtLeast(Editor)),
    ("/api/drills/schedules/add", AtLeast(Editor)),
    ("/api/drills/schedules/remove", AtLeast(Editor)),
    ("/api/drills/calendar/key", AtLeast(Viewer)),
];

/// Pages and other routes, by path pattern (`:name` matches one segment).
pub const ROUTES: &[(&str, Access)] = &[
    ("/healthz", Public),
    ("/setup", Public),
    ("/sign-in", Public),
    ("/sign-in/mfa", Public),
    ("/", AtLeast(Viewer)),
    ("/notes", AtLeast(Viewer)),
    ("/roster", AtLeast(Viewer)),
    ("/roster/roles", AtLeast(Viewer)),
    ("/runbooks", AtLeast(Viewer)),
    ("/runbooks/:id", AtLeast(Viewer)),
    ("/runbooks/:id/edit", AtLeast(Editor)),
    ("/runbooks/:id/history", AtLeast(Viewer)),
    ("/runbooks/:id/versions/:version", AtLeast(Viewer)),
    ("/notices", AtLeast(Viewer)),
    ("/notices/:id", AtLeast(Viewer)),
    ("/notices/:id/history", AtLeast(Viewer)),
    ("/notices/:id/versions/:version", AtLeast(Viewer)),
    ("/plans", AtLeast(Viewer)),
    ("/plans/export", AtLeast(Viewer)),
    ("/incidents", AtLeast(Viewer)),
    ("/incidents/:id", AtLeast(Viewer)),
    ("/incidents/:id/live", AtLeast(Viewer)),
    ("/incidents/:id/timeline.md", AtLeast(Viewer)),
    ("/incidents/:id/timeline.json", AtLeast(Viewer)),
    ("/incidents/:id/timeline.csv", AtLeast(Viewer)),
    ("/incidents/:id/evidence", AtLeast(Viewer)),
    ("/events", AtLeast(Viewer)),
    ("/events/:id", AtLeast(Viewer)),
    ("/imports", AtLeast(Editor)),
    ("/event-files", AtLeast(Editor)),
    ("/imports/:id", AtLeast(Editor)),
    ("/alerts", AtLeast(Viewer)),
    ("/alerts/:id", AtLeast(Viewer)),
    ("/alert-rules", AtLeast(Viewer)),
    ("/sources", AtLeast(Editor)),
    ("/sources/:name", AtLeast(Editor)),
    // Senders prove themselves by their signature, checked by the route.
    ("/hooks/:name", Public),
    ("/actions", AtLeast(Viewer)),
    ("/reviews", AtLeast(Viewer)),
    ("/reviews/:id", AtLeast(Viewer)),
    ("/reviews/:id/review.md", AtLeast(Viewer)),
    ("/reviews/:id/review.json", AtLeast(Viewer)),
    ("/reviews/:id/print", AtLeast(Viewer)),
    ("/drills", AtLeast(Viewer)),
    // Calendar apps cannot sign in: the secret key in the address is the
    // proof, checked by the feed itself.
    ("/drills/calendar.ics", Public),
    ("/drills/runs/:id", AtLeast(Viewer)),
    ("/drills/runs/:id/live", AtLeast(Viewer)),
    ("/drills/runs/:id/report", AtLeast(Viewer)),
    ("/drills/runs/:id/report.md", AtLeast(Viewer)),
    ("/drills/scenarios/new", AtLeast(Editor)),
    ("/drills/scenarios/:id", AtLeast(Viewer)),
    ("/drills/scenarios/:id/edit", AtLeast(Editor)),
    ("/drills/scenarios/:id/history", AtLeast(Viewer)),
    ("/drills/scenarios/:id/versions/:version", AtLeast(Viewer)),
    ("/account", AtLeast(Viewer)),
    ("/admin/users", AtLeast(Admin)),
    ("/admin/tokens", AtLeast(Admin)),
    ("/admin/audit", AtLeast(Admin)),
    ("/admin/audit/export", AtLeast(Admin)),
    ("/admin/backups", AtLeast(Admin)),
    ("/admin/backups/drill", AtLeast(Admin)),
    ("/admin/channels", AtLeast(Admin)),
    ("/admin/channels/:name", AtLeast(Admin)),
    ("/routing", AtLeast(Editor)),
    // Reached from an email: the page asks before it acknowledges.
    ("/ack", Public),
];

/// Why a caller was turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    SignInRequired,
    Forbidden,
}

pub fn access_for_server_fn(path: &str) -> Option<Access> {
    SERVER_FNS.iter().find(|(p, _)| *p == path).map(|(_, a)| *a)
}

pub fn access_for_route(path: &str) -> Option<Access> {
    ROUTES
        .iter()
        .find(|(pattern, _)| matches(pattern, path))
        .map(|(_, a)| *a)
}

pub fn matches(pattern: &str, path: &str) -> bool {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let mut want = pattern.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if w.starts_with(':') && !h.is_empty() => continue,
            (Some(w), Some(h)) if w == h => continue,
            _ => return false,
        }
    }
}

/// The decision itself: pure, so it is tested on its own.
pub fn decide(access: Option<Access>, caller: &Caller) -> Result<(), Refusal> {
    match (access, caller.role()) {
        (Some(Public), _) => Ok(()),
        (Some(AtLeast(_)), None) => Err(Refusal::SignInRequired),
        (Some(AtLeast(min)), Some(role)) if role >= min => Ok(()),
        // Not in the table: nobody may, whoever they are.
        (None, None) => Err(Refusal::SignInRequired),
        _ => Err(Refusal::Forbidden),
    }
}

/// Put on a request by the server when the caller's role does not allow
/// the page asked for: the shell then shows "Not allowed" instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRefused;

#[cfg(feature = "ssr")]
pub use server::{current_caller, page_refused, require};

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::{
        audit::{NewEntry, Outcome},
        error::AppError,
        state::AppState,
    };

    /// The caller the server resolved for this request.
    pub fn current_caller() -> Caller {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>().cloned())
            .unwrap_or_default()
    }

    pub fn page_refused() -> bool {
        leptos::prelude::use_context::<http::request::Parts>()
            .is_some_and(|parts| parts.extensions.get::<PageRefused>().is_some())
    }

    /// Lets the call through or refuses it, recording every refusal in the
    /// audit log. Every server function starts with this.
    pub async fn require<S: leptos::server_fn::ServerFn>() -> Result<(AppState, Caller), AppError> {
        let endpoint = S::PATH;
        let state = crate::state::app_state()?;
        let caller = current_caller();
        match decide(access_for_server_fn(endpoint), &caller) {
            Ok(()) => Ok((state, caller)),
            Err(refusal) => {
                let entry = NewEntry::new(
                    caller.audit_name(),
                    "access.denied",
                    endpoint,
                    Outcome::Denied,
                    state.clock.now(),
                )
                .because(match refusal {
                    Refusal::SignInRequired => "not signed in",
                    Refusal::Forbidden => "role does not allow it",
                });
                crate::auth::record_refused(&state, entry).await?;
                Err(match refusal {
                    Refusal::SignInRequired => AppError::SignInRequired,
                    Refusal::Forbidden => AppError::Forbidden,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::User;

    fn as_role(role: Role) -> Caller {
        Caller::User {
            user: User {
                id: 1,
                email: "a@example.com".into(),
                display_name: "A".into(),
                role,
            },
            session_id: 1,
        }
    }

    #[test]
    fn route_patterns_match_whole_segments() {
        assert!(matches("/", "/"));
        assert!(matches("/notes", "/notes/"));
        assert!(matches("/runbooks/:id", "/runbooks/12"));
        assert!(!matches("/runbooks/:id", "/runbooks/"));
        assert!(!matches("/notes", "/notes/extra"));
        assert!(!matches("/admin/audit", "/admin"));
    }

    #[test]
    fn a_role_may_do_what_it_and_the_roles_below_it_may() {
        let add = access_for_server_fn("/api/notes/add");
        assert_eq!(decide(add, &as_role(Role::Responder)), Ok(()));
        assert_eq!(decide(add, &as_role(Role::Admin)), Ok(()));
        assert_eq!(decide(add, &as_role(Role::Viewer)), Err(Refusal::Forbidden));
        assert_eq!(
            decide(add, &Caller::Anonymous),
            Err(Refusal::SignInRequired)
        );
    }

    #[test]
    fn what_is_not_in_the_table_is_refused_to_everyone() {
        assert_eq!(
            decide(access_for_server_fn("/api/nope"), &as_role(Role::Admin)),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            decide(None, &Caller::Anonymous),
            Err(Refusal::SignInRequired)
        );
    }

    #[test]
    fn the_table_names_each_server_function_and_route_once() {
        for table in [SERVER_FNS, ROUTES] {
            let mut paths: Vec<_> = table.iter().map(|(p, _)| *p).collect();
            paths.sort_unstable();
            let before = paths.len();
            paths.dedup();
            assert_eq!(paths.len(), before);
        }
    }
}
