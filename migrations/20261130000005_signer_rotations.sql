-- A patient's account address is fixed at their first Ethereum key; a later key takes over as
-- the account's signer through a `RotateSigner` message signed by the signer before it
-- (ConsentRegistry `rotateSigner`). The API stores each rotation with the key it registers and
-- queues it here (outbox); the worker relays it alone in one `rotateSigner` transaction
-- (`anchor_batches` of kind 'rotate'), before any grant or revocation of the account queued
-- after it, and after those queued before it.

ALTER TABLE anchor_batches DROP CONSTRAINT anchor_batches_kind_check;
ALTER TABLE anchor_batches ADD CONSTRAINT anchor_batches_kind_check
    CHECK (kind IN ('anchor', 'grant', 'revoke', 'rotate'));

CREATE TABLE signer_rotations (
    id            bigserial   PRIMARY KEY,
    patient_id    uuid        NOT NULL REFERENCES patients (id),
    -- The Ethereum key registered with it.
    key_id        uuid        NOT NULL UNIQUE REFERENCES public_keys (id),
    -- The account (the patient's first Ethereum key) and the key it is handed to.
    account       bytea       NOT NULL CHECK (length(account) = 20),
    new_signer    bytea       NOT NULL CHECK (length(new_signer) = 20),
    nonce         bigint      NOT NULL CHECK (nonce >= 0),
    deadline      bigint      NOT NULL CHECK (deadline > 0),
    -- EIP-2098 compact signature by the account's signer before this rotation.
    signature     bytea       NOT NULL CHECK (length(signature) = 64),
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Relay state, as in consent_chain_events: the batch carrying it now, where it landed (no
    -- transaction when the worker found the chain already holding it), or the contract's reason.
    batch_id      bigint      REFERENCES anchor_batches (id),
    tx_hash       bytea       CHECK (length(tx_hash) = 32),
    block_number  bigint,
    confirmed_at  timestamptz,
    failure       text,
    failed_at     timestamptz,
    CHECK ((failed_at IS NOT NULL) = (failure IS NOT NULL)),
    CHECK (confirmed_at IS NULL OR failed_at IS NULL)
);
CREATE INDEX signer_rotations_open_idx ON signer_rotations (account, id)
    WHERE confirmed_at IS NULL AND failed_at IS NULL;
CREATE INDEX signer_rotations_batch_idx ON signer_rotations (batch_id);
