-- Senders that push events to Muster over signed webhooks.
CREATE TABLE hook_sources (
    id INTEGER PRIMARY KEY,
    -- The last part of the address POST /hooks/{name}.
    name TEXT NOT NULL UNIQUE,
    scheme TEXT NOT NULL CHECK (scheme IN ('stripe', 'standard-webhooks', 'github', 'slack', 'token')),
    -- A label stored on events the sender does not label itself (live, test).
    environment TEXT NOT NULL DEFAULT '',
    -- Client networks allowed to deliver (CIDR, space separated; empty: any).
    networks TEXT NOT NULL DEFAULT '',
    retention_days INTEGER NOT NULL DEFAULT 90 CHECK (retention_days BETWEEN 1 AND 3650),
    enabled INTEGER NOT NULL DEFAULT 1,
    -- The standing import its events belong to (an import that never ends).
    import_id INTEGER NOT NULL REFERENCES event_imports (id),
    accepted INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A source's secrets: the current one (no retires_at) and, during a
-- rotation's overlap, the ones it replaced until they retire. The secret
-- itself is sealed with the instance's key in sealed_keys (`key_name`),
-- so `muster keys rotate` seals it anew with the others.
CREATE TABLE hook_secrets (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES hook_sources (id),
    key_name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    retires_at TEXT
);
CREATE INDEX hook_secrets_by_source ON hook_secrets (source_id);

-- What happened to each delivery (the newest kept per source; never the
-- body of a refused one).
CREATE TABLE hook_deliveries (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES hook_sources (id),
    received_at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected')),
    status INTEGER NOT NULL,
    reason TEXT,
    client TEXT,
    delivery_id TEXT,
    fingerprint TEXT,
    event_id INTEGER
);
CREATE INDEX hook_deliveries_by_source ON hook_deliveries (source_id, id);
