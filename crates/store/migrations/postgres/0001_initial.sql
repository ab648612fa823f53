-- entente store, PostgreSQL schema 1.
-- A shipped migration is never edited: changes go in a new numbered file.

CREATE TABLE api_roots (
    name               TEXT PRIMARY KEY,
    title              TEXT NOT NULL,
    description        TEXT,
    max_content_length BIGINT NOT NULL
);

-- `last_date_added` is the per-collection counter; writers lock this row (SELECT ... FOR UPDATE)
-- inside the insert transaction, so date_added is strictly increasing per collection even with
-- several processes writing, and commit order equals date_added order.
CREATE TABLE collections (
    pk              BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    api_root        TEXT NOT NULL REFERENCES api_roots(name),
    title           TEXT NOT NULL,
    description     TEXT,
    alias           TEXT,
    media_types     TEXT NOT NULL,
    last_date_added BIGINT NOT NULL DEFAULT 0,
    UNIQUE (api_root, alias)
);

-- One row per object version; the body is TEXT (not jsonb) so it is returned byte for byte.
-- Only the maintenance flags are ever updated. Key columns use the "C" collation so that min/max
-- and ordering are byte order (the order of Timestamp::sort_key), whatever the database locale.
CREATE TABLE objects (
    seq            BIGSERIAL PRIMARY KEY,
    coll           BIGINT NOT NULL REFERENCES collections(pk),
    date_added     BIGINT NOT NULL,
    id             TEXT COLLATE "C" NOT NULL,
    type           TEXT COLLATE "C" NOT NULL,
    spec_version   TEXT COLLATE "C" NOT NULL,
    vkey           TEXT COLLATE "C" NOT NULL,
    version        TEXT,
    created        TEXT,
    modified       TEXT,
    is_first       BOOLEAN NOT NULL,
    is_last        BOOLEAN NOT NULL,
    is_latest_spec BOOLEAN NOT NULL,
    body           TEXT NOT NULL
);

CREATE UNIQUE INDEX objects_version ON objects (coll, id, vkey);
CREATE UNIQUE INDEX objects_date_added ON objects (coll, date_added);
CREATE INDEX objects_type ON objects (coll, type, date_added);
CREATE INDEX objects_last ON objects (coll, date_added) WHERE is_last;
CREATE INDEX objects_last_type ON objects (coll, type, date_added) WHERE is_last;

CREATE TABLE statuses (
    api_root TEXT NOT NULL,
    id       TEXT NOT NULL,
    owner    TEXT NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (api_root, id)
);

CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    organisation  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT
);

CREATE TABLE api_tokens (
    sha256    TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name),
    label     TEXT NOT NULL
);

CREATE TABLE permissions (
    user_name     TEXT NOT NULL REFERENCES users(name),
    collection_id TEXT NOT NULL REFERENCES collections(id),
    can_read      BOOLEAN NOT NULL,
    can_write     BOOLEAN NOT NULL,
    PRIMARY KEY (user_name, collection_id)
);
