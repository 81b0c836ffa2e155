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

-- Role texts: "ROLE: NAME (from the roster)", "ROLE: handed off from A
-- to B", "ROLE: A stood down; nobody holds it" and "ROLE: NAME".
UPDATE timeline SET data = json_object(
    'type', 'role',
    'role', substr(text, 1, instr(text, ': ') - 1),
    'from', CASE
        WHEN text LIKE '%: handed off from % to %' THEN
            substr(substr(text, instr(text, ': handed off from ') + 18), 1,
                   instr(substr(text, instr(text, ': handed off from ') + 18), ' to ') - 1)
        WHEN text LIKE '%; nobody holds it' THEN
            substr(text, instr(text, ': ') + 2, instr(text, ' stood down;') - instr(text, ': ') - 2)
        ELSE NULL END,
    'to', CASE
        WHEN text LIKE '%; nobody holds it' THEN NULL
        WHEN text LIKE '% (from the roster)' THEN
            substr(text, instr(text, ': ') + 2, length(text) - instr(text, ': ') - 1 - length(' (from the roster)'))
        WHEN text LIKE '%: handed off from % to %' THEN
            substr(substr(text, instr(text, ': handed off from ') + 18),
                   instr(substr(text, instr(text, ': handed off from ') + 18), ' to ') + 4)
        ELSE substr(text, instr(text, ': ') + 2) END)
WHERE kind = 'role_assigned' AND instr(text, ': ') > 0;

CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'timeline entries are append-only; add a correction');
END;

ALTER TABLE api_tokens ADD COLUMN created_by_id INTEGER REFERENCES users (id);
UPDATE api_tokens SET created_by_id = (SELECT u.id FROM users u WHERE 'user:' || u.email = api_tokens.created_by);

-- What an API token wrote before this change has no author account; it was
-- written by the token's creator, who therefore may not approve it. The
-- versions trigger is lifted for this alone.
DROP TRIGGER plan_versions_fixed;

UPDATE plan_versions SET author_id = (
    SELECT t.created_by_id FROM api_tokens t WHERE 'token:' || t.name = plan_versions.author)
WHERE author_id IS NULL AND author LIKE 'token:%';

CREATE TRIGGER plan_versions_fixed BEFORE UPDATE ON plan_versions
WHEN NEW.content IS NOT OLD.content OR NEW.author IS NOT OLD.author
  OR NEW.author_id IS NOT OLD.author_id
  OR NEW.note IS NOT OLD.note OR NEW.created_at IS NOT OLD.created_at
  OR NEW.version IS NOT OLD.version OR NEW.plan_id IS NOT OLD.plan_id
  OR OLD.approved_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a saved plan version cannot change');
END;

UPDATE incident_notices SET drafted_by_id = (
    SELECT t.created_by_id FROM api_tokens t WHERE 'token:' || t.name = incident_notices.drafted_by)
WHERE drafted_by_id IS NULL AND drafted_by LIKE 'token:%';
