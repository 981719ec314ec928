-- A patient's devices, and pairing a new device from one that already holds the keys
-- (docs/devices.md). The server stores only the new device's public key and the keys sealed to it
-- (HPKE); it never sees the keys themselves.

-- A device is one signed-in browser or client: each patient sign-in makes one, and its sessions
-- point at it. Removing a device ends its sessions at once; it does not (cannot) erase keys the
-- device saved.
CREATE TABLE devices (
    id           uuid        PRIMARY KEY,
    patient_id   uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    -- Shortened from the User-Agent ("Chrome on Android"), or given by the person when pairing.
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    removed_at   timestamptz
);
CREATE INDEX devices_patient_idx ON devices (patient_id, created_at);

ALTER TABLE sessions ADD COLUMN device_id uuid REFERENCES devices (id) ON DELETE SET NULL;
CREATE INDEX sessions_device_idx ON sessions (device_id) WHERE device_id IS NOT NULL;
ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check
    CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'admin', 'password_reset', 'device_removed'));

-- A pairing: the new device's X25519 public key, waiting for a device with the keys to seal them
-- to it. `code` is the commitment to the public key the person types (it is derived from the key,
-- so it is no secret from the server); `sealed` is the HPKE ciphertext, kept until the new
-- device's session fetches it once, then emptied.
CREATE TABLE device_pairings (
    id           uuid        PRIMARY KEY,
    patient_id   uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    -- The new device and the session that asked: only that session may fetch the sealed keys.
    device_id    uuid        NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    session_id   uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    public_key   bytea       NOT NULL CHECK (length(public_key) = 32),
    code         text        NOT NULL CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{12}$'),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    sealed       bytea,
    -- The device that sealed the keys, and when.
    sealed_by    uuid        REFERENCES devices (id) ON DELETE SET NULL,
    sealed_at    timestamptz,
    fetched_at   timestamptz,
    CHECK (sealed IS NULL OR sealed_at IS NOT NULL),
    CONSTRAINT device_pairings_code_key UNIQUE (patient_id, code)
);

-- Wrong pairing codes typed on one account: at the limit, looking codes up is locked a while.
CREATE TABLE device_code_attempts (
    patient_id      uuid        PRIMARY KEY REFERENCES patients (id) ON DELETE CASCADE,
    failed_attempts integer     NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    timestamptz
);

-- A new device is a notification kind.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('consent_requested', 'document_added', 'grant_expiring', 'first_access', 'abha_verified', 'new_device'));
ALTER TABLE notification_preferences DROP CONSTRAINT notification_preferences_kind_check;
ALTER TABLE notification_preferences ADD CONSTRAINT notification_preferences_kind_check
    CHECK (kind IN ('consent_requested', 'document_added', 'grant_expiring', 'first_access', 'abha_verified', 'new_device'));
