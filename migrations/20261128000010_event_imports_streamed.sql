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
