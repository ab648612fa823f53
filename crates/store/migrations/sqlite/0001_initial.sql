-- entente store, SQLite schema 1.
-- A shipped migration is never edited: changes go in a new numbered file.

CREATE TABLE api_roots (
    name               TEXT PRIMARY KEY,
    title              TEXT NOT NULL,
    description        TEXT,
    max_content_length INTEGER NOT NULL
);

-- `pk` is the compact key object rows carry; `id` is the TAXII collection UUID (globally unique,
-- because the Store API names a collection by id alone). `last_date_added` is the per-collection
-- counter that makes date_added strictly increasing even after deletions.
CREATE TABLE collections (
    pk              INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    api_root        TEXT NOT NULL REFERENCES api_roots(name),
    title           TEXT NOT NULL,
    description     TEXT,
    alias           TEXT,
    media_types     TEXT NOT NULL,
    last_date_added INTEGER NOT NULL DEFAULT 0,
    UNIQUE (api_root, alias)
);

-- One row per object version. Never updated in place except the maintenance flags
-- is_first / is_last / is_latest_spec, which the writer keeps exact on every insert and delete so
-- that the default TAXII queries (match[version]=last, latest spec_version) are index scans.
-- vkey: Timestamp::sort_key() of the version (modified, else created), '' when none.
CREATE TABLE objects (
    seq            INTEGER PRIMARY KEY,
    coll           INTEGER NOT NULL REFERENCES collections(pk),
    date_added     INTEGER NOT NULL,
    id             TEXT NOT NULL,
    idh            INTEGER NOT NULL,
    type           TEXT NOT NULL,
    spec_version   TEXT NOT NULL,
    vkey           TEXT NOT NULL,
    version        TEXT,
    created        TEXT,
    modified       TEXT,
    is_first       INTEGER NOT NULL,
    is_last        INTEGER NOT NULL,
    is_latest_spec INTEGER NOT NULL,
    body           TEXT NOT NULL
);

-- idh: a 64-bit hash of id (filter.rs, id_hash). Indexing it instead of the id text keeps the
-- index small; random ids then dirty far fewer pages per batch. (coll, id, vkey) is unique:
-- the writer checks it inside its IMMEDIATE transaction before every insert.
CREATE INDEX objects_id ON objects (coll, idh);
CREATE UNIQUE INDEX objects_date_added ON objects (coll, date_added);
CREATE INDEX objects_type ON objects (coll, type, date_added);
CREATE INDEX objects_last ON objects (coll, date_added) WHERE is_last = 1;
CREATE INDEX objects_last_type ON objects (coll, type, date_added) WHERE is_last = 1;

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
    sha256 TEXT PRIMARY KEY,
    user   TEXT NOT NULL REFERENCES users(name),
    label  TEXT NOT NULL
);

CREATE TABLE permissions (
    user          TEXT NOT NULL REFERENCES users(name),
    collection_id TEXT NOT NULL REFERENCES collections(id),
    can_read      INTEGER NOT NULL,
    can_write     INTEGER NOT NULL,
    PRIMARY KEY (user, collection_id)
);
