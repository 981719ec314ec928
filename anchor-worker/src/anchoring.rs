//! The anchoring cycle, one step at a time: outbox jobs → a Merkle batch → one signed
//! `anchor(root, leafCount)` transaction, stored before it is broadcast → confirmations → proof
//! bundles. Every decision is taken from what Postgres and the chain say now, so a step can be
//! cancelled at any await point, or the process killed, and the next step carries on.

use std::time::Duration;

use alloy::primitives::B256;
use chrono::{DateTime, Utc};
use pramana_core::auditlog::HeadAnchor;
use pramana_core::merkle::MerkleTree;
use pramana_core::proof::{AnchorPoint, FORMAT, LeafInputs, MerklePath, ProofBundle, VERSION};
use pramana_server::store::relay::{self, EventKind};
use pramana_server::store::{self, anchor};
use pramana_server::webhooks::Backoff;
use sqlx::PgPool;

use crate::WorkerError;
use crate::chain::{AnchorChain, Fees, Mined, SignedAnchor};

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Nothing to anchor and nothing in flight.
    Idle,
    /// Another worker holds this signer's lease; this one stands by.
    StandBy,
    /// Jobs are pending but another transaction holds their rows (another worker's claim, or
    /// the rollback of a cancelled step that the pool has not yet flushed); try again shortly.
    Contended {
        /// Jobs pending.
        pending: i64,
    },
    /// Jobs are waiting for their batch to fill or for `batch_max_wait_ms` to pass.
    Filling {
        /// Jobs waiting.
        pending: usize,
    },
    /// A new batch was built, its transaction signed, stored and broadcast.
    Submitted {
        /// The batch.
        batch_id: i64,
        /// Its documents.
        leaves: usize,
    },
    /// The node did not know the batch's transaction (dropped, lost in a reorg or a node
    /// restart); the stored bytes were sent again.
    Rebroadcast {
        /// The batch.
        batch_id: i64,
    },
    /// The transaction was stuck; a replacement with higher fees was sent at the same nonce.
    Replaced {
        /// The batch.
        batch_id: i64,
    },
    /// The nonce was taken by a transaction that is not this batch's; the batch was signed
    /// again at a fresh nonce.
    Resigned {
        /// The batch.
        batch_id: i64,
    },
    /// The transaction is in the pool, not yet mined (or stuck at the fee limit).
    Waiting {
        /// The batch.
        batch_id: i64,
    },
    /// Mined, but not yet `confirmations` deep.
    Confirming {
        /// The batch.
        batch_id: i64,
        /// Blocks so far, counting its own.
        confirmations: u64,
    },
    /// Final: proofs written, jobs marked anchored (or, for a consent batch, its messages
    /// marked confirmed).
    Confirmed {
        /// The batch.
        batch_id: i64,
        /// Its documents or messages.
        leaves: usize,
    },
    /// Queued consent messages were checked one by one and none was left to send: those the
    /// chain already holds were settled, those it refuses for good marked failed, those that
    /// cannot be settled now set aside (and no document batch was due).
    Checked {
        /// Settled on an existing event.
        settled: usize,
        /// Marked failed.
        failed: usize,
        /// Set aside until their retry time.
        set_aside: usize,
    },
    /// A consent batch's transaction reverted or lost its nonce; its messages went back to the
    /// queue.
    Abandoned {
        /// The batch.
        batch_id: i64,
    },
}

impl StepOutcome {
    /// True when the step changed something and the next one should follow at once.
    pub fn made_progress(self) -> bool {
        matches!(
            self,
            Self::Submitted { .. }
                | Self::Rebroadcast { .. }
                | Self::Replaced { .. }
                | Self::Resigned { .. }
                | Self::Confirmed { .. }
                | Self::Abandoned { .. }
        ) || matches!(self, Self::Checked { settled, failed, .. } if settled + failed > 0)
    }
}

/// Batching, confirmation and fee rules.
#[derive(Debug, Clone)]
pub struct AnchorRules {
    /// Most leaves per batch.
    pub batch_max_size: u32,
    /// Longest a job waits for its batch to fill.
    pub batch_max_wait: Duration,
    /// Blocks, counting the including one, before a batch is final.
    pub confirmations: u64,
    /// Highest fee cap per gas, wei.
    pub max_fee_per_gas: u128,
    /// Replace a transaction not mined after this long.
    pub stuck_after: Duration,
    /// Replacement fee increase, percent.
    pub fee_bump_percent: u64,
    /// Blocks searched back from the head for a consent event someone else relayed.
    pub log_lookback: u64,
    /// When a consent message that cannot be settled now is checked again (`max_attempts` is
    /// not used: it is retried until it settles).
    pub relay_retry: Backoff,
}

/// Postgres, the chain and the rules: everything a step needs.
#[derive(Debug, Clone)]
pub struct Anchorer {
    pub(crate) pool: PgPool,
    pub(crate) chain: AnchorChain,
    pub(crate) rules: AnchorRules,
}

fn b256(bytes: &[u8]) -> B256 {
    B256::try_from(bytes).unwrap_or_default()
}

fn hash32(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().unwrap_or_default()
}

impl Anchorer {
    fn signer_bytes(&self) -> [u8; 20] {
        self.chain.signer_address().into_array()
    }

    /// One step of the cycle (the caller holds the signer's lease): finish the batch in
    /// flight, else start the next one: revocations first (a patient's "no" should reach the
    /// chain soonest), then grants, then document anchors. Checking consent messages that leaves
    /// nothing to send, or failing to, never keeps the document batch from going out in the same
    /// step.
    #[tracing::instrument(skip_all)]
    pub async fn try_anchor_next_batch(&self) -> Result<StepOutcome, WorkerError> {
        let backlog = anchor::count_pending_jobs(&self.pool).await?;
        metrics::gauge!("anchor_backlog").set(backlog as f64);
        metrics::gauge!("relay_backlog").set(relay::count_open_events(&self.pool).await? as f64);
        if let Some(batch) = anchor::find_pending_batch(&self.pool, self.chain.chain_id(), &self.signer_bytes()).await?
        {
            return self.advance(&batch).await;
        }
        let mut filling = 0;
        let mut checked: Option<(usize, usize, usize)> = None;
        let mut relay_error = None;
        // Signer rotations first: a message signed by the new key waits for its rotation.
        match self.submit_rotation().await {
            Ok(None) => {}
            Ok(Some(StepOutcome::Checked { settled, failed, set_aside })) => {
                checked = Some((settled, failed, set_aside));
            }
            Ok(Some(outcome)) => return Ok(outcome),
            Err(e) => {
                tracing::warn!(error = %e, "signer rotation relay step failed");
                relay_error = Some(e);
            }
        }
        for kind in [EventKind::Revoke, EventKind::Grant] {
            match self.submit_consent_batch(kind).await {
                Ok(None) => {}
                Ok(Some(StepOutcome::Filling { pending })) => filling += pending,
                Ok(Some(StepOutcome::Checked { settled, failed, set_aside })) => {
                    let (s, f, a) = checked.unwrap_or_default();
                    checked = Some((s + settled, f + failed, a + set_aside));
                }
                Ok(Some(outcome)) => return Ok(outcome),
                Err(e) => {
                    tracing::warn!(kind = kind.code(), error = %e, "consent relay step failed");
                    relay_error = Some(e);
                }
            }
        }
        let mut anchored = None;
        let mut contended = None;
        if backlog > 0 {
            match self.submit_next_batch(backlog).await? {
                StepOutcome::Filling { pending } => filling += pending,
                StepOutcome::Contended { pending } => contended = Some(pending),
                outcome => anchored = Some(outcome),
            }
        }
        let outcome = match (anchored, checked, contended) {
            (Some(outcome), _, _) => outcome,
            (None, Some((settled, failed, set_aside)), _) => StepOutcome::Checked { settled, failed, set_aside },
            (None, None, _) if filling > 0 => StepOutcome::Filling { pending: filling },
            (None, None, Some(pending)) => StepOutcome::Contended { pending },
            (None, None, None) => StepOutcome::Idle,
        };
        match relay_error {
            // Nothing else happened: the step failed (the loop counts it).
            Some(e) if outcome == StepOutcome::Idle => Err(e),
            Some(e) => {
                metrics::counter!("anchor_failures_total", "kind" => e.kind()).increment(1);
                Ok(outcome)
            }
            None => Ok(outcome),
        }
    }

    /// Claims the oldest jobs, builds their tree, and signs, stores and broadcasts the anchor.
    async fn submit_next_batch(&self, backlog: i64) -> Result<StepOutcome, WorkerError> {
        let mut tx = store::begin(&self.pool).await?;
        let jobs = anchor::claim_next_jobs(&mut tx, self.rules.batch_max_size).await?;
        let Some(oldest) = jobs.first() else { return Ok(StepOutcome::Contended { pending: backlog }) };
        let full = jobs.len() >= self.rules.batch_max_size as usize;
        let waited = (Utc::now() - oldest.created_at).to_std().unwrap_or_default();
        if !full && waited < self.rules.batch_max_wait {
            return Ok(StepOutcome::Filling { pending: jobs.len() });
        }
        let leaves: Vec<[u8; 32]> = jobs.iter().map(|j| hash32(&j.leaf)).collect();
        let tree = MerkleTree::new(&leaves).map_err(|e| WorkerError::Internal(e.to_string()))?;
        let root = B256::from(tree.root());
        let n = jobs.len() as u64;
        let job_ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
        let new_batch = anchor::NewBatch {
            root: &tree.root(),
            chain_id: self.chain.chain_id(),
            contract: &self.chain.contract().into_array(),
            signer: &self.signer_bytes(),
            job_ids: &job_ids,
        };
        if !self.chain.preflight_anchor(root, n).await? {
            // Salted leaves do not recur by chance, but a client that uploads the same document
            // with the same salt again (a retry under a new id) repeats a leaf: a batch of just
            // that leaf has a root already on chain. Record the batch without a transaction; the
            // next step settles it on the earlier anchor.
            tracing::warn!(%root, "root already anchored; recording the batch without a transaction");
            let batch_id = anchor::insert_batch(&mut tx, &new_batch).await?;
            store::commit(tx).await?;
            return Ok(StepOutcome::Submitted { batch_id, leaves: jobs.len() });
        }
        let nonce = self.chain.pending_nonce().await?;
        let fees = self.initial_fees().await?;
        let signed = self.chain.sign_anchor(root, n, nonce, fees)?;
        let batch_id = anchor::insert_batch(&mut tx, &new_batch).await?;
        anchor::insert_anchor_tx(&mut *tx, &new_tx(batch_id, nonce, fees, &signed)).await?;
        store::commit(tx).await?;
        metrics::histogram!("anchor_batch_size").record(n as f64);
        tracing::info!(batch_id, leaves = n, %root, nonce, tx = %signed.hash, "batch signed and stored; broadcasting");
        self.send(batch_id, &signed.raw).await?;
        Ok(StepOutcome::Submitted { batch_id, leaves: jobs.len() })
    }

    pub(crate) async fn send(&self, batch_id: i64, raw: &[u8]) -> Result<(), WorkerError> {
        if let Some(refusal) = self.chain.broadcast(raw).await? {
            tracing::info!(batch_id, %refusal, "node refused the transaction; the next step checks the chain");
        }
        Ok(())
    }

    pub(crate) async fn initial_fees(&self) -> Result<Fees, WorkerError> {
        let net = self.chain.current_fees().await?;
        let max_fee = net.max_fee_per_gas.min(self.rules.max_fee_per_gas);
        Ok(Fees { max_fee_per_gas: max_fee, max_priority_fee_per_gas: net.max_priority_fee_per_gas.min(max_fee) })
    }

    /// Moves the batch in flight forward: confirm it, wait, rebroadcast, replace or re-sign
    /// (an anchor) or abandon (a consent batch).
    #[tracing::instrument(skip_all, fields(batch_id = batch.id, kind = %batch.kind))]
    async fn advance(&self, batch: &anchor::BatchRow) -> Result<StepOutcome, WorkerError> {
        let root = batch.root.as_deref().map(b256);
        let txs = anchor::find_txs_by_batch(&self.pool, batch.id).await?;
        let head = self.chain.head().await?;

        // 1. Is one of its transactions mined in a block that is still canonical?
        for t in txs.iter().rev() {
            if let Some(m) = self.chain.receipt(b256(&t.tx_hash)).await?
                && self.is_canonical(&m).await?
            {
                if m.success {
                    return self.settle(batch, m, head).await;
                }
                if root.is_none() {
                    // All or nothing: some message was relayed by someone else meanwhile.
                    return self.abandon(batch, "transaction reverted").await;
                }
                // Reverted: look for the root elsewhere before signing again.
                tracing::warn!(tx = %m.tx_hash, "anchor transaction reverted");
            }
        }
        // 2. Someone anchored the root (an attempt whose receipt this node lost, or another
        //    worker): take that.
        if let Some(root) = root
            && let Some(m) = self.chain.find_anchor(root).await?
        {
            return self.settle(batch, m, head).await;
        }
        let Some(last) = txs.last() else {
            return Err(WorkerError::Internal(format!("batch {} has no transaction and no anchor", batch.id)));
        };
        // 3. Not mined. If the nonce is used, it was used by a transaction that is not ours --
        //    but only trust that for a block that already has a successor: a node (Anvil, at
        //    least) counts the nonces of the block it is still sealing before it serves that
        //    block's receipts, which makes our own transaction look foreign for a moment.
        let nonce = u64::try_from(last.nonce).unwrap_or_default();
        if self.chain.mined_nonce().await? > nonce {
            if head == 0 || self.chain.nonce_at(head - 1).await? <= nonce {
                return Ok(StepOutcome::Waiting { batch_id: batch.id });
            }
            return match root {
                Some(root) => self.resign(batch, root).await,
                // Its messages are checked again: any the chain now holds are settled there.
                None => self.abandon(batch, "nonce taken by another transaction").await,
            };
        }
        // 4. The nonce is open: our transaction is in a pool, or was lost.
        let last_hash = b256(&last.tx_hash);
        if !self.chain.knows(last_hash).await? {
            tracing::info!(tx = %last_hash, "transaction unknown to the node; sending it again");
            metrics::counter!("anchor_rebroadcasts_total").increment(1);
            self.send(batch.id, &last.raw).await?;
            return Ok(StepOutcome::Rebroadcast { batch_id: batch.id });
        }
        let age = (Utc::now() - last.created_at).to_std().unwrap_or_default();
        if age >= self.rules.stuck_after {
            return self.replace(batch, last).await;
        }
        Ok(StepOutcome::Waiting { batch_id: batch.id })
    }

    async fn is_canonical(&self, m: &Mined) -> Result<bool, WorkerError> {
        Ok(self.chain.block(m.block_number).await?.is_some_and(|(hash, _)| hash == m.block_hash))
    }

    /// Confirms `batch` as anchored by `m` once it is deep enough.
    async fn settle(&self, batch: &anchor::BatchRow, m: Mined, head: u64) -> Result<StepOutcome, WorkerError> {
        let confirmations = head.saturating_add(1).saturating_sub(m.block_number);
        if confirmations < self.rules.confirmations {
            return Ok(StepOutcome::Confirming { batch_id: batch.id, confirmations });
        }
        let Some((block_hash, timestamp)) = self.chain.block(m.block_number).await? else {
            return Ok(StepOutcome::Confirming { batch_id: batch.id, confirmations: 0 });
        };
        if block_hash != m.block_hash {
            // Reorged between the two reads; the next step looks again.
            return Ok(StepOutcome::Confirming { batch_id: batch.id, confirmations: 0 });
        }
        let block_time = DateTime::<Utc>::from_timestamp(i64::try_from(timestamp).unwrap_or(0), 0).unwrap_or_default();
        let confirmation = anchor::Confirmation {
            tx_hash: &m.tx_hash.0,
            block_number: m.block_number,
            block_hash: &block_hash.0,
            block_timestamp: block_time,
            gas_used: m.gas_used,
        };
        let Some(root) = &batch.root else { return self.settle_consents(batch, &confirmation).await };
        let leaves = anchor::find_batch_leaves(&self.pool, batch.id).await?;
        let hashes: Vec<[u8; 32]> = leaves.iter().map(|l| hash32(&l.leaf)).collect();
        let tree = MerkleTree::new(&hashes).map_err(|e| WorkerError::Internal(e.to_string()))?;
        if tree.root() != hash32(root) || leaves.len() != batch.leaf_count as usize {
            return Err(WorkerError::Internal(format!("batch {} leaves do not rebuild its root", batch.id)));
        }
        // The contract the batch was built for (configuration may have moved on since).
        let contract = alloy::primitives::Address::try_from(batch.contract.as_slice())
            .map_err(|e| WorkerError::Internal(e.to_string()))?
            .to_checksum(None);
        let mut proofs = Vec::with_capacity(leaves.len());
        let anchor = AnchorPoint {
            chain_id: self.chain.chain_id(),
            contract,
            tx_hash: m.tx_hash.0,
            block_number: m.block_number,
            block_hash: block_hash.0,
            block_timestamp: timestamp,
        };
        for (i, l) in leaves.iter().enumerate() {
            let merkle = MerklePath {
                root: tree.root(),
                leaf_index: i as u32,
                leaf_count: leaves.len() as u32,
                proof: tree.proof(i).map_err(|e| WorkerError::Internal(e.to_string()))?,
            };
            let json = match (l.document_id, &l.salt, &l.plaintext_sha256, l.audit_tree_size, &l.audit_root) {
                (Some(document_id), Some(salt), Some(sha256), _, _) => serde_json::to_string(&ProofBundle {
                    format: FORMAT.to_owned(),
                    version: VERSION,
                    document_id: document_id.to_string(),
                    leaf: LeafInputs { sha256: hash32(sha256), salt: hash32(salt), leaf: hashes[i] },
                    merkle,
                    anchor: anchor.clone(),
                }),
                (_, _, _, Some(tree_size), Some(root)) => serde_json::to_string(&HeadAnchor {
                    tree_size: u64::try_from(tree_size).unwrap_or_default(),
                    root: hash32(root),
                    leaf: hashes[i],
                    merkle,
                    anchor: anchor.clone(),
                }),
                _ => {
                    return Err(WorkerError::Internal(format!(
                        "anchor job {} has neither a document nor a head",
                        l.job_id
                    )));
                }
            };
            proofs.push((l.job_id, json.map_err(|e| WorkerError::Internal(e.to_string()))?));
        }
        let mut tx = store::begin(&self.pool).await?;
        let done = anchor::mark_batch_confirmed(&mut tx, batch.id, &confirmation, &proofs).await?;
        store::commit(tx).await?;
        if done {
            metrics::counter!("anchor_documents_total").increment(leaves.len() as u64);
            metrics::counter!("anchor_gas_used_total").increment(m.gas_used);
            metrics::histogram!("anchor_gas_per_document").record(m.gas_used as f64 / leaves.len() as f64);
            let now = Utc::now();
            for l in &leaves {
                let lag = (now - l.created_at).num_milliseconds() as f64 / 1000.0;
                metrics::histogram!("anchor_confirmation_lag_seconds").record(lag);
            }
            tracing::info!(batch_id = batch.id, leaves = leaves.len(), tx = %m.tx_hash, block = m.block_number,
                gas_used = m.gas_used, "batch confirmed");
        }
        Ok(StepOutcome::Confirmed { batch_id: batch.id, leaves: leaves.len() })
    }

    /// Signs the batch again at a fresh nonce (its old one was taken by another transaction).
    async fn resign(&self, batch: &anchor::BatchRow, root: B256) -> Result<StepOutcome, WorkerError> {
        if !self.chain.preflight_anchor(root, batch.leaf_count as u64).await? {
            // Mined since step 2 looked: the next step settles it.
            return Ok(StepOutcome::Waiting { batch_id: batch.id });
        }
        let nonce = self.chain.pending_nonce().await?.max(self.chain.mined_nonce().await?);
        let fees = self.initial_fees().await?;
        let signed = self.sign_batch(batch, nonce, fees)?;
        self.store_tx(batch.id, nonce, fees, &signed).await?;
        tracing::warn!(batch_id = batch.id, nonce, tx = %signed.hash, "nonce taken by another transaction; signed again");
        metrics::counter!("anchor_resigns_total").increment(1);
        self.send(batch.id, &signed.raw).await?;
        Ok(StepOutcome::Resigned { batch_id: batch.id })
    }

    /// Replaces a stuck transaction at the same nonce with fees raised by at least
    /// `fee_bump_percent` (and at least the network's current fees), up to the fee limit.
    async fn replace(&self, batch: &anchor::BatchRow, last: &anchor::AnchorTxRow) -> Result<StepOutcome, WorkerError> {
        let old = Fees {
            max_fee_per_gas: u128::try_from(last.max_fee_per_gas).unwrap_or_default(),
            max_priority_fee_per_gas: u128::try_from(last.max_priority_fee_per_gas).unwrap_or_default(),
        };
        let net = self.chain.current_fees().await?;
        let Some(fees) = bumped_fees(old, net, self.rules.fee_bump_percent, self.rules.max_fee_per_gas) else {
            tracing::warn!(batch_id = batch.id, max_fee = old.max_fee_per_gas, "stuck at the fee limit; waiting");
            return Ok(StepOutcome::Waiting { batch_id: batch.id });
        };
        let nonce = u64::try_from(last.nonce).unwrap_or_default();
        let signed = self.sign_batch(batch, nonce, fees)?;
        self.store_tx(batch.id, nonce, fees, &signed).await?;
        tracing::info!(batch_id = batch.id, nonce, tx = %signed.hash, max_fee = fees.max_fee_per_gas,
            tip = fees.max_priority_fee_per_gas, "replacing a stuck transaction");
        metrics::counter!("anchor_replacements_total").increment(1);
        self.send(batch.id, &signed.raw).await?;
        Ok(StepOutcome::Replaced { batch_id: batch.id })
    }

    /// The batch's call signed at `nonce` with `fees`: `anchor(root, n)`, or the stored consent
    /// call with its gas limit.
    fn sign_batch(&self, batch: &anchor::BatchRow, nonce: u64, fees: Fees) -> Result<SignedAnchor, WorkerError> {
        match (&batch.root, &batch.calldata, batch.gas_limit) {
            (Some(root), _, _) => self.chain.sign_anchor(b256(root), batch.leaf_count as u64, nonce, fees),
            (None, Some(calldata), Some(gas)) => {
                self.chain.sign_call(calldata.clone(), u64::try_from(gas).unwrap_or(0), nonce, fees)
            }
            _ => Err(WorkerError::Internal(format!("batch {} has neither a root nor a call", batch.id))),
        }
    }

    async fn store_tx(&self, batch_id: i64, nonce: u64, fees: Fees, signed: &SignedAnchor) -> Result<(), WorkerError> {
        anchor::insert_anchor_tx(&self.pool, &new_tx(batch_id, nonce, fees, signed)).await?;
        Ok(())
    }
}

/// The row that records a signed transaction of `batch_id`.
pub(crate) fn new_tx(batch_id: i64, nonce: u64, fees: Fees, signed: &SignedAnchor) -> anchor::NewAnchorTx<'_> {
    anchor::NewAnchorTx {
        batch_id,
        nonce,
        tx_hash: &signed.hash.0,
        raw: &signed.raw,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
    }
}

/// Fees for a replacement: each of the old ones raised by `bump_percent` (rounded up), or the
/// network's if higher, the cap limited to `limit`. `None` when the limit leaves no room for a
/// bump that nodes would accept.
pub fn bumped_fees(old: Fees, net: Fees, bump_percent: u64, limit: u128) -> Option<Fees> {
    let bump = |v: u128| v.saturating_mul(100 + u128::from(bump_percent)).div_ceil(100).max(v + 1);
    let min_cap = bump(old.max_fee_per_gas);
    if min_cap > limit {
        return None;
    }
    let max_fee_per_gas = min_cap.max(net.max_fee_per_gas).min(limit);
    let tip = bump(old.max_priority_fee_per_gas).max(net.max_priority_fee_per_gas).min(max_fee_per_gas);
    Some(Fees { max_fee_per_gas, max_priority_fee_per_gas: tip })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_bump_both_fees_by_at_least_the_percentage() {
        let old = Fees { max_fee_per_gas: 1_000, max_priority_fee_per_gas: 100 };
        let low = Fees { max_fee_per_gas: 10, max_priority_fee_per_gas: 1 };
        let f = bumped_fees(old, low, 10, 10_000).unwrap();
        assert_eq!(f, Fees { max_fee_per_gas: 1_100, max_priority_fee_per_gas: 110 });
        // The network moved above the bump: follow it.
        let high = Fees { max_fee_per_gas: 5_000, max_priority_fee_per_gas: 300 };
        assert_eq!(bumped_fees(old, high, 10, 10_000).unwrap(), high);
        // Never above the limit; no replacement when the limit leaves no room for the bump.
        assert_eq!(bumped_fees(old, high, 10, 2_000).unwrap().max_fee_per_gas, 2_000);
        assert_eq!(bumped_fees(old, low, 10, 1_050), None);
        // Zero tips still go up (a replacement must raise both).
        let zero_tip = Fees { max_fee_per_gas: 7, max_priority_fee_per_gas: 0 };
        let f = bumped_fees(zero_tip, low, 10, 100).unwrap();
        assert!(f.max_fee_per_gas >= 8 && f.max_priority_fee_per_gas >= 1);
    }
}
