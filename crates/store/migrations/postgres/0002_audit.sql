-- entente store, PostgreSQL schema 2: the audit log (DESIGN.md invariant 4).
-- A shipped migration is never edited: changes go in a new numbered file.

-- One row per audit entry, appended under a transaction-scoped advisory lock; `seq` is 1, 2, 3...
-- without gaps. `hash` is SHA-256 over the canonical encoding of the other columns (see the
-- server's audit module); `prev_hash` is the previous entry's `hash` (32 zero bytes for seq 1).
-- The store computes no hash itself: the writer passes a hashing function.
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    time         BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    organisation TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    purpose      TEXT,
    decision     TEXT NOT NULL,
    rule         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    prev_hash    BYTEA NOT NULL,
    hash         BYTEA NOT NULL
);

-- Append-only through the program: rows are never updated, deleted nor truncated. A database
-- owner can drop these triggers; the hash chain is what detects that (`entente audit verify`).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
