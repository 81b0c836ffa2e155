-- Alert rules: which arriving events to watch, how many within how long
-- make an alert, how they are grouped, and what to do about one.
CREATE TABLE alert_rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- Space-separated lists; empty matches any.
    sources TEXT NOT NULL DEFAULT '',
    actions TEXT NOT NULL DEFAULT '',
    words TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'success', 'failure', 'unknown')),
    environment TEXT NOT NULL DEFAULT '',
    threshold INTEGER NOT NULL CHECK (threshold BETWEEN 1 AND 100000),
    window_minutes INTEGER NOT NULL CHECK (window_minutes BETWEEN 1 AND 10080),
    -- The event fields whose values make a group (space-separated).
    group_by TEXT NOT NULL DEFAULT '',
    quiet_minutes INTEGER NOT NULL CHECK (quiet_minutes BETWEEN 1 AND 10080),
    severity TEXT NOT NULL CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
    runbook_id INTEGER REFERENCES plans (id),
    enabled INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One alert per rule and group while it is active: 'pending' until the
-- threshold is reached within the window, then 'open' until a quiet
-- period passes with no new event ('resolved').
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    rule_id INTEGER NOT NULL REFERENCES alert_rules (id),
    group_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'open', 'resolved')),
    count INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    opened_at TEXT,
    resolved_at TEXT,
    incident_id INTEGER REFERENCES incidents (id)
);
CREATE UNIQUE INDEX alerts_active ON alerts (rule_id, group_key) WHERE state != 'resolved';
CREATE INDEX alerts_by_state ON alerts (state, id);

-- The first events of each alert, as its samples.
CREATE TABLE alert_events (
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    event_id INTEGER NOT NULL REFERENCES events (id),
    PRIMARY KEY (alert_id, event_id)
);
CREATE INDEX alert_events_by_event ON alert_events (event_id);
