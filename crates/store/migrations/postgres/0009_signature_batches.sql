-- entente store, PostgreSQL schema 9: signature batches kept once.
-- A shipped migration is never edited: changes go in a new numbered file.

-- A version signed in a batch keeps only a reference to the batch's record
-- (`batch:<key>:<leaf>` in `objects.signature`); the record (the signer's key, the signature
-- and the tree's hashes the received paths hold) is kept here once, under a hash of itself.
-- Versions stored before keep their signature in full.
CREATE TABLE signature_batches (
    key    TEXT PRIMARY KEY,
    record TEXT NOT NULL
);
