-- Password reset (docs/recovery.md). A patient who forgot the password asks for a code, mailed
-- to the account's verified address; the code and a new password restore sign-in only. Keys are
-- not on the server and never come back this way: they come back from the recovery kit.

-- One pending reset per credential; a new request replaces it. The code is stored as SHA-256.
CREATE TABLE password_resets (
    credential_id uuid        PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
    code_sha256   bytea       NOT NULL CHECK (length(code_sha256) = 32),
    expires_at    timestamptz NOT NULL,
    -- Wrong codes tried against this one; it is void after a few.
    attempts      integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at    timestamptz NOT NULL
);

-- A reset ends every session of the account.
ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check
    CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'admin', 'password_reset'));
