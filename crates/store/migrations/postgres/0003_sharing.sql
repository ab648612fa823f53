-- entente store, PostgreSQL schema 3: sharing.
-- A shipped migration is never edited: changes go in a new numbered file.

-- Organisations on or known to the node; at most one is the home organisation.
CREATE TABLE organisations (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    home BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX organisations_home ON organisations (home) WHERE home;

-- Channels and their agreements. purposes: a JSON array. Instants in microseconds.
CREATE TABLE channels (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    purposes    TEXT NOT NULL,
    max_marking TEXT NOT NULL,
    require_tlp BOOLEAN NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_until BIGINT
);

CREATE TABLE channel_members (
    channel      TEXT NOT NULL REFERENCES channels(id),
    organisation TEXT NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (channel, organisation)
);

-- A collection exposes a channel or is private to one organisation; unbound collections are
-- private to the home organisation.
CREATE TABLE collection_scopes (
    collection_id TEXT PRIMARY KEY REFERENCES collections(id),
    channel       TEXT REFERENCES channels(id),
    owner         TEXT REFERENCES organisations(id),
    CHECK ((channel IS NULL) <> (owner IS NULL))
);

-- The sharing facts of each version, read once at ingest. recipients: a JSON array.
ALTER TABLE objects ADD COLUMN originator TEXT;
ALTER TABLE objects ADD COLUMN received_through TEXT;
ALTER TABLE objects ADD COLUMN tlp TEXT;
ALTER TABLE objects ADD COLUMN handling TEXT;
ALTER TABLE objects ADD COLUMN recipients TEXT;

CREATE TABLE user_defaults (
    user_name TEXT PRIMARY KEY REFERENCES users(name),
    purpose TEXT
);

CREATE TABLE release_requests (
    id         TEXT PRIMARY KEY,
    object_id  TEXT NOT NULL,
    originator TEXT NOT NULL,
    requester  TEXT NOT NULL,
    state      TEXT NOT NULL,
    body       TEXT NOT NULL,
    seq        BIGINT NOT NULL
);
CREATE INDEX release_requests_originator ON release_requests (originator);
CREATE INDEX release_requests_requester ON release_requests (requester);

CREATE TABLE releases (
    object_id   TEXT NOT NULL,
    destination TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (object_id, destination)
);
