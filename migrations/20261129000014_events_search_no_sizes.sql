-- The search index no longer keeps each event's size in words
-- (columnsize=0): nothing ranks by it, and not writing it makes storing
-- an event cheaper. Rebuilt from the events already stored.
DROP TRIGGER events_search_delete;
DROP TABLE events_search;

CREATE VIRTUAL TABLE events_search USING fts5 (
    summary, actor, action, target, payload,
    content = 'events', content_rowid = 'id', detail = 'none', columnsize = 0
);
INSERT INTO events_search (events_search) VALUES ('rebuild');

CREATE TRIGGER events_search_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_search (events_search, rowid, summary, actor, action, target, payload)
    VALUES ('delete', old.id, old.summary, old.actor, old.action, old.target, old.payload);
END;
INSERT INTO events_search (events_search, rank) VALUES ('automerge', 8);
INSERT INTO events_search (events_search, rank) VALUES ('usermerge', 2);
