-- entente store, PostgreSQL schema 10: a signature batch's record goes with its last version.
-- A shipped migration is never edited: changes go in a new numbered file.

-- Each record counts the stored versions whose signature refers to it (`batch:<key>:<leaf>`;
-- copies of a version into other collections count too): storing such a version adds one,
-- deleting it takes one off, and a record no version refers to any more is deleted. Before,
-- records outlived the versions that named them.
ALTER TABLE signature_batches ADD COLUMN refs BIGINT NOT NULL DEFAULT 0;

UPDATE signature_batches AS b SET refs = n.refs
FROM (
    SELECT split_part(signature, ':', 2) AS key, count(*) AS refs
    FROM objects WHERE signature LIKE 'batch:%'
    GROUP BY 1
) AS n
WHERE b.key = n.key;

DELETE FROM signature_batches WHERE refs = 0;
