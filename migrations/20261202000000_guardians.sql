-- A guardian's child (docs/guardians.md): a patient account a parent or guardian created and
-- manages. The child has no credential of its own; the guardian opens sessions on it from their
-- own session, and every such session names the guardian.
CREATE TABLE guardianships (
    id          uuid PRIMARY KEY,
    guardian_id uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    child_id    uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT guardianships_not_self CHECK (guardian_id <> child_id),
    CONSTRAINT guardianships_child_key UNIQUE (child_id)
);
CREATE INDEX guardianships_guardian_idx ON guardianships (guardian_id);

-- The guardian acting in a session on their child's account (`subject_id` the child,
-- `credential_id` the guardian's own credential, so a password reset or a removed device of the
-- guardian ends it too).
ALTER TABLE sessions ADD COLUMN guardian_id uuid REFERENCES patients (id) ON DELETE CASCADE;
