-- Uploads in flight, counted against the patient's quota: an upload reserves its declared
-- length (under the patient row's lock, beside the committed documents) before any byte is
-- staged, and the reservation goes in the transaction that records the document, or when the
-- upload fails. At start-up the API removes reservations older than
-- `storage.staging_max_age_secs` (what a crashed API left behind).
CREATE TABLE upload_reservations (
    id          uuid        PRIMARY KEY,
    patient_id  uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    bytes       bigint      NOT NULL CHECK (bytes >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX upload_reservations_patient ON upload_reservations (patient_id);
