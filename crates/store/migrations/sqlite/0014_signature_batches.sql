-- entente store, SQLite schema 14: signature batches kept once.
-- A shipped migration is never edited: changes go in a new numbered file.

-- A partner node signs many versions at once (one signature over the root of a Merkle tree);
-- each version arrives with the signer's key, the signature and its inclusion path, about 660
-- bytes, more than the average object. A version signed in a batch now keeps only a reference
-- to the batch's record (`batch:<key>:<leaf>` in `objects.signature`), and the record (the key,
-- the signature and the tree's hashes the received paths hold, from which each version's path
-- is rebuilt when it is relayed) is kept here once, under a hash of itself. Versions stored
-- before keep their signature in full.
CREATE TABLE signature_batches (
    key    TEXT PRIMARY KEY,
    record TEXT NOT NULL
) WITHOUT ROWID;
