-- Append-only, hash-chained audit log. Each row's `hash` is SHA-256 over the previous row's
-- hash and this row's canonical encoding (see api::store::audit), so editing, deleting or
-- reordering any row breaks verification from that row on.

CREATE TABLE audit_log (
    seq                bigint      PRIMARY KEY CHECK (seq > 0),
    at                 timestamptz NOT NULL,
    actor_role         text        NOT NULL,
    actor_id           uuid,
    action             text        NOT NULL,
    outcome            text        NOT NULL CHECK (outcome IN ('ok', 'denied')),
    -- The patient whose data the event concerns: a patient sees every event about them.
    subject_patient_id uuid,
    target             text,
    request_id         text,
    details            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    prev_hash          bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash               bytea       NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_patient_id, seq);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
