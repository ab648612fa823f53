-- entente store, SQLite schema 11: the correlation hits' random-order indexes in two parts.
-- A shipped migration is never edited: changes go in a new numbered file.

-- Three indexes of `correlation_hits` grew in random order: the hit's key hash (`hkey`, which
-- the writer probes for an equal hit) and the hashes of its two ids (`a_idh`, `b_idh`, for the
-- hits of an object). Each stored batch of hits dirtied a random page of each, for every hit:
-- about three pages of 8 KiB written to the log per hit once the indexes outgrow a batch, and
-- copied again by the checkpoint. As with the id index (schema 10), new rows now go into small
-- tables whose pages stay few and hot, `hit_keys_new` and `hit_ids_new`, and the writer moves
-- them into the large ones, `hit_keys` and `hit_ids`, in one sorted batch once they have grown
-- past a threshold that grows with the number of hits (see `sqlite/ids.rs`). `hit_ids` holds
-- one row per distinct id hash of a hit (both sides in one index). Readers see both parts
-- through the views `hit_keys_all` and `hit_ids_all`. Hits are only ever deleted all at once
-- (`clear_hits`), which empties every part.
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

INSERT INTO hit_keys (hkey, seq)
SELECT hkey, seq FROM correlation_hits ORDER BY hkey, seq;

INSERT INTO hit_ids (idh, seq)
SELECT a_idh, seq FROM correlation_hits
UNION
SELECT b_idh, seq FROM correlation_hits
ORDER BY 1, 2;

DROP INDEX correlation_hits_key;
DROP INDEX correlation_hits_a_id;
DROP INDEX correlation_hits_b_id;

CREATE VIEW hit_keys_all AS
    SELECT hkey, seq FROM hit_keys
    UNION ALL
    SELECT hkey, seq FROM hit_keys_new;

CREATE VIEW hit_ids_all AS
    SELECT idh, seq FROM hit_ids
    UNION ALL
    SELECT idh, seq FROM hit_ids_new;
