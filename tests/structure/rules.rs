//! The layers of app/src, lowest first, and what is still allowed to break
//! a rule, each with its reason. DESIGN.md, "Layers", says why.

/// (rank, layer, top-level modules). A module may import its own layer and
/// any layer of a lower rank; two layers of one rank are peers and import
/// neither each other nor anything above.
#[rustfmt::skip]
pub const LAYERS: &[(usize, &str, &[&str])] = &[
    (0, "base", &["error", "fields", "ui", "environment", "engine"]),
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
];

/// (file, how many queries it still reads into positional tuples).
#[rustfmt::skip]
pub const TUPLES: &[(&str, usize)] = &[
];

/// (file, its lines): files still over MAX_LINES.
#[rustfmt::skip]
pub const LONG: &[(&str, usize)] = &[
];
