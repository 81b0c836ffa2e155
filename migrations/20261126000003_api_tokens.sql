-- Tokens for automation, created by admins and scoped to a role. Only the
-- SHA-256 of a token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    token_hash   BLOB NOT NULL UNIQUE,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'responder', 'viewer')),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
