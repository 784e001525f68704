-- Flow state: the live mode of every flow, and its append-only history.
CREATE SCHEMA IF NOT EXISTS cutover;

-- The role the service runs as (directly or through membership): it may insert and read audit rows, never change them.
DO $$
BEGIN
    CREATE ROLE cutover_service NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- Refuses UPDATE, DELETE and TRUNCATE on append-only tables, whoever asks.
CREATE FUNCTION cutover.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cutover table %.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit retention drops whole partitions: cutover audit prune --older-than';
END
$$;

CREATE TABLE cutover.flows (
    flow        text PRIMARY KEY,
    mode        text NOT NULL CHECK (mode IN ('legacy', 'shadow', 'canary', 'new')),
    percent     numeric(6, 2) NOT NULL DEFAULT 0 CHECK (percent >= 0 AND percent <= 100),
    version     bigint NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    changed_by  text NOT NULL,
    reason      text NOT NULL
);

CREATE TABLE cutover.flow_changes (
    id            bigserial PRIMARY KEY,
    flow          text NOT NULL,
    from_mode     text,
    from_percent  numeric(6, 2),
    to_mode       text NOT NULL,
    to_percent    numeric(6, 2) NOT NULL,
    version       bigint NOT NULL,
    actor         text NOT NULL,
    reason        text NOT NULL,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    figures       jsonb,
    UNIQUE (flow, version)
);

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cutover.flow_changes
    FOR EACH STATEMENT EXECUTE FUNCTION cutover.refuse_change();

GRANT USAGE ON SCHEMA cutover TO cutover_service;
GRANT SELECT, INSERT, UPDATE ON cutover.flows TO cutover_service;
GRANT SELECT, INSERT ON cutover.flow_changes TO cutover_service;
GRANT USAGE ON SEQUENCE cutover.flow_changes_id_seq TO cutover_service;
