-- Who a runbook or an alert rule reaches when an incident is declared
-- from it: a role (its holder, then the roster's backups in order when
-- nobody acknowledges in time), a person, or a channel.
CREATE TABLE reach_rules (
    id               INTEGER PRIMARY KEY,
    runbook_id       INTEGER REFERENCES plans (id) ON DELETE CASCADE,
    alert_rule_id    INTEGER REFERENCES alert_rules (id) ON DELETE CASCADE,
    target           TEXT NOT NULL CHECK (target IN ('role', 'person', 'channel')),
    target_id        INTEGER NOT NULL,
    escalate_minutes INTEGER NOT NULL DEFAULT 5 CHECK (escalate_minutes BETWEEN 1 AND 120),
    created_at       TEXT NOT NULL,
    CHECK ((runbook_id IS NULL) <> (alert_rule_id IS NULL)),
    UNIQUE (runbook_id, alert_rule_id, target, target_id)
);

-- Each call to a person about an incident. Its acknowledge link holds a
-- random key; only the key's SHA-256 is kept. An open call past its
-- escalate_at goes to the role's next backup.
CREATE TABLE calls (
    id               INTEGER PRIMARY KEY,
    incident_id      INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    person_id        INTEGER REFERENCES people (id) ON DELETE SET NULL,
    person_name      TEXT NOT NULL,
    role_id          INTEGER,
    role_name        TEXT NOT NULL DEFAULT '',
    rank             INTEGER NOT NULL DEFAULT 0,
    reason           TEXT NOT NULL CHECK (reason IN ('declared', 'handoff', 'escalated', 'rule')),
    drill            INTEGER NOT NULL DEFAULT 0,
    subject          TEXT NOT NULL,
    about            TEXT NOT NULL,
    key_hash         TEXT NOT NULL UNIQUE,
    escalate_minutes INTEGER NOT NULL DEFAULT 5,
    escalate_at      TEXT,
    expires_at       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    acked_at         TEXT,
    state            TEXT NOT NULL CHECK (state IN ('open', 'acked', 'escalated', 'closed'))
);
CREATE INDEX calls_due ON calls (state, escalate_at);
CREATE INDEX calls_by_incident ON calls (incident_id, id);
