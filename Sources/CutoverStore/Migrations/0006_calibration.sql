-- Noise calibration: a read-only exchange sent to legacy a second time, and what differed between the two legacy
-- answers (field, both values as stored: redacted). Append-only. An empty diff is a calibration that found no noise;
-- it counts toward how often a field differs.
CREATE TABLE cutover.calibrations (
    id                   uuid PRIMARY KEY,
    flow                 text NOT NULL,
    exchange_id          uuid NOT NULL,
    exchange_started_at  timestamptz NOT NULL,
    operation            text,
    diff                 jsonb NOT NULL DEFAULT '[]',
    calibrated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX calibrations_flow_time ON cutover.calibrations (flow, calibrated_at);

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cutover.calibrations
    FOR EACH STATEMENT EXECUTE FUNCTION cutover.refuse_change();

GRANT SELECT, INSERT ON cutover.calibrations TO cutover_service;
