-- Version 3: snapshots.empty marks a snapshot that holds no findings. An import that yields none
-- is refused unless the operator says the organization really has none (import --allow-empty),
-- because stored, such a snapshot reads as every finding resolved; the mark keeps that visible in
-- listings and reports. Snapshots stored before this version are marked by their finding count.
--
-- No NOT NULL: DuckDB adds no column with a constraint, and cannot set one on a populated table
-- in the transaction that added the column. The default fills every row and the writer always
-- sets it; readers coalesce all the same.
ALTER TABLE snapshots ADD COLUMN empty BOOLEAN DEFAULT false;
UPDATE snapshots SET empty = (findings = 0);
