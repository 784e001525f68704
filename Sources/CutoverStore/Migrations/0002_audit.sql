-- The audit store: exchanges, their side calls and their comparisons, range-partitioned by month (UTC).
-- Append-only: statement triggers on every table and partition refuse UPDATE, DELETE and TRUNCATE, and the
-- service role is granted INSERT and SELECT only. Retention drops whole partitions.

CREATE TABLE cutover.exchanges (
    id              uuid NOT NULL,
    flow            text NOT NULL,
    kind            text NOT NULL,
    parent_id       uuid,
    correlation_id  text NOT NULL,
    trace_id        text,
    routing_key     text,
    mode            text NOT NULL,
    percent         numeric(6, 2) NOT NULL DEFAULT 0,
    served_by       text,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    payload_sha256  text,
    verdict         text,
    attributes      jsonb NOT NULL DEFAULT '{}',
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (started_at, id)
) PARTITION BY RANGE (started_at);

CREATE INDEX exchanges_flow_time ON cutover.exchanges (flow, started_at);
CREATE INDEX exchanges_correlation ON cutover.exchanges (correlation_id);
CREATE INDEX exchanges_parent ON cutover.exchanges (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE cutover.side_calls (
    exchange_id          uuid NOT NULL,
    exchange_started_at  timestamptz NOT NULL,
    side                 text NOT NULL CHECK (side IN ('legacy', 'new')),
    attempt              integer NOT NULL,
    started_at           timestamptz NOT NULL,
    request              text,
    request_sha256       text,
    response             text,
    response_sha256      text,
    status               integer,
    latency_seconds      double precision,
    error                text,
    recorded_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (exchange_started_at, exchange_id, side, attempt)
) PARTITION BY RANGE (exchange_started_at);

CREATE INDEX side_calls_exchange ON cutover.side_calls (exchange_id);

CREATE TABLE cutover.comparisons (
    id                   uuid NOT NULL,
    exchange_id          uuid NOT NULL,
    exchange_started_at  timestamptz NOT NULL,
    flow                 text NOT NULL,
    verdict              text NOT NULL CHECK (verdict IN ('match', 'mismatch', 'legacy_error', 'new_error', 'not_compared')),
    diff                 jsonb NOT NULL DEFAULT '[]',
    compared_at          timestamptz NOT NULL,
    replay_of            uuid,
    recorded_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (exchange_started_at, id)
) PARTITION BY RANGE (exchange_started_at);

CREATE INDEX comparisons_flow_time ON cutover.comparisons (flow, exchange_started_at);
CREATE INDEX comparisons_exchange ON cutover.comparisons (exchange_id);

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cutover.exchanges
    FOR EACH STATEMENT EXECUTE FUNCTION cutover.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cutover.side_calls
    FOR EACH STATEMENT EXECUTE FUNCTION cutover.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cutover.comparisons
    FOR EACH STATEMENT EXECUTE FUNCTION cutover.refuse_change();

GRANT SELECT, INSERT ON cutover.exchanges, cutover.side_calls, cutover.comparisons TO cutover_service;

-- Creates the monthly partitions (UTC) of every audit table from p_from for p_months months, each with its own
-- append-only trigger (statement triggers are not inherited by partitions). Safe to call concurrently.
CREATE FUNCTION cutover.ensure_audit_partitions(p_from timestamptz, p_months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    audit_table text;
    month_start timestamp;
    partition_name text;
    created integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('cutover.audit_partitions'));
    FOREACH audit_table IN ARRAY ARRAY['exchanges', 'side_calls', 'comparisons'] LOOP
        FOR i IN 0 .. p_months - 1 LOOP
            month_start := date_trunc('month', p_from AT TIME ZONE 'UTC') + make_interval(months => i);
            partition_name := format('%s_%s', audit_table, to_char(month_start, 'YYYYMM'));
            IF to_regclass(format('cutover.%I', partition_name)) IS NULL THEN
                EXECUTE format(
                    'CREATE TABLE cutover.%I PARTITION OF cutover.%I FOR VALUES FROM (%L) TO (%L)',
                    partition_name, audit_table,
                    month_start AT TIME ZONE 'UTC', (month_start + interval '1 month') AT TIME ZONE 'UTC');
                EXECUTE format(
                    'CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cutover.%I '
                    'FOR EACH STATEMENT EXECUTE FUNCTION cutover.refuse_change()', partition_name);
                created := created + 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN created;
END
$$;

-- Drops whole monthly partitions that end at or before p_cutoff; returns their names.
CREATE FUNCTION cutover.prune_audit_partitions(p_cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    part record;
    month_end timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('cutover.audit_partitions'));
    FOR part IN
        SELECT c.relname, p.relname AS parent
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = 'cutover' AND p.relname IN ('exchanges', 'side_calls', 'comparisons')
        ORDER BY c.relname
    LOOP
        month_end := (to_date(right(part.relname, 6), 'YYYYMM')::timestamp + interval '1 month') AT TIME ZONE 'UTC';
        IF month_end <= p_cutoff THEN
            EXECUTE format('ALTER TABLE cutover.%I DETACH PARTITION cutover.%I', part.parent, part.relname);
            EXECUTE format('DROP TABLE cutover.%I', part.relname);
            RETURN NEXT part.relname;
        END IF;
    END LOOP;
END
$$;

SELECT cutover.ensure_audit_partitions(now() - interval '1 month', 4);
