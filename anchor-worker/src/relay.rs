//! The chain mirror: patient-signed grants and revocations, queued by the API in
//! `consent_chain_events`, relayed in `grantConsents` / `revokeConsents` batches through the same
//! signed-before-broadcast cycle as anchors (`anchoring.rs` moves a batch in flight forward).
//!
//! Before a batch is built, every message is dry-run on its own: one the contract already holds
//! (relayed by anyone) is settled on the event that recorded it; one it refuses for good (a stale
//! nonce, an expired signature, ...) is marked failed with the contract's reason, so one bad
//! message never blocks the others. A batch whose transaction reverts anyway (a message relayed
//! by someone else in between), or whose nonce another transaction takes, is abandoned and its
//! messages go back to the queue to be checked again.

use alloy::primitives::{Address, B256};
use alloy::sol_types::SolCall as _;
use pramana_api::store::relay::{self, EventKind, ReadyEvent};
use pramana_api::store::{self, anchor};
use pramana_core::chain::ConsentRegistry::{self, GrantRequest, RevokeRequest};
use pramana_core::chain::eip712::{Grant, Revoke, SignedGrant, SignedRevoke};

use crate::WorkerError;
use crate::anchoring::{Anchorer, StepOutcome};
use crate::chain::RelayCheck;

/// Most messages in one consent batch: a grant costs about 40k gas, so 128 stay far below any
/// block's gas limit.
pub const CONSENT_BATCH_MAX: u32 = 128;

/// Gas headroom over the estimate, percent.
const GAS_HEADROOM_PERCENT: u64 = 25;

fn b256(bytes: &[u8]) -> B256 {
    B256::try_from(bytes).unwrap_or_default()
}

fn address(bytes: &[u8]) -> Address {
    Address::try_from(bytes).unwrap_or_default()
}

fn unix(t: chrono::DateTime<chrono::Utc>) -> u64 {
    u64::try_from(t.timestamp()).unwrap_or(0)
}

fn signature(bytes: &[u8]) -> [u8; 64] {
    bytes.try_into().unwrap_or([0; 64])
}

/// The contract argument of a queued grant.
fn grant_request(e: &ReadyEvent) -> GrantRequest {
    let grant = Grant {
        consentId: b256(&e.chain_consent_id),
        patient: address(&e.patient_address),
        grantee: address(&e.grantee_address),
        scopeHash: b256(&e.scope_hash),
        validFrom: unix(e.valid_from),
        validUntil: unix(e.data_erase_at),
        nonce: u64::try_from(e.nonce).unwrap_or(u64::MAX),
        deadline: u64::try_from(e.deadline).unwrap_or(0),
    };
    SignedGrant { grant, signature: signature(&e.signature) }.to_request()
}

/// The contract argument of a queued revocation (`grantee` and `scopeHash` from the grant).
fn revoke_request(e: &ReadyEvent) -> RevokeRequest {
    let revoke = Revoke {
        consentId: b256(&e.chain_consent_id),
        patient: address(&e.patient_address),
        nonce: u64::try_from(e.nonce).unwrap_or(u64::MAX),
        deadline: u64::try_from(e.deadline).unwrap_or(0),
    };
    SignedRevoke { revoke, signature: signature(&e.signature) }
        .to_request(address(&e.grantee_address), b256(&e.scope_hash))
}

impl Anchorer {
    /// Claims the oldest queued messages of `kind`, settles those the chain already holds, fails
    /// those it refuses, and signs, stores and broadcasts one batch call for the rest. `None`
    /// when nothing of `kind` is ready.
    pub(crate) async fn submit_consent_batch(&self, kind: EventKind) -> Result<Option<StepOutcome>, WorkerError> {
        let max = self.rules.batch_max_size.clamp(1, CONSENT_BATCH_MAX);
        let mut tx = self.pool.begin().await.map_err(store::StoreError::from)?;
        let events = relay::claim_ready_events(&mut tx, kind, max).await?;
        let Some(oldest) = events.first() else { return Ok(None) };
        let waited = (chrono::Utc::now() - oldest.created_at).to_std().unwrap_or_default();
        if events.len() < max as usize && waited < self.rules.batch_max_wait {
            return Ok(Some(StepOutcome::Filling { pending: events.len() }));
        }
        let head = self.chain.head().await?;
        let (mut settled, mut failed) = (0, 0);
        let mut relayable = Vec::with_capacity(events.len());
        for e in &events {
            let check = match kind {
                EventKind::Grant => self.chain.preflight_grant(&grant_request(e)).await?,
                EventKind::Revoke => self.chain.preflight_revoke(&revoke_request(e)).await?,
            };
            match check {
                RelayCheck::Relayable => relayable.push(e),
                RelayCheck::OnChain => {
                    let (patient, id) = (address(&e.patient_address), b256(&e.chain_consent_id));
                    let found = self.chain.find_consent_event(patient, id, kind == EventKind::Revoke, head).await?;
                    // Settled once its block is deep enough; until then it waits in the queue.
                    if let Some((tx_hash, block)) = found
                        && head.saturating_add(1).saturating_sub(block) >= self.rules.confirmations
                    {
                        relay::mark_event_confirmed(&mut tx, e.id, &tx_hash.0, block).await?;
                        settled += 1;
                    }
                }
                RelayCheck::Refused(reason) => {
                    tracing::warn!(consent = %e.consent_id, kind = kind.code(), %reason, "the contract refuses this signed message; marked failed");
                    relay::mark_event_failed(&mut tx, e.id, &reason).await?;
                    failed += 1;
                }
            }
        }
        if relayable.is_empty() {
            tx.commit().await.map_err(store::StoreError::from)?;
            return Ok(Some(StepOutcome::Checked { settled, failed }));
        }
        let calldata = match kind {
            EventKind::Grant => {
                ConsentRegistry::grantConsentsCall { gs: relayable.iter().map(|e| grant_request(e)).collect() }
                    .abi_encode()
            }
            EventKind::Revoke => {
                ConsentRegistry::revokeConsentsCall { rs: relayable.iter().map(|e| revoke_request(e)).collect() }
                    .abi_encode()
            }
        };
        let estimate = self.chain.estimate_call_gas(&calldata).await?;
        let gas_limit = estimate.saturating_mul(100 + GAS_HEADROOM_PERCENT) / 100;
        let nonce = self.chain.pending_nonce().await?;
        let fees = self.initial_fees().await?;
        let signed = self.chain.sign_call(calldata.clone(), gas_limit, nonce, fees)?;
        let event_ids: Vec<i64> = relayable.iter().map(|e| e.id).collect();
        let batch = relay::NewConsentBatch {
            kind,
            chain_id: self.chain.chain_id(),
            contract: &self.chain.contract().into_array(),
            signer: &self.chain.signer_address().into_array(),
            calldata: &calldata,
            gas_limit,
            event_ids: &event_ids,
        };
        let batch_id = relay::insert_consent_batch(&mut tx, &batch).await?;
        anchor::insert_anchor_tx(&mut *tx, &crate::anchoring::new_tx(batch_id, nonce, fees, &signed)).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        metrics::histogram!("relay_batch_size", "kind" => kind.code()).record(event_ids.len() as f64);
        tracing::info!(batch_id, kind = kind.code(), messages = event_ids.len(), settled, failed, nonce,
            tx = %signed.hash, "consent batch signed and stored; broadcasting");
        self.send(batch_id, &signed.raw).await?;
        Ok(Some(StepOutcome::Submitted { batch_id, leaves: event_ids.len() }))
    }

    /// Gives up a consent batch that cannot land as built; its messages are checked again.
    pub(crate) async fn abandon(&self, batch: &anchor::BatchRow, why: &str) -> Result<StepOutcome, WorkerError> {
        let mut tx = self.pool.begin().await.map_err(store::StoreError::from)?;
        let released = relay::mark_batch_abandoned(&mut tx, batch.id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::warn!(batch_id = batch.id, kind = %batch.kind, released, why, "consent batch abandoned; its messages will be checked again");
        metrics::counter!("relay_abandoned_total").increment(1);
        Ok(StepOutcome::Abandoned { batch_id: batch.id })
    }

    /// Confirms a consent batch mined at `confirmation`.
    pub(crate) async fn settle_consents(
        &self,
        batch: &anchor::BatchRow,
        confirmation: &anchor::Confirmation<'_>,
    ) -> Result<StepOutcome, WorkerError> {
        let mut tx = self.pool.begin().await.map_err(store::StoreError::from)?;
        let done = relay::mark_consent_batch_confirmed(&mut tx, batch.id, confirmation).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        if done {
            metrics::counter!("relay_messages_total", "kind" => batch.kind.clone())
                .increment(u64::try_from(batch.leaf_count).unwrap_or(0));
            metrics::counter!("anchor_gas_used_total").increment(confirmation.gas_used);
            tracing::info!(batch_id = batch.id, kind = %batch.kind, messages = batch.leaf_count,
                block = confirmation.block_number, "consent batch confirmed");
        }
        Ok(StepOutcome::Confirmed { batch_id: batch.id, leaves: usize::try_from(batch.leaf_count).unwrap_or(0) })
    }
}
