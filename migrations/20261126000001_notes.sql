-- Team notes: the first table, and the first path from form to SQLite.
CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    body       TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    created_at TEXT NOT NULL
);

CREATE INDEX notes_created_at ON notes (created_at);
