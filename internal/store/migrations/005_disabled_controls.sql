-- Controls disabled in an account and region, as read with the snapshot: from Security Hub's
-- control associations (ListStandardsControlAssociations), the administrator's central
-- configuration policies, or the configuration's controls.disabled list. One row per account,
-- region, standard and control; a control disabled there is DISABLED in that scope: out of every
-- score, never PASSED or FAILED, never counted as a fix or a failure.
CREATE TABLE snapshot_disabled_controls (
    snapshot_id BIGINT NOT NULL,
    account_id  VARCHAR NOT NULL,
    region      VARCHAR NOT NULL,
    standard_id VARCHAR NOT NULL,
    control_id  VARCHAR NOT NULL,
    -- where the disablement was read: 'association', 'central_configuration', 'config'
    source      VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL
);
