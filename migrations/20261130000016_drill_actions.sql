-- Action items a drill's after-action report brings up: what, who owns
-- it (a person of the roster) and by when.
CREATE TABLE drill_actions (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES drill_runs (id),
    text TEXT NOT NULL,
    owner_id INTEGER REFERENCES people (id),
    owner TEXT NOT NULL,
    -- YYYY-MM-DD
    due_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX drill_actions_by_run ON drill_actions (run_id, id);
