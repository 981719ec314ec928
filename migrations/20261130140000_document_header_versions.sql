-- Every version of every document header, append-only. The server cannot check a header's MAC
-- (it holds no data key), so a header that passes the structural checks but carries a bad MAC
-- would make the document unreadable for everyone; with the history the owner can put back a
-- version their device verifies (docs/envelope.md, "Header history").
--
-- A version is written in the same transaction as the header change it records (upload, grant,
-- remove_recipient, restore); `documents.header` is always the newest version. Rows are never
-- updated. They are deleted only when their document is crypto-shredded: old headers hold
-- wrapped data keys, and a deleted document must leave none behind.

CREATE TABLE document_header_versions (
    document_id uuid        NOT NULL REFERENCES documents (id),
    version     integer     NOT NULL CHECK (version > 0),
    header      bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Who wrote it; NULL only for the versions this migration backfills.
    actor_role  text        CHECK (actor_role IN ('patient', 'hospital')),
    actor_id    uuid,
    reason      text        NOT NULL CHECK (reason IN ('upload', 'grant', 'remove_recipient', 'restore', 'backfill')),
    PRIMARY KEY (document_id, version),
    CHECK ((actor_role IS NULL) = (actor_id IS NULL)),
    CHECK ((actor_role IS NULL) = (reason = 'backfill'))
);

CREATE FUNCTION document_header_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND EXISTS (SELECT 1 FROM documents WHERE id = OLD.document_id AND deleted_at IS NOT NULL) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'document_header_versions is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER document_header_versions_no_update BEFORE UPDATE OR DELETE ON document_header_versions
    FOR EACH ROW EXECUTE FUNCTION document_header_versions_append_only();
CREATE TRIGGER document_header_versions_no_truncate BEFORE TRUNCATE ON document_header_versions
    FOR EACH STATEMENT EXECUTE FUNCTION document_header_versions_append_only();

-- What each live document's header is now becomes its version 1 (what came before was not kept).
INSERT INTO document_header_versions (document_id, version, header, actor_role, actor_id, reason)
SELECT id, 1, header, NULL, NULL, 'backfill' FROM documents WHERE header IS NOT NULL;
