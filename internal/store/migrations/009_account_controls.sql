-- Version 9: each account's status of each control per snapshot, written at commit (analyze.Summarize)
-- beside the organization's tallies, so that an OU's trend combines the statuses of the accounts
-- it holds with one GROUP BY instead of reading every window snapshot's findings again. OU
-- membership is the report's snapshot's, not the one each snapshot was taken with, so per-OU
-- tallies could not be stored at commit; per-account statuses combine into any OU's, as AWS's rule
-- over several accounts is the highest status of theirs (failing in one fails it).
--
-- One row per snapshot, account and control with data, each control once across its standards
-- (the summary score's view); the OU's per-standard scores are the report snapshot's alone and
-- read its findings. Statuses are ranks (3 FAILED, 2 UNKNOWN, 1 PASSED, 0 NO_DATA) so that max()
-- combines them.
CREATE TABLE snapshot_account_controls (
    snapshot_id BIGINT   NOT NULL,
    account_id  VARCHAR  NOT NULL,
    control_id  VARCHAR  NOT NULL,
    -- suppressed findings left out ...
    status      UTINYINT NOT NULL,
    -- ... and counted
    status_all  UTINYINT NOT NULL
);

-- A snapshot summarized before this version has no rows here, and so does one without control
-- findings: this mark tells them apart. Unmarked snapshots are computed from the history when a
-- report needs them (a cache, never the only copy). It is a table of its own, not a column of
-- snapshot_summarized, because the two marks differ for a routed report (store.ScopedConn): the
-- organization's tallies do not hold for a few of its accounts, but each account's statuses do.
CREATE TABLE snapshot_account_controls_stored (
    snapshot_id BIGINT PRIMARY KEY
);
