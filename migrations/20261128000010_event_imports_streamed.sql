-- Imports are stored in short batches: an import's events stay hidden
-- while it runs, and are deleted if it is refused or killed midway.
ALTER TABLE event_imports ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
ALTER TABLE event_imports ADD COLUMN bytes_read INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_imports ADD COLUMN bytes_total INTEGER;
ALTER TABLE event_imports ADD COLUMN failure TEXT;
ALTER TABLE event_imports ADD COLUMN finished_at TEXT;

CREATE INDEX events_by_import ON events (import_id);
CREATE INDEX event_imports_running ON event_imports (state) WHERE state = 'running';

-- The first refusals of each import, for its report.
CREATE TABLE event_import_refusals (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES event_imports (id),
    place TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX event_import_refusals_by_import ON event_import_refusals (import_id);

-- The search index keeps which events hold each word, not where in
-- them (detail=none): half the work per stored event, which is what
-- lets a large import run at disk speed. Searches match words, not
-- phrases. Rebuilt from the events already stored.
DROP TRIGGER events_search_insert;
DROP TRIGGER events_search_delete;
DROP TABLE events_search;

CREATE VIRTUAL TABLE events_search USING fts5 (
    summary, actor, action, target, payload,
    content = 'events', content_rowid = 'id', detail = 'none'
);
INSERT INTO events_search (events_search) VALUES ('rebuild');

CREATE TRIGGER events_search_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_search (rowid, summary, actor, action, target, payload)
    VALUES (new.id, new.summary, new.actor, new.action, new.target, new.payload);
END;

CREATE TRIGGER events_search_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_search (events_search, rowid, summary, actor, action, target, payload)
    VALUES ('delete', old.id, old.summary, old.actor, old.action, old.target, old.payload);
END;
-- Merge the index's segments in larger steps while importing (measured:
-- about a sixth faster than the default of 4).
INSERT INTO events_search (events_search, rank) VALUES ('automerge', 8);

-- Events linked to incidents as evidence. The timeline entry that shows
-- each link is appended alongside; an unlink appends another.
CREATE TABLE event_links (
    event_id INTEGER NOT NULL REFERENCES events (id),
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    linked_by TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    -- The timeline entry that shows the link (an unlink corrects it).
    entry_id INTEGER NOT NULL,
    PRIMARY KEY (event_id, incident_id)
);
CREATE INDEX event_links_by_incident ON event_links (incident_id);

-- How long each source's events are kept when no incident links them
-- (a source without a row keeps them 90 days).
CREATE TABLE event_retention (
    source TEXT PRIMARY KEY,
    days INTEGER NOT NULL CHECK (days BETWEEN 1 AND 3650)
);
-- After an import, merging goes on in small steps until two segments are
-- left at most on any level (searches check each segment).
INSERT INTO events_search (events_search, rank) VALUES ('usermerge', 2);

-- Keys Muster makes for itself, sealed with the instance's key file (which
-- never sits here): `muster keys rotate` seals them anew, so what they
-- made (event fingerprints) stays checkable after a rotation.
CREATE TABLE sealed_keys (
    name TEXT PRIMARY KEY,
    sealed BLOB NOT NULL
);
