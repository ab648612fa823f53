-- entente store, PostgreSQL schema 4: screening.
-- A shipped migration is never edited: changes go in a new numbered file.

-- One row per imported list version, numbered 1, 2, 3... per list in import order. `version` is
-- the date the source states; importing the same dated file twice is refused. The diff counts
-- are those of screening_list_changes for this version, kept here for listings.
CREATE TABLE screening_list_versions (
    list        TEXT NOT NULL,
    number      BIGINT NOT NULL,
    version     TEXT NOT NULL,
    source      TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    added       BIGINT NOT NULL,
    amended     BIGINT NOT NULL,
    delisted    BIGINT NOT NULL,
    PRIMARY KEY (list, number),
    UNIQUE (list, version)
);

-- The entries of each version, in source order (`pos`). `body` is the screening crate's entry
-- as JSON: a screener is rebuilt from it.
CREATE TABLE screening_list_entries (
    list      TEXT NOT NULL,
    number    BIGINT NOT NULL,
    pos       BIGINT NOT NULL,
    entry_id  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    reference TEXT,
    name      TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (list, number, entry_id),
    FOREIGN KEY (list, number) REFERENCES screening_list_versions (list, number)
);
CREATE INDEX screening_list_entries_pos ON screening_list_entries (list, number, pos);

-- The diff between a version and the one before it (delisted entries vanish from the source,
-- so this is the only record of them).
CREATE TABLE screening_list_changes (
    list     TEXT NOT NULL,
    number   BIGINT NOT NULL,
    pos      BIGINT NOT NULL,
    change   TEXT NOT NULL CHECK (change IN ('added', 'amended', 'delisted')),
    entry_id TEXT NOT NULL,
    name     TEXT NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (list, number, entry_id),
    FOREIGN KEY (list, number) REFERENCES screening_list_versions (list, number)
);

-- Screened subjects, keyed by a digest of the facts screened (name, kind, date of birth,
-- nationality, document number), computed by the caller.
CREATE TABLE screening_subjects (
    key            TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT,
    birth_date     TEXT,
    nationality    TEXT,
    document       TEXT,
    first_screened BIGINT NOT NULL,
    last_screened  BIGINT NOT NULL
);

-- Which lists each subject was screened against (re-screened when a new version arrives).
CREATE TABLE screening_subject_lists (
    subject     TEXT NOT NULL REFERENCES screening_subjects (key),
    list        TEXT NOT NULL,
    last_number BIGINT NOT NULL,
    last_time   BIGINT NOT NULL,
    PRIMARY KEY (subject, list)
);
CREATE INDEX screening_subject_lists_list ON screening_subject_lists (list, subject);

-- Hits: one row per (subject, list, entry), open while the latest screening raises it.
CREATE TABLE screening_hits (
    subject      TEXT NOT NULL REFERENCES screening_subjects (key),
    list         TEXT NOT NULL,
    entry_id     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'vanished')),
    score        DOUBLE PRECISION NOT NULL,
    matched_name TEXT NOT NULL,
    body         TEXT NOT NULL,
    first_number BIGINT NOT NULL,
    last_number  BIGINT NOT NULL,
    PRIMARY KEY (subject, list, entry_id)
);

-- Human decisions on hits, append-only: the newest one for a hit is in force.
CREATE TABLE screening_adjudications (
    seq         BIGSERIAL PRIMARY KEY,
    subject     TEXT NOT NULL,
    list        TEXT NOT NULL,
    entry_id    TEXT NOT NULL,
    decision    TEXT NOT NULL
                CHECK (decision IN ('true-match', 'false-positive', 'needs-more-information')),
    reason      TEXT NOT NULL CHECK (length(reason) > 0),
    user_name   TEXT NOT NULL REFERENCES users (name),
    time        BIGINT NOT NULL,
    list_number BIGINT NOT NULL,
    FOREIGN KEY (subject, list, entry_id) REFERENCES screening_hits (subject, list, entry_id)
);
CREATE INDEX screening_adjudications_subject ON screening_adjudications (subject, seq);

CREATE FUNCTION screening_adjudications_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'adjudications are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER screening_adjudications_no_change BEFORE UPDATE OR DELETE ON screening_adjudications
    FOR EACH ROW EXECUTE FUNCTION screening_adjudications_append_only();
