-- entente store, SQLite schema 10: the id index in two parts.
-- A shipped migration is never edited: changes go in a new numbered file.

-- Object ids are random, so each new version landed on a random page of the index on
-- (coll, idh): at a million stored versions a POST of 1,000 new objects dirtied about 1,000
-- pages of 8 KiB, nearly nine tenths of what its commit wrote to the log, and the checkpoint
-- copied them all again. Here new versions go into `object_ids_new`, small enough that its
-- pages stay few and hot; the writer moves its rows into `object_ids` in one sorted batch once
-- it has grown past a threshold that grows with the store (see `sqlite/ids.rs`), so that each
-- page of the large part is written once per batch rather than once per POST. Lookups by id
-- read both parts through the view `object_ids_all` and then the objects by `seq`.
CREATE TABLE object_ids (
    coll INTEGER NOT NULL,
    idh  INTEGER NOT NULL,
    seq  INTEGER NOT NULL,
    PRIMARY KEY (coll, idh, seq)
) WITHOUT ROWID;

CREATE TABLE object_ids_new (
    coll INTEGER NOT NULL,
    idh  INTEGER NOT NULL,
    seq  INTEGER NOT NULL,
    PRIMARY KEY (coll, idh, seq)
) WITHOUT ROWID;

INSERT INTO object_ids (coll, idh, seq)
SELECT coll, idh, seq FROM objects ORDER BY coll, idh, seq;

DROP INDEX objects_id;

CREATE VIEW object_ids_all AS
    SELECT coll, idh, seq FROM object_ids
    UNION ALL
    SELECT coll, idh, seq FROM object_ids_new;

-- Every version is in exactly one part. The writer inserts each new version's row itself, in
-- the statement after the version's (a trigger would make every insert a two-table statement,
-- which SQLite guards with a statement journal: a copy of each page it touches). Deletions,
-- rare and already multi-row, go through a trigger, whatever path deletes. Rows of `objects`
-- never change their coll, idh or seq.
CREATE TRIGGER objects_ids_delete AFTER DELETE ON objects BEGIN
    DELETE FROM object_ids WHERE coll = old.coll AND idh = old.idh AND seq = old.seq;
    DELETE FROM object_ids_new WHERE coll = old.coll AND idh = old.idh AND seq = old.seq;
END;
