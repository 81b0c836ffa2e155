-- Drill schedules: a scenario rehearsed on an RFC 5545 recurrence rule
-- from a first date. Removing one deletes its row; the audit log keeps
-- the record of it.
CREATE TABLE drill_schedules (
    id INTEGER PRIMARY KEY,
    scenario_id INTEGER NOT NULL REFERENCES plans (id),
    -- The RRULE value, e.g. FREQ=MONTHLY;INTERVAL=3 (checked on the way in).
    rule TEXT NOT NULL CHECK (length(rule) BETWEEN 1 AND 200),
    starts_at TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX drill_schedules_scenario ON drill_schedules (scenario_id);

-- Each person's calendar feed key: only its SHA-256 is stored, like a
-- session token's. A new key replaces the old one.
CREATE TABLE calendar_feeds (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    key_hash BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
