-- State-level reconciliations (`cutover reconcile FLOW`): what each run found comparing the legacy record set with
-- the ERP's, by key. Append-only, like the audit; reports show the latest per flow.
CREATE TABLE cutover.reconciliations (
    id            uuid PRIMARY KEY,
    flow          text NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL,
    since         timestamptz,
    legacy_count  bigint NOT NULL,
    new_count     bigint NOT NULL,
    only_legacy   bigint NOT NULL,
    only_new      bigint NOT NULL,
    changed       bigint NOT NULL,
    -- The whole finding: keys on one side only, changed fields with both values, control totals, pages read.
    result        jsonb NOT NULL
);

CREATE INDEX reconciliations_flow_time ON cutover.reconciliations (flow, started_at DESC);
