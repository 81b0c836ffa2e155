-- A call's acknowledge key is made when its message is sent, and only its
-- hash is kept: the queued message holds a placeholder where the link's
-- key goes, and names its call here, so no key that can act is ever in the
-- database or a backup.
ALTER TABLE outbox ADD COLUMN call_id INTEGER REFERENCES calls (id);
