-- Reaching people: channels (email over SMTP, outgoing webhooks), and the
-- outbox every message goes through. A message is written in the same
-- transaction as the change that causes it; the sender delivers it later
-- and logs each attempt. Withheld messages (drills, sandbox, staging)
-- stay here with whom they would have reached. A channel's password or
-- signing secret is in sealed_keys as 'channel:ID'.
CREATE TABLE channels (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind          TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
    preset        TEXT NOT NULL DEFAULT 'standard' CHECK (preset IN ('standard', 'slack', 'teams')),
    -- Webhook: the URL. Email: the SMTP server as host:port.
    address       TEXT NOT NULL,
    security      TEXT NOT NULL DEFAULT 'starttls' CHECK (security IN ('starttls', 'tls', 'plain')),
    username      TEXT NOT NULL DEFAULT '',
    sender        TEXT NOT NULL DEFAULT '',
    -- Email: the channel's own recipients (comma separated), e.g. a
    -- customer list; calls to a person go to that person's address.
    recipients    TEXT NOT NULL DEFAULT '',
    for_customers INTEGER NOT NULL DEFAULT 0,
    per_minute    INTEGER NOT NULL DEFAULT 30 CHECK (per_minute BETWEEN 1 AND 600),
    enabled       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    purpose     TEXT NOT NULL,
    recipient   TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT NOT NULL DEFAULT '',
    -- The message's own id: the webhook-id and the email's Message-ID, so
    -- a receiver can tell a retry from a new message.
    key         TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'withheld')),
    note        TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    answer      TEXT NOT NULL DEFAULT '',
    next_at     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    done_at     TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_by_channel ON outbox (channel_id, id);
CREATE INDEX outbox_by_incident ON outbox (incident_id, id);

-- Every attempt: when, which channel, how it went and the receiver's
-- answer code and words (never a password or signing secret).
CREATE TABLE outbox_attempts (
    id         INTEGER PRIMARY KEY,
    outbox_id  INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL,
    at         TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed')),
    code       INTEGER,
    answer     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_attempts_by_message ON outbox_attempts (outbox_id);
