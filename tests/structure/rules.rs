//! The layers of app/src, lowest first, and what is still allowed to break
//! a rule, each with its reason. DESIGN.md, "Layers", says why.

/// (rank, layer, top-level modules). A module may import its own layer and
/// any layer of a lower rank; two layers of one rank are peers and import
/// neither each other nor anything above.
#[rustfmt::skip]
pub const LAYERS: &[(usize, &str, &[&str])] = &[
    (0, "base", &["error", "fields", "ui", "environment"]),
    (1, "spine", &["timeline", "clock", "live", "approval", "state", "outbound", "signing", "sealing"]),
    (2, "access", &["auth", "audit"]),
    (3, "roster", &["roster"]),
    (4, "plans", &["runbooks", "notices", "plans", "plan_file"]),
    (5, "events", &["events", "hooks", "alerts"]),
    (5, "reach", &["reach"]),
    (6, "incidents", &["incidents", "notes"]),
    (7, "actions", &["actions"]),
    (8, "drills", &["drills"]),
    (8, "reviews", &["reviews"]),
    (9, "pages", &["overview", "backups", "versions"]),
    (10, "shell", &["shell", "lib"]),
];

/// Files longer than this are split along their seams.
pub const MAX_LINES: usize = 600;

/// (file, module it imports, why it is still allowed).
#[rustfmt::skip]
pub const UPWARD: &[(&str, &str, &str)] = &[
];

/// (file outside a db.rs that runs SQL, why).
#[rustfmt::skip]
pub const SQL_ELSEWHERE: &[(&str, &str)] = &[
    (
        "app/src/auth/sessions.rs",
        "to move into its domain's db.rs",
    ),
    (
        "app/src/auth/tokens_db.rs",
        "to move into its domain's db.rs",
    ),
    ("app/src/auth/users.rs", "to move into its domain's db.rs"),
    (
        "app/src/drills/run_view.rs",
        "to move into its domain's db.rs",
    ),
    (
        "app/src/drills/calendar.rs",
        "to move into its domain's db.rs",
    ),
    (
        "app/src/drills/report.rs",
        "to move into its domain's db.rs",
    ),
    (
        "app/src/drills/schedule_api.rs",
        "to move into its domain's db.rs",
    ),
    ("app/src/drills/trend.rs", "to move into its domain's db.rs"),
    ("app/src/events/link.rs", "to move into its domain's db.rs"),
    ("app/src/events/query.rs", "to move into its domain's db.rs"),
    (
        "app/src/events/record.rs",
        "to move into its domain's db.rs",
    ),
    (
        "app/src/events/retention.rs",
        "to move into its domain's db.rs",
    ),
    ("app/src/hooks/secret.rs", "to move into its domain's db.rs"),
    ("app/src/reach/ack.rs", "to move into its domain's db.rs"),
    ("app/src/reach/route.rs", "to move into its domain's db.rs"),
    ("app/src/reach/rules.rs", "to move into its domain's db.rs"),
    ("app/src/reach/sender.rs", "to move into its domain's db.rs"),
    ("app/src/reviews/api.rs", "to move into its domain's db.rs"),
    ("app/src/reviews/flow.rs", "to move into its domain's db.rs"),
    (
        "server/src/backup/create.rs",
        "backups copy and check whole tables: to move into a backup db module",
    ),
    (
        "server/src/backup/open.rs",
        "backups copy and check whole tables: to move into a backup db module",
    ),
    (
        "server/src/demo/mod.rs",
        "demo data: to load through the domains' db functions",
    ),
    (
        "server/src/demo/drills.rs",
        "demo data: to load through the domains' db functions",
    ),
    (
        "server/src/demo/review.rs",
        "demo data: to load through the domains' db functions",
    ),
    (
        "server/src/keys.rs",
        "to move into the db.rs of the domain it reads",
    ),
];

/// (file, how many queries it still reads into positional tuples).
#[rustfmt::skip]
pub const TUPLES: &[(&str, usize)] = &[
    ("app/src/actions/db.rs", 3),
    ("app/src/alerts/db.rs", 5),
    ("app/src/audit/db.rs", 5),
    ("app/src/auth/mfa/db.rs", 3),
    ("app/src/auth/sessions.rs", 2),
    ("app/src/auth/tokens_db.rs", 3),
    ("app/src/auth/users.rs", 3),
    ("app/src/backups/db.rs", 2),
    ("app/src/drills/calendar.rs", 3),
    ("app/src/drills/db.rs", 2),
    ("app/src/drills/report.rs", 1),
    ("app/src/drills/run_view.rs", 2),
    ("app/src/drills/schedule_api.rs", 5),
    ("app/src/drills/trend.rs", 2),
    ("app/src/events/db.rs", 5),
    ("app/src/events/link.rs", 5),
    ("app/src/events/query.rs", 1),
    ("app/src/events/record.rs", 1),
    ("app/src/events/retention.rs", 2),
    ("app/src/hooks/db.rs", 2),
    ("app/src/hooks/secret.rs", 1),
    ("app/src/incidents/db/mod.rs", 6),
    ("app/src/incidents/db/notices.rs", 2),
    ("app/src/incidents/db/roles.rs", 1),
    ("app/src/notes/db.rs", 1),
    ("app/src/plans/db.rs", 5),
    ("app/src/reach/ack.rs", 1),
    ("app/src/reach/db.rs", 8),
    ("app/src/reach/route.rs", 1),
    ("app/src/reach/rules.rs", 7),
    ("app/src/reach/sender.rs", 1),
    ("app/src/reviews/api.rs", 2),
    ("app/src/reviews/db.rs", 6),
    ("app/src/reviews/flow.rs", 5),
    ("app/src/roster/db.rs", 8),
    ("app/src/timeline/db.rs", 3),
    ("server/src/db.rs", 2),
    ("server/src/demo/drills.rs", 1),
    ("server/src/demo/mod.rs", 3),
    ("server/src/demo/review.rs", 1),
    ("server/src/keys.rs", 1),
];

/// (file, its lines): files still over MAX_LINES.
#[rustfmt::skip]
pub const LONG: &[(&str, usize)] = &[
];
