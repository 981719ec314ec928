-- TOTP secrets are sealed at rest (AES-256-GCM under a key derived from the API's settings,
-- docs/two-factor.md): 49 bytes each. A secret stored as is (20 bytes) by an earlier version is
-- sealed by the API at start-up; the CHECK allows both forms so that start-up can do it.
ALTER TABLE credential_totp DROP CONSTRAINT credential_totp_secret_check;
ALTER TABLE credential_totp ADD CONSTRAINT credential_totp_secret_check CHECK (length(secret) IN (20, 49));
