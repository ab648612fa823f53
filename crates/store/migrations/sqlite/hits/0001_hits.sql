-- entente store, the correlation hits' own SQLite file, schema 1.
-- A shipped migration is never edited: changes go in a new numbered file.

-- The hits moved here from the main file (its schema 13), with the layout that schemas 8 and
-- 11 gave them there: integer hashes in every index that grows in random order, and the
-- indexes by key and by id in two parts, a small new one that the writer moves into the large
-- one in sorted batches (`sqlite/ids.rs`). Collections are named by their key in the main
-- file (`collections.pk`); a foreign key cannot reach another file, so the writer resolves
-- each hit's collections there before it writes. Rows keep the `seq` they had in the main
-- file, so hit cursors stay valid.
CREATE TABLE correlation_hits (
    seq       INTEGER PRIMARY KEY,
    found     INTEGER NOT NULL,
    rule      TEXT NOT NULL CHECK (rule IN ('value', 'pattern')),
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    a_coll    INTEGER NOT NULL,
    a_id      TEXT NOT NULL,
    a_idh     INTEGER NOT NULL,
    a_version TEXT NOT NULL,
    b_coll    INTEGER NOT NULL,
    b_id      TEXT NOT NULL,
    b_idh     INTEGER NOT NULL,
    b_version TEXT NOT NULL,
    hkey      INTEGER NOT NULL
) STRICT;

CREATE INDEX correlation_hits_a_coll ON correlation_hits (a_coll, seq);
CREATE INDEX correlation_hits_b_coll ON correlation_hits (b_coll, seq);
CREATE INDEX correlation_hits_found ON correlation_hits (found, seq);

CREATE TABLE hit_keys (
    hkey INTEGER NOT NULL,
    seq  INTEGER NOT NULL,
    PRIMARY KEY (hkey, seq)
) WITHOUT ROWID;

CREATE TABLE hit_keys_new (
    hkey INTEGER NOT NULL,
    seq  INTEGER NOT NULL,
    PRIMARY KEY (hkey, seq)
) WITHOUT ROWID;

CREATE TABLE hit_ids (
    idh INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (idh, seq)
) WITHOUT ROWID;

CREATE TABLE hit_ids_new (
    idh INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (idh, seq)
) WITHOUT ROWID;

CREATE VIEW hit_keys_all AS
    SELECT hkey, seq FROM hit_keys
    UNION ALL
    SELECT hkey, seq FROM hit_keys_new;

CREATE VIEW hit_ids_all AS
    SELECT idh, seq FROM hit_ids
    UNION ALL
    SELECT idh, seq FROM hit_ids_new;
