-- Caregivers and family (docs/caregivers.md): a patient gives another patient account proxy
-- rights over their record — to read documents of some HI types during a period (the patient's
-- browser adds the caregiver's stanza to each, as for a hospital), and optionally to deny
-- consent requests for them. In force from creation; revoking ends it at once.

CREATE TABLE caregivers (
    id              uuid        PRIMARY KEY,
    -- The patient whose record it is.
    patient_id      uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    -- The caregiver: another patient account, acting signed in as themselves.
    caregiver_id    uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    -- Beside reading: may see the patient's consent requests and deny them (never sign).
    manage_consents boolean     NOT NULL DEFAULT false,
    hi_types        text[]      NOT NULL CHECK (cardinality(hi_types) BETWEEN 1 AND 7
                        AND hi_types <@ ARRAY['OPConsultation', 'Prescription', 'DischargeSummary', 'DiagnosticReport',
                            'ImmunizationRecord', 'HealthDocumentRecord', 'WellnessRecord']),
    -- The period the rights are in force.
    valid_from      timestamptz NOT NULL,
    valid_until     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    CHECK (patient_id <> caregiver_id),
    CHECK (valid_until > valid_from)
);
-- One grant not yet revoked per patient and caregiver (a change is a revocation and a new grant).
CREATE UNIQUE INDEX caregivers_open_key ON caregivers (patient_id, caregiver_id) WHERE revoked_at IS NULL;
CREATE INDEX caregivers_caregiver_idx ON caregivers (caregiver_id, created_at);
CREATE INDEX caregivers_patient_idx ON caregivers (patient_id, created_at);
