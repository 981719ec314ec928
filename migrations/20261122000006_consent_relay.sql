-- The chain mirror: every patient-signed grant and revocation is relayed to the ConsentRegistry by
-- the worker, through the same outbox and batches as document anchors. The API writes a
-- `consent_chain_events` row in the transaction that records the grant or the revocation; the
-- worker batches them into `grantConsents` / `revokeConsents` transactions (`anchor_batches` with
-- `kind` 'grant' or 'revoke', the signed call data stored before broadcast) and settles each
-- event with the transaction that put it on chain, or marks it failed with the contract's reason.

ALTER TABLE anchor_batches
    ADD COLUMN kind text NOT NULL DEFAULT 'anchor' CHECK (kind IN ('anchor', 'grant', 'revoke')),
    ALTER COLUMN root DROP NOT NULL,
    -- Consent batches: the contract call and its gas limit, so a replacement or a re-signing
    -- sends exactly the same call.
    ADD COLUMN calldata bytea,
    ADD COLUMN gas_limit bigint CHECK (gas_limit > 0),
    ADD CONSTRAINT anchor_batches_kind_shape_check CHECK (
        CASE WHEN kind = 'anchor' THEN root IS NOT NULL AND calldata IS NULL
             ELSE root IS NULL AND calldata IS NOT NULL AND gas_limit IS NOT NULL END);
-- 'abandoned': a consent batch whose transaction reverted (an item was relayed by someone else
-- meanwhile, say) or whose nonce another transaction took; its events go back to the outbox and
-- are checked one by one again.
ALTER TABLE anchor_batches DROP CONSTRAINT anchor_batches_status_check;
ALTER TABLE anchor_batches ADD CONSTRAINT anchor_batches_status_check CHECK (status IN ('pending', 'confirmed', 'abandoned'));
COMMENT ON COLUMN anchor_batches.leaf_count IS 'documents (anchor) or consent events (grant, revoke) in the batch';

CREATE TABLE consent_chain_events (
    id            bigserial   PRIMARY KEY,
    consent_id    uuid        NOT NULL REFERENCES consents (id),
    kind          text        NOT NULL CHECK (kind IN ('grant', 'revoke')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- The batch carrying it now (NULL while waiting, and again after an abandoned batch).
    batch_id      bigint      REFERENCES anchor_batches (id),
    -- Where it landed: our batch's transaction, or whoever relayed the same signed message.
    tx_hash       bytea       CHECK (length(tx_hash) = 32),
    block_number  bigint,
    confirmed_at  timestamptz,
    -- Why the contract refuses it for good (`StaleNonce`, `SignatureExpired`, ...).
    failure       text,
    failed_at     timestamptz,
    UNIQUE (consent_id, kind),
    CHECK ((confirmed_at IS NOT NULL) = (tx_hash IS NOT NULL AND block_number IS NOT NULL)),
    CHECK ((failed_at IS NOT NULL) = (failure IS NOT NULL)),
    CHECK (confirmed_at IS NULL OR failed_at IS NULL)
);
CREATE INDEX consent_chain_events_open_idx ON consent_chain_events (kind, id)
    WHERE batch_id IS NULL AND confirmed_at IS NULL AND failed_at IS NULL;
CREATE INDEX consent_chain_events_batch_idx ON consent_chain_events (batch_id);

-- Grants and revocations recorded before the mirror existed.
INSERT INTO consent_chain_events (consent_id, kind, created_at)
     SELECT id, 'grant', decided_at FROM consents WHERE grant_signature IS NOT NULL;
INSERT INTO consent_chain_events (consent_id, kind, created_at)
     SELECT id, 'revoke', revoked_at FROM consents WHERE revoke_signature IS NOT NULL;
