-- A patient's export archive, frozen when it is asked for (docs/export.md): the byte layout of
-- the tar is fixed here, so the archive streams in constant memory and a download resumes with
-- an HTTP range. Payloads are not copied: an envelope entry names the stored object and keeps the
-- header as it was at export time.
CREATE TABLE patient_exports (
    id          uuid        PRIMARY KEY,
    patient_id  uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    exported_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    -- The archive's length in bytes, end-of-archive blocks included.
    size        bigint      NOT NULL CHECK (size >= 0),
    documents   integer     NOT NULL,
    consents    integer     NOT NULL
);
CREATE INDEX patient_exports_patient_idx ON patient_exports (patient_id, exported_at);

-- The archive's files, in order. A file is either inline (manifest, consents, proofs) or a
-- document's envelope: `header` followed by `payload_size` bytes of the object `storage_key`.
CREATE TABLE patient_export_files (
    export_id      uuid    NOT NULL REFERENCES patient_exports (id) ON DELETE CASCADE,
    seq            integer NOT NULL CHECK (seq >= 0),
    path           text    NOT NULL,
    size           bigint  NOT NULL CHECK (size >= 0),
    inline_bytes   bytea,
    document_id    uuid    REFERENCES documents (id) ON DELETE CASCADE,
    header         bytea,
    storage_key    text,
    payload_sha256 bytea,
    PRIMARY KEY (export_id, seq),
    CHECK ((inline_bytes IS NULL) = (document_id IS NOT NULL)),
    CHECK ((document_id IS NULL) = (header IS NULL AND storage_key IS NULL AND payload_sha256 IS NULL)),
    CHECK (inline_bytes IS NULL OR size = octet_length(inline_bytes)),
    CHECK (header IS NULL OR size >= octet_length(header))
);
-- Crypto-shredding a document drops every export that holds its header (a wrapped data key).
CREATE INDEX patient_export_files_document_idx ON patient_export_files (document_id) WHERE document_id IS NOT NULL;
