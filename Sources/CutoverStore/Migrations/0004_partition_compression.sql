-- 0003 set lz4 on the partitioned side_calls table only: PostgreSQL neither passes a column's compression on to
-- existing partitions nor to partitions created later, so payloads were still compressed with pglz. Each
-- side_calls partition now gets lz4 when it is created, and the existing ones get it here (rows already stored
-- keep their compression; an append-only store never rewrites them).

CREATE OR REPLACE FUNCTION cutover.ensure_audit_partitions(p_from timestamptz, p_months integer) RETURNS integer
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
                IF audit_table = 'side_calls' THEN
                    EXECUTE format(
                        'ALTER TABLE cutover.%I ALTER COLUMN request SET COMPRESSION lz4, '
                        'ALTER COLUMN response SET COMPRESSION lz4, ALTER COLUMN error SET COMPRESSION lz4',
                        partition_name);
                END IF;
                created := created + 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN created;
END
$$;

DO $$
DECLARE
    partition_name text;
BEGIN
    FOR partition_name IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'cutover.side_calls'::regclass
    LOOP
        EXECUTE format(
            'ALTER TABLE cutover.%I ALTER COLUMN request SET COMPRESSION lz4, '
            'ALTER COLUMN response SET COMPRESSION lz4, ALTER COLUMN error SET COMPRESSION lz4', partition_name);
    END LOOP;
END
$$;
