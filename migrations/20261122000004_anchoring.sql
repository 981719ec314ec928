-- Anchoring: the worker turns pending anchor jobs (the outbox) into Merkle batches, one
-- transaction per batch. The batch and every signed transaction are written here before they are
-- broadcast, so a crash, an RPC outage, a dropped or replaced transaction or a reorg can always be
-- resumed from the database without losing or duplicating an anchor.

CREATE TABLE anchor_batches (
    id               bigserial   PRIMARY KEY,
    -- Not unique: a client that uploads the same document with the same salt again (a retry
    -- under a new id) makes a leaf, and possibly a root, that is already on chain; that batch
    -- then settles on the earlier anchor.
    root             bytea       NOT NULL CHECK (length(root) = 32),
    leaf_count       integer     NOT NULL CHECK (leaf_count > 0),
    chain_id         bigint      NOT NULL,
    contract         bytea       NOT NULL CHECK (length(contract) = 20),
    signer           bytea       NOT NULL CHECK (length(signer) = 20),
    -- pending: built and (being) submitted; confirmed: anchored with enough confirmations.
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- Where the root was anchored (set on confirmation).
    tx_hash          bytea       CHECK (length(tx_hash) = 32),
    block_number     bigint,
    block_hash       bytea       CHECK (length(block_hash) = 32),
    block_timestamp  timestamptz,
    gas_used         bigint,
    confirmed_at     timestamptz,
    CHECK ((status = 'confirmed') = (tx_hash IS NOT NULL AND block_number IS NOT NULL AND block_hash IS NOT NULL
                                     AND block_timestamp IS NOT NULL AND confirmed_at IS NOT NULL))
);
-- At most one unfinished batch per signer on a chain: the worker finishes it before the next.
CREATE UNIQUE INDEX anchor_batches_one_pending_idx ON anchor_batches (chain_id, signer) WHERE status = 'pending';

-- Every signed transaction of a batch, written before it is broadcast. A replacement (fee bump)
-- reuses the nonce; a batch whose nonce was taken by another transaction gets a new one.
CREATE TABLE anchor_txs (
    id                        bigserial   PRIMARY KEY,
    batch_id                  bigint      NOT NULL REFERENCES anchor_batches (id),
    nonce                     bigint      NOT NULL CHECK (nonce >= 0),
    tx_hash                   bytea       NOT NULL UNIQUE CHECK (length(tx_hash) = 32),
    raw                       bytea       NOT NULL,
    max_fee_per_gas           bigint      NOT NULL CHECK (max_fee_per_gas > 0),
    max_priority_fee_per_gas  bigint      NOT NULL CHECK (max_priority_fee_per_gas >= 0),
    created_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX anchor_txs_batch_idx ON anchor_txs (batch_id, id);

ALTER TABLE anchor_jobs
    ADD CONSTRAINT anchor_jobs_batch_fk FOREIGN KEY (batch_id) REFERENCES anchor_batches (id),
    ADD COLUMN leaf_index integer CHECK (leaf_index >= 0),
    -- The proof bundle (docs/proof.md), written once when the batch is confirmed.
    ADD COLUMN proof jsonb,
    ADD CHECK ((batch_id IS NULL) = (leaf_index IS NULL)),
    ADD CHECK ((anchored_at IS NULL) = (proof IS NULL));
CREATE UNIQUE INDEX anchor_jobs_position_idx ON anchor_jobs (batch_id, leaf_index);
