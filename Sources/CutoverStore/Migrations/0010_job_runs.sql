-- Database jobs: when each job runs next (one row per flow; an instance takes a due run by moving next_run_at on,
-- so each scheduled run happens once across instances), every run with its outcome, and what shadow runs sent to
-- the ERP (shadow mode never touches the legacy tables, so "sent" is kept here instead of through ack_sql).
CREATE TABLE cutover.job_schedule (
    flow         text PRIMARY KEY,
    schedule     text NOT NULL,
    next_run_at  timestamptz NOT NULL
);

CREATE TABLE cutover.job_runs (
    id               uuid PRIMARY KEY,
    flow             text NOT NULL,
    trigger          text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    -- The scheduled time this run is for (NULL for a manual run).
    slot             timestamptz,
    instance         text NOT NULL,
    mode             text NOT NULL,
    percent          double precision NOT NULL,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    outcome          text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'succeeded', 'failed')),
    rows_seen        integer NOT NULL DEFAULT 0,
    rows_sent        integer NOT NULL DEFAULT 0,
    rows_failed      integer NOT NULL DEFAULT 0,
    legacy_ran       boolean NOT NULL DEFAULT false,
    error            text
);

CREATE UNIQUE INDEX job_runs_slot ON cutover.job_runs (flow, slot) WHERE slot IS NOT NULL;
CREATE INDEX job_runs_flow_time ON cutover.job_runs (flow, started_at DESC);

CREATE TABLE cutover.job_sent (
    flow      text NOT NULL,
    row_key   text NOT NULL,
    run_id    uuid NOT NULL,
    sent_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (flow, row_key)
);
