-- The shared spine: typed data on timeline entries (what measures and
-- pictures read, so they never parse the words people read), and the
-- account behind each API token (a token acts as the person who created
-- it, for approvals and the audit log).
ALTER TABLE timeline ADD COLUMN data TEXT;

-- Measures and the picture read a few kinds from the whole history; the
-- page reads only the newest entries. Neither scans a long timeline.
CREATE INDEX timeline_by_kind ON timeline (incident_id, kind, id);

-- Entries written before this change get their data from their words,
-- once, here. The append-only trigger is lifted for this alone.
DROP TRIGGER timeline_no_update;

UPDATE timeline SET data = json_object(
    'type', 'status',
    'from', CASE WHEN instr(text, ' → ') > 0 THEN lower(substr(text, 1, instr(text, ' → ') - 1))
                 WHEN text = 'Resolved' THEN ''
                 ELSE 'resolved' END,
    'to', CASE WHEN text = 'Resolved' THEN 'resolved'
               WHEN text LIKE 'Reopened: %' THEN lower(substr(text, 11))
               ELSE lower(substr(text, instr(text, ' → ') + length(' → '))) END)
WHERE kind = 'status_change';

UPDATE timeline SET data = json_object(
    'type', 'role',
    'role', substr(text, 1, instr(text, ': ') - 1),
    'from', NULL,
    'to', CASE WHEN text LIKE '%; nobody holds it' THEN NULL
               WHEN text LIKE '% (from the roster)' THEN
                   substr(text, instr(text, ': ') + 2, length(text) - instr(text, ': ') - 1 - length(' (from the roster)'))
               WHEN instr(text, ' to ') > 0 AND text LIKE '%: handed off from %' THEN
                   substr(text, instr(text, ' to ') + 4)
               ELSE substr(text, instr(text, ': ') + 2) END)
WHERE kind = 'role_assigned' AND instr(text, ': ') > 0;

CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'timeline entries are append-only; add a correction');
END;

ALTER TABLE api_tokens ADD COLUMN created_by_id INTEGER REFERENCES users (id);
UPDATE api_tokens SET created_by_id = (SELECT u.id FROM users u WHERE 'user:' || u.email = api_tokens.created_by);
