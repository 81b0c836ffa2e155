-- Incidents: the current state in `incidents`, `incident_roles_held` and
-- `incident_checklist`, and the record in `timeline`, which is append-only.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
    status TEXT NOT NULL DEFAULT 'investigating'
        CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    impact TEXT NOT NULL DEFAULT '',
    runbook_id INTEGER REFERENCES plans (id),
    runbook_version INTEGER,
    declared_at TEXT NOT NULL,
    declared_by TEXT NOT NULL,
    resolved_at TEXT,
    next_update_at TEXT,
    -- Bumped by every change, so live pages know when to fetch again.
    revision INTEGER NOT NULL DEFAULT 1
);

CREATE INDEX incidents_by_status ON incidents (status, declared_at);

CREATE TABLE incident_roles_held (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    role_id INTEGER NOT NULL REFERENCES incident_roles (id),
    person_id INTEGER REFERENCES people (id),
    PRIMARY KEY (incident_id, role_id)
);

-- The pinned runbook version's steps, copied so later edits to the
-- runbook never change a running (or past) incident.
CREATE TABLE incident_checklist (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    step_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    phase TEXT NOT NULL,
    role TEXT NOT NULL,
    target_minutes INTEGER,
    text TEXT NOT NULL,
    done_at TEXT,
    done_by TEXT,
    PRIMARY KEY (incident_id, step_id)
);

CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at TEXT NOT NULL,
    happened_at TEXT,
    author TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'muster',
    text TEXT NOT NULL,
    corrects INTEGER REFERENCES timeline (id)
);

CREATE INDEX timeline_by_incident ON timeline (incident_id, id);

CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'timeline entries are append-only; add a correction');
END;

CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'timeline entries are append-only; add a correction');
END;

-- Customer notices of an incident: drafted from an approved template with
-- the values filled in, approved by a second person, then published.
CREATE TABLE incident_notices (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    template_id INTEGER NOT NULL REFERENCES plans (id),
    template_version INTEGER NOT NULL,
    stage TEXT NOT NULL,
    channel TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    drafted_by TEXT NOT NULL,
    drafted_by_id INTEGER REFERENCES users (id),
    drafted_at TEXT NOT NULL,
    approved_by TEXT,
    approved_at TEXT,
    -- The next update this notice promises; set on the incident when published.
    next_update_at TEXT,
    published_by TEXT,
    published_at TEXT
);
