-- entente store, SQLite schema 7: provenance and federation, second part.
-- A shipped migration is never edited: changes go in a new numbered file.

-- The signature a version arrived with (`<public key>.<signature>`, both base64url): kept as
-- provenance, beside the object, so that the object stays exactly as its originator wrote it
-- and the signature can travel on when the version is relayed.
ALTER TABLE objects ADD COLUMN signature TEXT;

-- The Ed25519 identity keys (base64url) of the nodes whose signatures this node accepts, each
-- naming the organisation that node speaks for.
CREATE TABLE organisation_keys (
    public_key   TEXT PRIMARY KEY,
    organisation TEXT NOT NULL REFERENCES organisations(id),
    added        INTEGER NOT NULL
);

-- Deleted versions, in order, with the sharing facts they had: partners that received them
-- learn of the deletion (as far as the gate lets them see the version) on their next sync.
CREATE TABLE deletions (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    collection       TEXT NOT NULL,
    object_id        TEXT NOT NULL,
    version          TEXT,
    deleted_at       INTEGER NOT NULL,
    originator       TEXT,
    received_through TEXT,
    tlp              TEXT,
    handling         TEXT,
    recipients       TEXT
);
CREATE INDEX deletions_collection ON deletions (collection, seq);

-- Per peer: settings (push, signatures, TLS) and progress (push and deletion cursors,
-- failures), as JSON documents that grow without new columns.
ALTER TABLE peers ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE peers ADD COLUMN progress TEXT NOT NULL DEFAULT '{}';
