-- Each backup Muster made on its own schedule (and, later, each restore
-- drill): what it wrote, whether its verify passed, and what it pruned.
-- The admin page and the home page's warning read the newest.
CREATE TABLE backup_runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('scheduled', 'drill')),
    file TEXT NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    ok INTEGER NOT NULL,
    message TEXT NOT NULL,
    pruned INTEGER NOT NULL DEFAULT 0,
    -- The schedule's interval when it ran: a backup is missed when none
    -- succeeded for two of them.
    every_s INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);

CREATE INDEX backup_runs_newest ON backup_runs (kind, id);
