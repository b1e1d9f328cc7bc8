-- Findings a source returned for an account/region but that could not be stored (no Id, an
-- unknown status, a malformed time): how many, and the first one's error. They are left out of
-- the snapshot, which is then partial; counting them here says what is missing and why.
ALTER TABLE coverage ADD COLUMN malformed BIGINT DEFAULT 0;
ALTER TABLE coverage ADD COLUMN malformed_error VARCHAR DEFAULT '';
