-- Runbooks and customer notice templates ("plans"): a row per plan with
-- what lists and search need, and every saved version kept for good.
CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('runbook', 'template')),
    title TEXT NOT NULL COLLATE NOCASE,
    -- Space-wrapped list (" a b ") so a tag matches as a whole word.
    tags TEXT NOT NULL DEFAULT ' ',
    -- Severity of a runbook, stage of a template.
    label TEXT NOT NULL DEFAULT '',
    search TEXT NOT NULL DEFAULT '',
    latest INTEGER NOT NULL DEFAULT 0,
    -- The approved template version incidents use.
    approved INTEGER,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (kind, title)
);

CREATE TABLE plan_versions (
    plan_id INTEGER NOT NULL REFERENCES plans (id),
    version INTEGER NOT NULL,
    author TEXT NOT NULL,
    -- The account that wrote it; NULL for imports from the command line.
    author_id INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    note TEXT NOT NULL,
    content TEXT NOT NULL,
    approved_by TEXT,
    approved_by_id INTEGER REFERENCES users (id),
    approved_at TEXT,
    PRIMARY KEY (plan_id, version)
);

-- A saved version never changes, except to be approved once.
CREATE TRIGGER plan_versions_kept BEFORE DELETE ON plan_versions
BEGIN
    SELECT RAISE(ABORT, 'plan versions are kept');
END;

CREATE TRIGGER plan_versions_fixed BEFORE UPDATE ON plan_versions
WHEN NEW.content IS NOT OLD.content OR NEW.author IS NOT OLD.author
  OR NEW.author_id IS NOT OLD.author_id
  OR NEW.note IS NOT OLD.note OR NEW.created_at IS NOT OLD.created_at
  OR NEW.version IS NOT OLD.version OR NEW.plan_id IS NOT OLD.plan_id
  OR OLD.approved_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a saved plan version cannot change');
END;

-- The shared working copy of a runbook being edited, saved as a version
-- when an editor writes a change note.
CREATE TABLE runbook_drafts (
    plan_id INTEGER PRIMARY KEY REFERENCES plans (id),
    base INTEGER NOT NULL,
    content TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
