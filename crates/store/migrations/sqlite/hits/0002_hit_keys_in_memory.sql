-- entente store, the correlation hits' own SQLite file, schema 2.
-- A shipped migration is never edited: changes go in a new numbered file.

-- The index of the hits by key goes. The writer used it only to find a hit equal to the one
-- it is about to store; it now keeps the stored keys (the `hkey` column, which stays) in a
-- Bloom filter in memory, loaded from this table, and looks for an equal hit, when the filter
-- says there may be one, among the stored hits of the new hit's first side (the id index).
-- Each hit wrote a row into a part of this index in random key order, and each move of its
-- new part rewrote the large part: a third of the hits' index writing.
DROP VIEW hit_keys_all;
DROP TABLE hit_keys;
DROP TABLE hit_keys_new;
