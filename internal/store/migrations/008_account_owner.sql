-- Version 8: snapshot_accounts.owner, the account's owner as its owner tag (collect.aws.owner_tag)
-- or the configuration's accounts list gives it, so that reports group and route by owner.
-- Accounts stored before this version have none ('').
--
-- No NOT NULL: DuckDB adds no column with a constraint (see 003); the writer always sets it and
-- readers coalesce all the same.
ALTER TABLE snapshot_accounts ADD COLUMN owner VARCHAR DEFAULT '';
UPDATE snapshot_accounts SET owner = '' WHERE owner IS NULL;
