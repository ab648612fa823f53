-- entente store, SQLite schema 5: correlation.
-- A shipped migration is never edited: changes go in a new numbered file.

-- One row per hit: a link between two object versions (a_* is the smaller side), found once
-- when data arrived. Never a table of every pair: the engine caps over-correlating values.
-- `found` is microseconds since the epoch; `seq` orders the hits for paging.
CREATE TABLE correlation_hits (
    seq       INTEGER PRIMARY KEY,
    found     INTEGER NOT NULL,
    rule      TEXT NOT NULL CHECK (rule IN ('value', 'pattern')),
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    a_coll    TEXT NOT NULL REFERENCES collections(id),
    a_id      TEXT NOT NULL,
    a_version TEXT NOT NULL,
    b_coll    TEXT NOT NULL REFERENCES collections(id),
    b_id      TEXT NOT NULL,
    b_version TEXT NOT NULL,
    UNIQUE (a_coll, a_id, a_version, b_coll, b_id, b_version, rule, kind, value)
) STRICT;

CREATE INDEX correlation_hits_a_id ON correlation_hits (a_id, seq);
CREATE INDEX correlation_hits_b_id ON correlation_hits (b_id, seq);
CREATE INDEX correlation_hits_a_coll ON correlation_hits (a_coll, seq);
CREATE INDEX correlation_hits_b_coll ON correlation_hits (b_coll, seq);
CREATE INDEX correlation_hits_found ON correlation_hits (found, seq);

-- The correlation settings (cap, warning lists, on/off) as one JSON document.
CREATE TABLE correlation_settings (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    body      TEXT NOT NULL
) STRICT;
