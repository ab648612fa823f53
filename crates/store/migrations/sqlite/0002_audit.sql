-- entente store, SQLite schema 2: the audit log (DESIGN.md invariant 4).
-- A shipped migration is never edited: changes go in a new numbered file.

-- One row per audit entry, appended under the writer lock; `seq` is 1, 2, 3... without gaps.
-- `hash` is SHA-256 over the canonical encoding of the other columns (see the server's audit
-- module); `prev_hash` is the previous entry's `hash` (32 zero bytes for seq 1). The store
-- computes no hash itself: the writer passes a hashing function.
-- STRICT: a column holds only its declared type, so every value reads back as written.
CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY,
    time         INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    organisation TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    purpose      TEXT,
    decision     TEXT NOT NULL,
    rule         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    prev_hash    BLOB NOT NULL,
    hash         BLOB NOT NULL
) STRICT;

-- Append-only through the program: rows are never updated nor deleted. Someone with the database
-- file can drop these triggers; the hash chain is what detects that (`entente audit verify`).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
