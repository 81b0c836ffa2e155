-- Audit events imported from other systems (Stripe, Zapier, Pipedream,
-- GitHub, CloudTrail, generic logs), with their secrets already taken out.

CREATE TABLE event_imports (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    accepted INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    rejected INTEGER NOT NULL
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    -- The vendor's id, or 'hash:' and the SHA-256 of the canonical record.
    dedupe_key TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'unknown')),
    request_id TEXT,
    environment TEXT,
    summary TEXT NOT NULL,
    -- Redacted JSON, at most 64 KiB; `truncated` says it was cut.
    payload TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0,
    -- HMAC-SHA256 of the original payload under the instance's key.
    fingerprint TEXT NOT NULL,
    import_id INTEGER NOT NULL REFERENCES event_imports (id),
    UNIQUE (source, dedupe_key)
);

CREATE INDEX events_by_time ON events (occurred_at, id);
CREATE INDEX events_by_request ON events (request_id) WHERE request_id IS NOT NULL;

-- Search over what people look for; kept in step by triggers.
CREATE VIRTUAL TABLE events_search USING fts5 (
    summary, actor, action, target, payload,
    content = 'events', content_rowid = 'id'
);

CREATE TRIGGER events_search_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_search (rowid, summary, actor, action, target, payload)
    VALUES (new.id, new.summary, new.actor, new.action, new.target, new.payload);
END;

CREATE TRIGGER events_search_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_search (events_search, rowid, summary, actor, action, target, payload)
    VALUES ('delete', old.id, old.summary, old.actor, old.action, old.target, old.payload);
END;
