-- entente store, SQLite schema 12: claims on the sides of a peer's exchange.
-- A shipped migration is never edited: changes go in a new numbered file.

-- A pull or a push of a peer may be started by the serving node's scheduler and by an
-- `entente peer sync` at once, in two processes. Each moves the side's cursors and counts
-- from the state it loaded, so two runs of one side at once would overwrite each other's
-- counts. Before it starts, a run claims its side for a while (`expires`, microseconds since the
-- epoch), renews the claim while it runs and gives it up when it ends; a claim left by a
-- process that died expires.
CREATE TABLE peer_claims (
    peer   TEXT NOT NULL REFERENCES peers(name) ON DELETE CASCADE,
    side   TEXT NOT NULL,
    holder TEXT NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (peer, side)
) WITHOUT ROWID;
