-- Version 10: what a collection or import could not read or left out without failing (the
-- organization's OU tree denied, records of other kinds skipped by an import), stored with the
-- snapshot so that the report shows it rather than only the run's log. In insertion order (seq).
CREATE TABLE snapshot_warnings (
    snapshot_id BIGINT  NOT NULL,
    seq         INTEGER NOT NULL,
    kind        VARCHAR NOT NULL,
    message     VARCHAR NOT NULL
);
