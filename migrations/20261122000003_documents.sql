-- Encrypted documents. The server keeps ciphertext (object storage), the envelope header
-- (wrapped keys, no plaintext, no data key) and only the metadata the consent checks need:
-- owner, HI type, care date, sizes, hashes. Deleting crypto-shreds: the object and every stanza
-- go, a tombstone with the hashes stays for the audit trail.

CREATE TABLE documents (
    id                uuid PRIMARY KEY,
    owner_patient_id  uuid        NOT NULL REFERENCES patients (id),
    uploaded_by_role  text        NOT NULL CHECK (uploaded_by_role IN ('patient', 'hospital')),
    uploaded_by_id    uuid        NOT NULL,
    hi_type           text        NOT NULL CHECK (hi_type IN ('OPConsultation', 'Prescription', 'DischargeSummary',
                                      'DiagnosticReport', 'ImmunizationRecord', 'HealthDocumentRecord', 'WellnessRecord')),
    care_date         date        NOT NULL,
    plaintext_size    bigint      NOT NULL CHECK (plaintext_size >= 0),
    payload_size      bigint      NOT NULL CHECK (payload_size > 0),
    payload_sha256    bytea       NOT NULL CHECK (length(payload_sha256) = 32),
    -- Where the payload is: its SHA-256 in hex (local, S3) or its CID (IPFS).
    storage_key       text        NOT NULL,
    plaintext_sha256  bytea       NOT NULL CHECK (length(plaintext_sha256) = 32),
    salt              bytea       NOT NULL CHECK (length(salt) = 32),
    leaf              bytea       NOT NULL CHECK (length(leaf) = 32),
    -- Envelope header (all stanzas and the MAC); NULL once deleted.
    header            bytea,
    created_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    CHECK ((header IS NULL) = (deleted_at IS NOT NULL))
);
CREATE INDEX documents_owner_idx ON documents (owner_patient_id, created_at);

-- Who holds a stanza for which document (key id = first 16 bytes of SHA-256 of the X25519 key).
CREATE TABLE document_stanzas (
    document_id    uuid  NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    key_id         bytea NOT NULL CHECK (length(key_id) = 16),
    holder_role    text  CHECK (holder_role IN ('patient', 'hospital')),
    holder_id      uuid,
    PRIMARY KEY (document_id, key_id)
);
CREATE INDEX document_stanzas_holder_idx ON document_stanzas (holder_id);

-- The outbox: written in the same transaction as the row it anchors, before any chain I/O.
CREATE TABLE anchor_jobs (
    id           bigserial   PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('document')),
    document_id  uuid        UNIQUE REFERENCES documents (id),
    leaf         bytea       NOT NULL CHECK (length(leaf) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    batch_id     bigint,
    anchored_at  timestamptz
);
CREATE INDEX anchor_jobs_pending_idx ON anchor_jobs (id) WHERE batch_id IS NULL;
