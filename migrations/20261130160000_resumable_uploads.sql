-- Resumable uploads (tus 1.0, docs/uploads.md): an envelope sent in as many PATCH requests as
-- the network needs. The row holds what the upload declared at creation (checked then, as a
-- one-shot upload's query is) and when it expires; the bytes received so far are a file in the
-- API's staging directory, whose length is the upload's offset. Its declared length is
-- reserved against the quota in `upload_reservations` under the same id, from creation until
-- the document is recorded, the upload is terminated or it expires. The id is the document id
-- the envelope was sealed for, so an upload URL is known before it is created.
CREATE TABLE resumable_uploads (
    id               uuid        PRIMARY KEY,
    creator_role     text        NOT NULL CHECK (creator_role IN ('patient', 'hospital')),
    creator_id       uuid        NOT NULL,
    owner_patient_id uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    hi_type          text        NOT NULL,
    care_date        date        NOT NULL,
    plaintext_sha256 bytea       NOT NULL CHECK (length(plaintext_sha256) = 32),
    salt             bytea       NOT NULL CHECK (length(salt) = 32),
    payload_sha256   bytea       NOT NULL CHECK (length(payload_sha256) = 32),
    length           bigint      NOT NULL CHECK (length > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL
);
CREATE INDEX resumable_uploads_expires ON resumable_uploads (expires_at);
