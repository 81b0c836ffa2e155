-- Who does what when an incident starts: the catalogue of incident roles,
-- the people who can hold them (not all of them have accounts), and for
-- each role a primary (rank 0) and backups in order (rank 1, 2, ...).
CREATE TABLE incident_roles (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    duties      TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);

CREATE TABLE people (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    team       TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    chat       TEXT NOT NULL DEFAULT '',
    user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE role_assignments (
    role_id   INTEGER NOT NULL REFERENCES incident_roles (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    rank      INTEGER NOT NULL CHECK (rank >= 0),
    PRIMARY KEY (role_id, person_id),
    UNIQUE (role_id, rank)
);

INSERT INTO incident_roles (name, description, duties, position, updated_at) VALUES
('Incident Commander', 'Owns the incident from declaration to resolution.',
 '- Declare the incident and its severity\n- Assign every other role\n- Decide; keep the team on one plan\n- Call the all-clear and hand over to the review', 1, '2026-11-26T00:00:00Z'),
('Communications Lead', 'Keeps customers and the company informed.',
 '- Pick the notice template for the current stage\n- Publish updates on the promised schedule\n- Answer inbound questions so responders are not interrupted', 2, '2026-11-26T00:00:00Z'),
('Scribe', 'Keeps the timeline: what happened, when, and who decided.',
 '- Record decisions and their reasons\n- Note times as they happen\n- Link evidence (logs, audit events) to the timeline', 3, '2026-11-26T00:00:00Z'),
('Operations Lead', 'Runs the technical work to contain and recover.',
 '- Coordinate responders on containment\n- Track the checklist\n- Confirm recovery before the all-clear', 4, '2026-11-26T00:00:00Z'),
('Security Lead', 'Owns anything involving leaked credentials or an attacker.',
 '- Rotate and revoke exposed keys\n- Preserve evidence\n- Decide on disclosure with the commander', 5, '2026-11-26T00:00:00Z');
