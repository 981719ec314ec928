-- An ABHA number is printed on a card, so registering one proves nothing: an account's number is
-- *claimed* until it is verified, in person at a registered hospital (the patient's client shows a
-- one-time code, staff enter it with the number after checking the card) or through ABDM.
--
-- Several accounts may claim one number (so a squatter cannot lock the owner out); at most one
-- holds it verified. Verifying displaces the other claims: those accounts keep their own
-- documents and sign-in, and are told. Accounts that existed before this migration stay claimed.

ALTER TABLE patients DROP CONSTRAINT patients_abha_number_key;
ALTER TABLE patients
    ADD COLUMN abha_status       text        NOT NULL DEFAULT 'claimed'
                                             CHECK (abha_status IN ('claimed', 'verified', 'displaced')),
    ADD COLUMN abha_verified_at  timestamptz,
    -- The hospital whose staff checked the card (NULL when verified through ABDM).
    ADD COLUMN abha_verified_by  uuid        REFERENCES hospitals (id),
    ADD COLUMN abha_verified_via text        CHECK (abha_verified_via IN ('in_person', 'abdm')),
    ADD COLUMN abha_displaced_at timestamptz,
    ADD CONSTRAINT patients_abha_verified_shape CHECK (
        (abha_status = 'verified') = (abha_verified_at IS NOT NULL AND abha_verified_via IS NOT NULL)
        AND (abha_verified_via = 'in_person') = (abha_verified_by IS NOT NULL)
        AND (abha_status = 'displaced') = (abha_displaced_at IS NOT NULL));
CREATE UNIQUE INDEX patients_abha_verified_key ON patients (abha_number) WHERE abha_status = 'verified';
CREATE INDEX patients_abha_number_idx ON patients (abha_number);

-- Patients sign in by ABHA number, which several claims may share: their credential's login is
-- that number, unique only for the other roles.
ALTER TABLE credentials DROP CONSTRAINT credentials_login_key;
CREATE UNIQUE INDEX credentials_login_key ON credentials (login) WHERE role <> 'patient';
CREATE INDEX credentials_patient_login_idx ON credentials (login) WHERE role = 'patient';

-- ABHA addresses are claims too; an address is held by at most one verified account.
ALTER TABLE patient_abha_addresses DROP CONSTRAINT patient_abha_addresses_pkey;
ALTER TABLE patient_abha_addresses
    ADD COLUMN verified boolean NOT NULL DEFAULT false,
    ADD PRIMARY KEY (address, patient_id);
CREATE UNIQUE INDEX patient_abha_addresses_verified_key ON patient_abha_addresses (address) WHERE verified;

-- The one live in-person verification code per patient, stored as SHA-256 of (patient id, code).
-- Wrong codes entered for the patient's number count against it; it dies after a few.
CREATE TABLE abha_verification_codes (
    patient_id      uuid        PRIMARY KEY REFERENCES patients (id) ON DELETE CASCADE,
    code_hash       bytea       NOT NULL CHECK (length(code_hash) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    failed_attempts integer     NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0)
);
