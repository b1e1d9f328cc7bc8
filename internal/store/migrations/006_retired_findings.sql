-- Findings of retired controls (AWS no longer evaluates them; catalog.Retired) that the collector
-- dropped rather than store: AWS leaves them out of every score, but a reader reconciling our
-- counts with the console has to see how many there were. One row per account, region, standard
-- (resource id; '' for a finding associated with none) and control, with the findings dropped.
CREATE TABLE snapshot_retired_findings (
    snapshot_id BIGINT NOT NULL,
    account_id  VARCHAR NOT NULL,
    region      VARCHAR NOT NULL,
    standard_id VARCHAR NOT NULL,
    control_id  VARCHAR NOT NULL,
    findings    BIGINT NOT NULL
);
