-- entente store, SQLite schema 8: correlation hits in a compact layout.
-- A shipped migration is never edited: changes go in a new numbered file.

-- Schema 5 indexed each hit's two ids, and its whole identity (nine text columns, unique), as
-- text: at a million hits those indexes outweighed the objects, and each stored batch dirtied
-- random pages all over them. Here every index that grows in random order holds 64-bit
-- integers: the hashes of the two ids (`entente_id_hash`, as `objects.idh`) and of the hit's
-- identity (`hkey`, `entente_hit_key`), which the writer uses to find an equal hit before
-- inserting (comparing every column: a hash collision never drops a hit). Collections are named
-- by their compact key. Rows keep their seq, so hit cursors stay valid.
CREATE TABLE correlation_hits_compact (
    seq       INTEGER PRIMARY KEY,
    found     INTEGER NOT NULL,
    rule      TEXT NOT NULL CHECK (rule IN ('value', 'pattern')),
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    a_coll    INTEGER NOT NULL REFERENCES collections(pk),
    a_id      TEXT NOT NULL,
    a_idh     INTEGER NOT NULL,
    a_version TEXT NOT NULL,
    b_coll    INTEGER NOT NULL REFERENCES collections(pk),
    b_id      TEXT NOT NULL,
    b_idh     INTEGER NOT NULL,
    b_version TEXT NOT NULL,
    hkey      INTEGER NOT NULL
) STRICT;

INSERT INTO correlation_hits_compact (seq, found, rule, kind, value, a_coll, a_id, a_idh,
    a_version, b_coll, b_id, b_idh, b_version, hkey)
SELECT h.seq, h.found, h.rule, h.kind, h.value, ca.pk, h.a_id, entente_id_hash(h.a_id),
       h.a_version, cb.pk, h.b_id, entente_id_hash(h.b_id), h.b_version,
       entente_hit_key(h.rule, h.kind, h.value, ca.pk, h.a_id, h.a_version, cb.pk, h.b_id,
                       h.b_version)
FROM correlation_hits h
JOIN collections ca ON ca.id = h.a_coll
JOIN collections cb ON cb.id = h.b_coll;

DROP TABLE correlation_hits;
ALTER TABLE correlation_hits_compact RENAME TO correlation_hits;

CREATE INDEX correlation_hits_key ON correlation_hits (hkey);
CREATE INDEX correlation_hits_a_id ON correlation_hits (a_idh, seq);
CREATE INDEX correlation_hits_b_id ON correlation_hits (b_idh, seq);
CREATE INDEX correlation_hits_a_coll ON correlation_hits (a_coll, seq);
CREATE INDEX correlation_hits_b_coll ON correlation_hits (b_coll, seq);
CREATE INDEX correlation_hits_found ON correlation_hits (found, seq);
