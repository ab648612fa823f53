-- entente store, SQLite schema 13: the correlation hits move to a file of their own.
-- A shipped migration is never edited: changes go in a new numbered file.

-- The hits now live in their own database file beside this one (`entente.hits.db` for
-- `entente.db`), with their own writer connection: a node storing what a peer or a client
-- sends writes its objects and the hits they make at once, rather than one after the other
-- through the one writer of this file. Readers attach that file, so queries name the hits'
-- tables as before. Before this runs, the store has copied every hit there, exactly as
-- stored (the same `seq`), with both parts of its indexes, in a durable transaction of its
-- own.
DROP VIEW hit_keys_all;
DROP VIEW hit_ids_all;
DROP TABLE hit_keys;
DROP TABLE hit_keys_new;
DROP TABLE hit_ids;
DROP TABLE hit_ids_new;
DROP TABLE correlation_hits;
