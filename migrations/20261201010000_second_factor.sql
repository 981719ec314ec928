-- A second factor (TOTP, RFC 6238) for patients, auditors and the operator. The server must
-- hold each TOTP secret to check codes, so it is stored as is; recovery codes and login
-- challenges are stored only as SHA-256 hashes.

CREATE TABLE credential_totp (
    credential_id  uuid        PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
    -- 20 random bytes (160 bits, RFC 4226's recommendation), shown once as base32.
    secret         bytea       NOT NULL CHECK (length(secret) = 20),
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- NULL while enrolment waits for its first code; set when the second factor is on.
    enabled_at     timestamptz,
    -- The last 30-second time step whose code was accepted: a code of that step or an earlier
    -- one is refused (replay).
    last_used_step bigint,
    -- Wrong codes since the last right one; at the limit the factor is locked for a while.
    failed_attempts integer    NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until   timestamptz
);

-- Single-use recovery codes, ten per enrolment (regenerating replaces them all).
CREATE TABLE recovery_codes (
    credential_id uuid        NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    code_hash     bytea       NOT NULL CHECK (length(code_hash) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    used_at       timestamptz,
    PRIMARY KEY (credential_id, code_hash)
);

-- A password accepted for an account with a second factor: the short-lived, single-use token
-- the second step presents.
CREATE TABLE login_challenges (
    token_hash    bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    credential_id uuid        NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);
CREATE INDEX login_challenges_credential_idx ON login_challenges (credential_id);
