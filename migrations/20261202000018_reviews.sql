-- Blameless post-incident reviews: one per incident (a drill's review is
-- on its drill incident). The sections are Markdown; the timeline is the
-- incident's own, which a review never changes: it only hides, annotates
-- and marks key moments, in review_entries.
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL UNIQUE REFERENCES incidents (id),
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'in_review', 'published')),
    -- Bumped each time a published review is reopened.
    version INTEGER NOT NULL DEFAULT 1,
    summary TEXT NOT NULL DEFAULT '',
    impact TEXT NOT NULL DEFAULT '',
    factors TEXT NOT NULL DEFAULT '',
    went_well TEXT NOT NULL DEFAULT '',
    lucky TEXT NOT NULL DEFAULT '',
    hard TEXT NOT NULL DEFAULT '',
    lessons TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_by TEXT,
    published_at TEXT,
    revision INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE review_entries (
    review_id INTEGER NOT NULL REFERENCES reviews (id),
    entry_id INTEGER NOT NULL REFERENCES timeline (id),
    hidden INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    moment TEXT CHECK (moment IN ('detection', 'diagnosis', 'mitigation', 'decision')),
    PRIMARY KEY (review_id, entry_id)
);

CREATE TABLE review_reviewers (
    review_id INTEGER NOT NULL REFERENCES reviews (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (review_id, user_id)
);

CREATE TABLE review_comments (
    id INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES reviews (id),
    section TEXT NOT NULL,
    text TEXT NOT NULL,
    author TEXT NOT NULL,
    author_id INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);

CREATE INDEX review_comments_by_review ON review_comments (review_id, id);

-- Each published version as it was published, read-only for good.
CREATE TABLE review_versions (
    review_id INTEGER NOT NULL REFERENCES reviews (id),
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (review_id, version)
);

-- Action items of reviews and of drill reports in one list, tracked to
-- closure. The drill report's items move here with their ids.
CREATE TABLE action_items (
    id INTEGER PRIMARY KEY,
    review_id INTEGER REFERENCES reviews (id),
    run_id INTEGER REFERENCES drill_runs (id),
    title TEXT NOT NULL,
    owner_id INTEGER REFERENCES people (id),
    owner TEXT NOT NULL,
    -- YYYY-MM-DD
    due_on TEXT NOT NULL,
    priority TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('high', 'medium', 'low')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done', 'wont_do')),
    ticket_url TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((review_id IS NULL) <> (run_id IS NULL))
);

INSERT INTO action_items (id, run_id, title, owner_id, owner, due_on, status, created_by, created_at, updated_at)
SELECT id, run_id, text, owner_id, owner, due_on,
       CASE WHEN done_at IS NULL THEN 'open' ELSE 'done' END,
       created_by, created_at, COALESCE(done_at, created_at)
FROM drill_actions;

DROP TABLE drill_actions;

CREATE INDEX action_items_open ON action_items (status, due_on);
CREATE INDEX action_items_by_review ON action_items (review_id, id);
CREATE INDEX action_items_by_run ON action_items (run_id, id);
