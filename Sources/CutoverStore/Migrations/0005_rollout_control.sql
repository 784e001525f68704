-- Rollout control: scheduled mode changes, the auto-rollback guard's findings, and admin API tokens.

-- A mode change asked for at a later time. Whichever instance first sees it due applies it, in the same
-- transaction that marks it applied, so it happens once. Rows are settled (applied, failed, cancelled), never
-- deleted, so the list shows what was planned and what became of it.
CREATE TABLE cutover.scheduled_changes (
    id          bigserial PRIMARY KEY,
    flow        text NOT NULL,
    mode        text NOT NULL CHECK (mode IN ('legacy', 'shadow', 'canary', 'new')),
    percent     numeric(6, 2) NOT NULL DEFAULT 0 CHECK (percent >= 0 AND percent <= 100),
    reason      text NOT NULL,
    force       boolean NOT NULL DEFAULT false,
    due_at      timestamptz NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'failed', 'cancelled')),
    settled_at  timestamptz,
    settled_by  text,
    outcome     text
);

CREATE INDEX scheduled_changes_due ON cutover.scheduled_changes (due_at) WHERE state = 'pending';

-- What the auto-rollback guard did (`rollback`) or, in dry-run, would have done (`would_rollback`), with the
-- figures. Append-only; the latest finding per flow starts its cool-down.
CREATE TABLE cutover.guard_findings (
    id            bigserial PRIMARY KEY,
    flow          text NOT NULL,
    action        text NOT NULL CHECK (action IN ('rollback', 'would_rollback')),
    flow_version  bigint NOT NULL,
    figures       jsonb NOT NULL,
    found_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX guard_findings_flow ON cutover.guard_findings (flow, found_at DESC);

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cutover.guard_findings
    FOR EACH STATEMENT EXECUTE FUNCTION cutover.refuse_change();

-- Bearer tokens of the admin API. Only a SHA-256 of each token is kept; the token itself is shown once, when it
-- is created. Revoked tokens stay listed with the time they were revoked.
CREATE TABLE cutover.api_tokens (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    token_sha256  text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    revoked_at    timestamptz,
    revoked_by    text
);

-- One live token per name: a name is the actor recorded in the history, so it must say who acted.
CREATE UNIQUE INDEX api_tokens_live_name ON cutover.api_tokens (name) WHERE revoked_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON cutover.scheduled_changes TO cutover_service;
GRANT USAGE ON SEQUENCE cutover.scheduled_changes_id_seq TO cutover_service;
GRANT SELECT, INSERT ON cutover.guard_findings TO cutover_service;
GRANT USAGE ON SEQUENCE cutover.guard_findings_id_seq TO cutover_service;
GRANT SELECT, INSERT, UPDATE ON cutover.api_tokens TO cutover_service;
GRANT USAGE ON SEQUENCE cutover.api_tokens_id_seq TO cutover_service;
