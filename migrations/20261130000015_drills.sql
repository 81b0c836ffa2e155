-- Tabletop drills: scenarios (a third kind of versioned plan), runs of a
-- scenario on a drill incident with a virtual clock, the injects each run
-- has released and how each expectation was judged. A run's own record
-- (clock changes, releases, judgments) is a timeline of its own.
--
-- Two tables are rebuilt: `plans` (its kind check gains 'scenario') and
-- `timeline` (an entry belongs to an incident or to a drill run). Foreign
-- keys stay on inside a migration, and renaming a table would point the
-- tables that refer to it at the old copy; so each is copied aside,
-- dropped and made anew under its own name, with foreign keys checked at
-- commit, when every row that refers to it has its row again.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE plans_before_drills AS SELECT * FROM plans;
DROP TABLE plans;
CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('runbook', 'template', 'scenario')),
    title TEXT NOT NULL COLLATE NOCASE,
    -- Space-wrapped list (" a b ") so a tag matches as a whole word.
    tags TEXT NOT NULL DEFAULT ' ',
    -- Severity of a runbook, stage of a template, runbook of a scenario.
    label TEXT NOT NULL DEFAULT '',
    search TEXT NOT NULL DEFAULT '',
    latest INTEGER NOT NULL DEFAULT 0,
    -- The approved template version incidents use.
    approved INTEGER,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (kind, title)
);
INSERT INTO plans (id, kind, title, tags, label, search, latest, approved, updated_at, updated_by)
    SELECT id, kind, title, tags, label, search, latest, approved, updated_at, updated_by
    FROM plans_before_drills;
DROP TABLE plans_before_drills;

CREATE TABLE drill_runs (
    id INTEGER PRIMARY KEY,
    scenario_id INTEGER NOT NULL REFERENCES plans (id),
    scenario_version INTEGER NOT NULL,
    title TEXT NOT NULL,
    -- The account that runs the console.
    facilitator_id INTEGER NOT NULL REFERENCES users (id),
    facilitator TEXT NOT NULL,
    -- When it is planned for (NULL: started at once).
    scheduled_for TEXT,
    state TEXT NOT NULL CHECK (state IN ('scheduled', 'running', 'paused', 'ended')),
    -- The drill incident, made when the run starts.
    incident_id INTEGER REFERENCES incidents (id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    ended_at TEXT,
    -- The facilitator's words for the after-action report.
    strengths TEXT NOT NULL DEFAULT '',
    improvements TEXT NOT NULL DEFAULT '',
    -- Bumped by every change, so live pages know when to fetch again.
    revision INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX drill_runs_by_state ON drill_runs (state, id);

-- Who plays which incident role in a run.
CREATE TABLE drill_participants (
    run_id INTEGER NOT NULL REFERENCES drill_runs (id),
    role_id INTEGER NOT NULL REFERENCES incident_roles (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (run_id, role_id)
);

-- An inject is released once per run: the key makes a second release a
-- no-op whatever the clock did.
CREATE TABLE drill_releases (
    run_id INTEGER NOT NULL REFERENCES drill_runs (id),
    inject_id INTEGER NOT NULL,
    -- The virtual time it was released at (its due time, unless the
    -- facilitator released it early).
    released_at TEXT NOT NULL,
    early INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, inject_id)
);

-- How each expectation stands once judged (no row: pending). Every
-- judgment is also an entry of the run's timeline.
CREATE TABLE drill_judgments (
    run_id INTEGER NOT NULL REFERENCES drill_runs (id),
    inject_id INTEGER NOT NULL,
    expectation_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('met', 'missed', 'waived')),
    -- Virtual time of the judgment, and of the evidence when one met it.
    at TEXT NOT NULL,
    met_at TEXT,
    -- The drill incident's timeline entry that met it.
    evidence INTEGER REFERENCES timeline (id),
    judged_by TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, inject_id, expectation_id)
);

-- A drill incident runs on its run's virtual clock (JSON; NULL for a
-- real incident, which runs on real time).
ALTER TABLE incidents ADD COLUMN drill_run_id INTEGER REFERENCES drill_runs (id);
ALTER TABLE incidents ADD COLUMN clock TEXT;

DROP TRIGGER timeline_no_update;
DROP TRIGGER timeline_no_delete;
DROP INDEX timeline_by_incident;
DROP INDEX timeline_by_kind;
CREATE TABLE timeline_before_drills AS SELECT * FROM timeline;
DROP TABLE timeline;
CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER REFERENCES incidents (id),
    drill_run_id INTEGER REFERENCES drill_runs (id),
    at TEXT NOT NULL,
    happened_at TEXT,
    author TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'muster',
    text TEXT NOT NULL,
    corrects INTEGER REFERENCES timeline (id),
    data TEXT,
    -- Each entry belongs to exactly one subject.
    CHECK ((incident_id IS NULL) <> (drill_run_id IS NULL))
);
INSERT INTO timeline (id, incident_id, at, happened_at, author, kind, source, text, corrects, data)
    SELECT id, incident_id, at, happened_at, author, kind, source, text, corrects, data
    FROM timeline_before_drills;
DROP TABLE timeline_before_drills;

CREATE INDEX timeline_by_incident ON timeline (incident_id, id);
CREATE INDEX timeline_by_kind ON timeline (incident_id, kind, id);
CREATE INDEX timeline_by_drill_run ON timeline (drill_run_id, id);
CREATE INDEX timeline_by_drill_run_kind ON timeline (drill_run_id, kind, id);

CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'timeline entries are append-only; add a correction');
END;

CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'timeline entries are append-only; add a correction');
END;
