-- Identities: patients, hospitals, auditors, their credentials, sessions and public keys.
-- Personal data (ABHA number, names) lives only here, never on chain.

CREATE TABLE patients (
    id          uuid PRIMARY KEY,
    -- 14 digits, normalised (no hyphens); Luhn-checked by the application.
    abha_number char(14)    NOT NULL CONSTRAINT patients_abha_number_key UNIQUE
                            CHECK (abha_number ~ '^[0-9]{14}$'),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A patient may hold several ABHA addresses (name@abdm, name@sbx); each belongs to one patient.
CREATE TABLE patient_abha_addresses (
    address    text        PRIMARY KEY CHECK (address = lower(address)),
    patient_id uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patient_abha_addresses_patient_idx ON patient_abha_addresses (patient_id);

CREATE TABLE hospitals (
    id          uuid PRIMARY KEY,
    -- Health Facility Registry id, e.g. IN2710000123.
    hfr_id      text        NOT NULL CONSTRAINT hospitals_hfr_id_key UNIQUE CHECK (hfr_id ~ '^IN[0-9]{10}$'),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    webhook_url text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auditors (
    id         uuid PRIMARY KEY,
    username   text        NOT NULL CONSTRAINT auditors_username_key UNIQUE,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One credential per principal. `login` is the normalised ABHA number (patients), HFR id
-- (hospitals) or username (auditors, the bootstrap admin). Secrets are Argon2id PHC strings.
CREATE TABLE credentials (
    id            uuid PRIMARY KEY,
    role          text        NOT NULL CHECK (role IN ('patient', 'hospital', 'auditor', 'admin')),
    subject_id    uuid        NOT NULL,
    login         text        NOT NULL CONSTRAINT credentials_login_key UNIQUE,
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (role, subject_id)
);

-- A login session: a family of rotating refresh tokens. Revoking it ends every token in it,
-- including access tokens (the API checks the session on each request).
CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    credential_id  uuid        NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    role           text        NOT NULL,
    subject_id     uuid        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'admin'))
);
CREATE INDEX sessions_subject_idx ON sessions (subject_id);

-- Refresh tokens are stored only as SHA-256 hashes. A token is used once; presenting a used
-- token again revokes its session (theft detection).
CREATE TABLE refresh_tokens (
    token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Registered public keys. X25519 keys receive wrapped data keys; Ethereum addresses sign
-- consent grants and revocations. Rotation retires the old key and keeps it for history.
CREATE TABLE public_keys (
    id         uuid PRIMARY KEY,
    owner_role text        NOT NULL CHECK (owner_role IN ('patient', 'hospital')),
    owner_id   uuid        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('x25519', 'ethereum')),
    -- x25519: 64 lower-case hex digits; ethereum: 0x + 40 lower-case hex digits.
    public_key text        NOT NULL CHECK (public_key = lower(public_key)),
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);
CREATE UNIQUE INDEX public_keys_one_active_idx
    ON public_keys (owner_role, owner_id, kind) WHERE retired_at IS NULL;
CREATE INDEX public_keys_owner_idx ON public_keys (owner_id, kind, created_at);
