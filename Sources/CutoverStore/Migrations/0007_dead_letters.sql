-- Dead letters: work meant for the new side that it could not take and that no fallback served, with the ERP
-- request as it would have gone out and the exchange's original input (both redacted). Written by the audit writer with the exchange (so spooled with it when
-- PostgreSQL is away). Append-only; each replay attempt is a row of its own, and a dead letter is settled once a
-- replay delivered it.
CREATE TABLE cutover.dead_letters (
    id                   uuid PRIMARY KEY,
    flow                 text NOT NULL,
    exchange_id          uuid NOT NULL,
    exchange_started_at  timestamptz NOT NULL,
    correlation_id       text NOT NULL,
    method               text NOT NULL,
    url                  text NOT NULL,
    idempotency_key      text,
    body                 text NOT NULL,
    input                text,
    error                text NOT NULL,
    attempts             integer NOT NULL,
    created_at           timestamptz NOT NULL,
    recorded_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dead_letters_flow_time ON cutover.dead_letters (flow, created_at);

CREATE TABLE cutover.dead_letter_replays (
    id              bigserial PRIMARY KEY,
    dead_letter_id  uuid NOT NULL REFERENCES cutover.dead_letters (id),
    replayed_at     timestamptz NOT NULL DEFAULT now(),
    delivered       boolean NOT NULL,
    status          integer,
    error           text,
    exchange_id     uuid,
    actor           text NOT NULL
);

CREATE INDEX dead_letter_replays_letter ON cutover.dead_letter_replays (dead_letter_id);
-- One delivery per dead letter: two replays racing cannot both record one.
CREATE UNIQUE INDEX dead_letter_replays_delivered ON cutover.dead_letter_replays (dead_letter_id) WHERE delivered;

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cutover.dead_letters
    FOR EACH STATEMENT EXECUTE FUNCTION cutover.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cutover.dead_letter_replays
    FOR EACH STATEMENT EXECUTE FUNCTION cutover.refuse_change();

GRANT SELECT, INSERT ON cutover.dead_letters, cutover.dead_letter_replays TO cutover_service;
GRANT USAGE ON SEQUENCE cutover.dead_letter_replays_id_seq TO cutover_service;
