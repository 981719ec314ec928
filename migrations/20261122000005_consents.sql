-- Consent artefacts (ABDM's model). A hospital requests; the patient grants, denies or lets the
-- request expire. Three times are kept apart: the request's own expiry (request_expires_at), the
-- grant's validity end (data_erase_at) and the care dates of the records in scope
-- (date_from..date_to). EXPIRED is read from the clock; it is stored only when an expired
-- artefact is closed to make room for a new request from the same hospital.

CREATE TABLE consents (
    id                  uuid        PRIMARY KEY,
    patient_id          uuid        NOT NULL REFERENCES patients (id),
    hospital_id         uuid        NOT NULL REFERENCES hospitals (id),
    purpose             text        NOT NULL CHECK (purpose IN ('CAREMGT', 'BTG', 'PUBHLTH', 'HPAYMT', 'DSRCH', 'PATRQT')),
    hi_types            text[]      NOT NULL CHECK (cardinality(hi_types) > 0),
    access_mode         text        NOT NULL CHECK (access_mode IN ('VIEW', 'STORE', 'QUERY', 'STREAM')),
    date_from           date        NOT NULL,
    date_to             date        NOT NULL,
    data_erase_at       timestamptz NOT NULL,
    frequency_unit      text        NOT NULL CHECK (frequency_unit IN ('HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR')),
    frequency_value     integer     NOT NULL CHECK (frequency_value > 0),
    frequency_repeats   integer     NOT NULL CHECK (frequency_repeats >= 0),
    request_expires_at  timestamptz NOT NULL,
    status              text        NOT NULL DEFAULT 'REQUESTED' CHECK (status IN ('REQUESTED', 'GRANTED', 'DENIED', 'EXPIRED', 'REVOKED')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    decided_at          timestamptz,
    -- The patient-signed EIP-712 grant (set with GRANTED) and revocation (set with REVOKED):
    -- exactly what the worker will relay, and what any auditor can check.
    chain_consent_id    bytea       CHECK (length(chain_consent_id) = 32),
    scope_hash          bytea       CHECK (length(scope_hash) = 32),
    patient_address     bytea       CHECK (length(patient_address) = 20),
    grantee_address     bytea       CHECK (length(grantee_address) = 20),
    valid_from          timestamptz,
    grant_nonce         bigint,
    grant_deadline      bigint,
    grant_signature     bytea       CHECK (length(grant_signature) = 64),
    revoke_nonce        bigint,
    revoke_deadline     bigint,
    revoke_signature    bytea       CHECK (length(revoke_signature) = 64),
    revoked_at          timestamptz,
    CHECK (date_from <= date_to),
    CHECK ((status = 'REQUESTED') = (decided_at IS NULL)),
    CHECK ((status = 'GRANTED' OR status = 'REVOKED') <= (grant_signature IS NOT NULL)),
    CHECK ((status = 'REVOKED') = (revoke_signature IS NOT NULL))
);
CREATE INDEX consents_patient_idx ON consents (patient_id, created_at);
CREATE INDEX consents_hospital_idx ON consents (hospital_id, created_at);
-- One artefact per hospital: at most one open (requested or granted) consent per patient and
-- hospital. An expired one is closed (stored as EXPIRED) by the next request.
CREATE UNIQUE INDEX consents_one_open_idx ON consents (patient_id, hospital_id) WHERE status IN ('REQUESTED', 'GRANTED');
