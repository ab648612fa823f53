-- entente store, SQLite schema 9: the audit log moves to a file of its own.
-- A shipped migration is never edited: changes go in a new numbered file.

-- The audit log now lives in its own database file beside this one (`entente.audit.db` for
-- `entente.db`), with its own writer connection: each commit of the journal no longer makes
-- the readers of objects drop their page caches, and appends no longer wait for object
-- writes. Before this runs, the store has copied every row into that file, exactly as stored,
-- in a durable transaction of its own. Dropping the table does not fire its delete guard.
DROP TABLE audit_log;
