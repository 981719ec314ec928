-- Which hospitals may add documents to a patient's record (ABDM's care-context linking, in
-- spirit): a hospital asks, the patient approves in their own client, and either side can end
-- the link. Only a hospital with a LINKED row uploads into that patient's record; its uploads
-- there count against `storage.quota_bytes_per_link` besides the patient's own quota.
CREATE TABLE care_links (
    id            uuid        PRIMARY KEY,
    patient_id    uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    hospital_id   uuid        NOT NULL REFERENCES hospitals (id) ON DELETE CASCADE,
    status        text        NOT NULL CHECK (status IN ('REQUESTED', 'LINKED', 'DENIED', 'UNLINKED')),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    ended_at      timestamptz,
    -- Who ended a link: the patient (unlinked, or denied) or the hospital (withdrew).
    ended_by      text        CHECK (ended_by IN ('patient', 'hospital')),
    CHECK ((status = 'REQUESTED') = (decided_at IS NULL AND ended_at IS NULL)),
    CHECK ((status IN ('DENIED', 'UNLINKED')) = (ended_at IS NOT NULL))
);
-- One open link (asked or linked) per patient and hospital.
CREATE UNIQUE INDEX care_links_open_idx ON care_links (patient_id, hospital_id) WHERE status IN ('REQUESTED', 'LINKED');
CREATE INDEX care_links_hospital_idx ON care_links (hospital_id, requested_at);

-- An upload in flight by a hospital counts against its link's quota too.
ALTER TABLE upload_reservations ADD COLUMN hospital_id uuid REFERENCES hospitals (id) ON DELETE CASCADE;
