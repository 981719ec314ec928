-- Passkeys (WebAuthn) as a second factor beside TOTP (docs/two-factor.md "Passkeys"), and one
-- count of wrong second-factor attempts per credential for both kinds.

-- The count of wrong second-factor attempts and the lock they lead to, per credential, whatever
-- the factor (a TOTP code, a recovery code, a passkey, the password that removes a passkey).
-- Moved out of credential_totp so that an account with passkeys only is limited too.
CREATE TABLE second_factor_attempts (
    credential_id   uuid        PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
    failed_attempts integer     NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    timestamptz
);
INSERT INTO second_factor_attempts (credential_id, failed_attempts, locked_until)
    SELECT credential_id, failed_attempts, locked_until FROM credential_totp
    WHERE failed_attempts > 0 OR locked_until IS NOT NULL;
ALTER TABLE credential_totp DROP COLUMN failed_attempts, DROP COLUMN locked_until;

-- A registered passkey: its public key and signature counter as the WebAuthn library keeps them
-- (`passkey`, JSON: credential id, COSE public key, counter, backup flags); no private key ever
-- reaches the server.
CREATE TABLE credential_passkeys (
    id                 uuid        PRIMARY KEY,
    credential_id      uuid        NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    name               text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    -- The authenticator's credential id (raw bytes): one account per passkey.
    webauthn_id        bytea       NOT NULL UNIQUE CHECK (length(webauthn_id) BETWEEN 1 AND 1023),
    passkey            jsonb       NOT NULL,
    -- The signature counter of the last accepted sign-in (0: the authenticator does not count).
    sign_count         bigint      NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_used_at       timestamptz,
    -- Set when a sign-in's counter did not exceed the stored one: the key may have been
    -- copied. Such a passkey signs in no more; the owner removes it and adds a new one.
    possibly_cloned_at timestamptz,
    UNIQUE (credential_id, name)
);
CREATE INDEX credential_passkeys_credential_idx ON credential_passkeys (credential_id);

-- A started passkey registration (one per credential; a new start replaces it), expiring.
CREATE TABLE passkey_registrations (
    credential_id uuid        PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    state         jsonb       NOT NULL,
    expires_at    timestamptz NOT NULL
);

-- A started passkey sign-in lives on its login challenge (same expiry, used up with it).
ALTER TABLE login_challenges ADD COLUMN passkey_state jsonb;
