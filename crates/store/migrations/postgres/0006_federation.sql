-- entente store, PostgreSQL schema 6: federation.
-- A shipped migration is never edited: changes go in a new numbered file.

-- Partner nodes; token_file names the file holding our credential for the peer (the secret
-- is never stored here). cursor: the peer's date_added resumed from.
CREATE TABLE peers (
    name              TEXT PRIMARY KEY,
    url               TEXT NOT NULL,
    organisation      TEXT NOT NULL,
    channel           TEXT NOT NULL,
    remote_collection TEXT NOT NULL,
    local_collection  TEXT NOT NULL REFERENCES collections(id),
    token_file         TEXT NOT NULL,
    interval_secs     BIGINT NOT NULL,
    cursor            TEXT,
    last_success      BIGINT,
    last_error        TEXT,
    stored            BIGINT NOT NULL DEFAULT 0
);
