-- Hospital staff: people who sign in for a hospital with their own password, in a role the
-- hospital's administrators give them (docs/staff.md). The hospital's own API secret stays for
-- machine clients.

CREATE TABLE hospital_staff (
    id               uuid        PRIMARY KEY,
    hospital_id      uuid        NOT NULL REFERENCES hospitals (id) ON DELETE CASCADE,
    -- Chosen by the member when they accept their invitation; lower case.
    username         text        CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,31}$'),
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role             text        NOT NULL CHECK (role IN ('administrator', 'clinician', 'records_clerk')),
    status           text        NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'active', 'disabled')),
    -- The member's own X25519 public key (64 lower-case hex digits), from their browser.
    public_key       text        CHECK (public_key ~ '^[0-9a-f]{64}$'),
    -- The hospital's secrets HPKE-sealed to `public_key` by an administrator's browser
    -- (docs/staff.md): opaque bytes to the server.
    sealed_keys      bytea       CHECK (length(sealed_keys) = 112),
    sealed_by        uuid        REFERENCES hospital_staff (id),
    sealed_at        timestamptz,
    -- The administrator who invited them; NULL when the hospital's API-secret session did.
    invited_by       uuid        REFERENCES hospital_staff (id),
    -- The invitation: a one-time code, stored only as SHA-256, good until `invite_expires_at`.
    invite_code_hash bytea       CONSTRAINT hospital_staff_invite_code_key UNIQUE CHECK (length(invite_code_hash) = 32),
    invite_expires_at timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    accepted_at      timestamptz,
    disabled_at      timestamptz,
    disabled_by      uuid        REFERENCES hospital_staff (id),
    CONSTRAINT hospital_staff_username_key UNIQUE (hospital_id, username),
    CHECK (status = 'invited' OR status = 'disabled' OR (username IS NOT NULL AND public_key IS NOT NULL)),
    CHECK (status <> 'invited' OR (username IS NULL AND public_key IS NULL)),
    CHECK ((status = 'disabled') = (disabled_at IS NOT NULL)),
    CHECK (sealed_keys IS NULL OR public_key IS NOT NULL)
);
CREATE INDEX hospital_staff_hospital_idx ON hospital_staff (hospital_id, created_at);

-- A member signs in with their own credential (login `<HFR id>/<username>`); its subject is
-- the member.
ALTER TABLE credentials DROP CONSTRAINT credentials_role_check;
ALTER TABLE credentials
    ADD CONSTRAINT credentials_role_check CHECK (role IN ('patient', 'hospital', 'auditor', 'admin', 'staff'));

-- A member's session acts for the hospital (role `hospital`, subject the hospital) and names
-- the member; disabling the member revokes it.
ALTER TABLE sessions ADD COLUMN staff_id uuid REFERENCES hospital_staff (id) ON DELETE CASCADE;
CREATE INDEX sessions_staff_idx ON sessions (staff_id) WHERE staff_id IS NOT NULL;
-- (The list keeps `password_reset`, which the password-reset migration adds before this one.)
ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check
    CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'admin', 'password_reset', 'device_removed', 'staff_disabled'));
