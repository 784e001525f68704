-- File-drop claims: one row per flow and file content (SHA-256). A watcher claims a file by renaming it into
-- processing/ and inserting this row; the same bytes dropped again meet the row and are a recorded duplicate, not a
-- second delivery. The row is also the file's progress, so a file interrupted by a crash resumes where it stopped:
-- the mode it started in, how many records have a durable outcome, and how far its legacy delivery got.
CREATE TABLE cutover.file_claims (
    flow              text NOT NULL,
    sha256            text NOT NULL,
    file_name         text NOT NULL,
    processing_path   text NOT NULL,
    -- device:inode of the file in processing/ (a rename keeps it): tells this very file, resumed, from the same
    -- bytes dropped again under the same name.
    file_identity     text NOT NULL,
    exchange_id       uuid NOT NULL,
    started_at        timestamptz NOT NULL,
    claimed_by        text NOT NULL,
    mode              text NOT NULL,
    percent           double precision NOT NULL,
    state             text NOT NULL DEFAULT 'processing' CHECK (state IN ('processing', 'done', 'failed')),
    -- Records (in file order) whose outcome is durable in the audit store.
    records_done      bigint NOT NULL DEFAULT 0,
    -- The legacy file: 'pending', 'written' (complete and fsync'ed under its temporary name), 'delivered'.
    legacy_delivery   text NOT NULL DEFAULT 'pending' CHECK (legacy_delivery IN ('pending', 'written', 'delivered', 'none')),
    finished_at       timestamptz,
    result            jsonb,
    PRIMARY KEY (flow, sha256)
);

CREATE INDEX file_claims_path ON cutover.file_claims (flow, processing_path);

-- Who is working on something right now (a file in processing/, a database job's run): a lease renewed while the
-- work goes on. A process that dies stops renewing, and another instance takes the work over once the lease lapses.
-- A row, not a session lock, so a PostgreSQL restart neither drops the hold nor strands the holder on a dead
-- connection.
CREATE TABLE cutover.leases (
    scope       text NOT NULL,
    key         text NOT NULL,
    owner       text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
