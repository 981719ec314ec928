//! The chain mirror: patient-signed grants and revocations, queued by the API in
//! `consent_chain_events`, relayed in `grantConsents` / `revokeConsents` batches through the same
//! signed-before-broadcast cycle as anchors (`anchoring.rs` moves a batch in flight forward);
//! and signer rotations (`signer_rotations`), each relayed alone in a `rotateSigner` transaction
//! before the account's messages queued after it.
//!
//! Before a batch is built, every message is dry-run on its own: one the contract already holds
//! (relayed by anyone) is settled on the event that recorded it; one it refuses for good (a stale
//! nonce, an expired signature, ...) is marked failed with the contract's reason; one it cannot
//! settle now (its dry run keeps failing, or the chain holds it but its event is older than the
//! log search) is set aside with its reason until a retry time that doubles each time. So one bad
//! message never blocks the others, nor document anchoring. A batch whose transaction reverts
//! anyway (a message relayed by someone else in between), or whose nonce another transaction
//! takes, is abandoned and its messages go back to the queue to be checked again.

use alloy::primitives::{Address, B256};
use alloy::sol_types::SolCall as _;
use pramana_core::chain::ConsentRegistry::{self, GrantRequest, RevokeRequest};
use pramana_core::chain::eip712::{Grant, Revoke, RotateSigner, SignedGrant, SignedRevoke, SignedRotation};
use pramana_server::store::relay::{self, EventKind, ReadyEvent};
use pramana_server::store::{self, anchor};

use crate::WorkerError;
use crate::anchoring::{Anchorer, StepOutcome};
use crate::chain::RelayCheck;

/// Most messages in one consent batch: a grant costs about 40k gas, so 128 stay far below any
/// block's gas limit.
pub const CONSENT_BATCH_MAX: u32 = 128;

/// Gas headroom over the estimate, percent.
const GAS_HEADROOM_PERCENT: u64 = 25;

fn unix(t: chrono::DateTime<chrono::Utc>) -> u64 {
    u64::try_from(t.timestamp()).unwrap_or(0)
}

/// The contract argument of a queued grant.
fn grant_request(e: &ReadyEvent) -> GrantRequest {
    let grant = Grant {
        consentId: B256::from(e.chain_consent_id),
        patient: Address::from(e.patient_address),
        grantee: Address::from(e.grantee_address),
        scopeHash: B256::from(e.scope_hash),
        validFrom: unix(e.valid_from),
        validUntil: unix(e.data_erase_at),
        nonce: e.nonce,
        deadline: e.deadline,
    };
    SignedGrant { grant, signature: e.signature }.to_request()
}

/// The contract argument of a queued revocation (`grantee` and `scopeHash` from the grant).
fn revoke_request(e: &ReadyEvent) -> RevokeRequest {
    let revoke = Revoke {
        consentId: B256::from(e.chain_consent_id),
        patient: Address::from(e.patient_address),
        nonce: e.nonce,
        deadline: e.deadline,
    };
    SignedRevoke { revoke, signature: e.signature }
        .to_request(Address::from(e.grantee_address), B256::from(e.scope_hash))
}

/// What one queued message needs now.
#[derive(Debug)]
enum MessageCheck {
    /// Goes into the batch.
    Relayable,
    /// The chain holds it, recorded by this transaction, deep enough.
    Settled { tx_hash: B256, block: u64 },
    /// The chain holds it, but its event's block is not deep enough yet.
    Confirming,
    /// The contract refuses it for good (its error's name).
    Refused(String),
    /// It cannot be settled now (why): set aside, checked again later.
    Unsettleable(String),
}

/// The contract call of a queued signer rotation.
fn rotation_call(r: &relay::ReadyRotation) -> ConsentRegistry::rotateSignerCall {
    let rotation = RotateSigner {
        account: Address::from(r.account),
        newSigner: Address::from(r.new_signer),
        nonce: r.nonce,
        deadline: r.deadline,
    };
    SignedRotation { rotation, signature: r.signature }.to_call()
}

impl Anchorer {
    /// Relays the oldest queued signer rotation alone (one `rotateSigner` transaction), after the
    /// dry run: one the chain already holds is settled, one it refuses for good is marked failed
    /// with the contract's reason. `None` when no rotation is ready.
    pub(crate) async fn submit_rotation(&self) -> Result<Option<StepOutcome>, WorkerError> {
        let mut tx = store::begin(&self.pool).await?;
        let Some(r) = relay::claim_next_rotation(&mut tx).await? else { return Ok(None) };
        let call = rotation_call(&r);
        match self.chain.preflight_rotation(&call).await? {
            RelayCheck::Relayable => {}
            RelayCheck::OnChain => {
                relay::mark_rotation_confirmed(&mut tx, r.id).await?;
                store::commit(tx).await?;
                return Ok(Some(StepOutcome::Checked { settled: 1, failed: 0, set_aside: 0 }));
            }
            RelayCheck::Refused(reason) => {
                tracing::warn!(rotation = r.id, account = %call.account, %reason, "the contract refuses this signer rotation; marked failed");
                relay::mark_rotation_failed(&mut tx, r.id, &reason).await?;
                store::commit(tx).await?;
                return Ok(Some(StepOutcome::Checked { settled: 0, failed: 1, set_aside: 0 }));
            }
        }
        let calldata = call.abi_encode();
        let estimate = self.chain.estimate_call_gas(&calldata).await?;
        let gas_limit = estimate.saturating_mul(100 + GAS_HEADROOM_PERCENT) / 100;
        let nonce = self.chain.pending_nonce().await?;
        let fees = self.initial_fees().await?;
        let signed = self.chain.sign_call(calldata.clone(), gas_limit, nonce, fees)?;
        let batch = relay::NewConsentBatch {
            // Not used for a rotation's batch (kind `rotate`).
            kind: EventKind::Grant,
            chain_id: self.chain.chain_id(),
            contract: &self.chain.contract().into_array(),
            signer: &self.chain.signer_address().into_array(),
            calldata: &calldata,
            gas_limit,
            event_ids: &[],
        };
        let batch_id = relay::insert_rotation_batch(&mut tx, &batch, r.id).await?;
        anchor::insert_anchor_tx(&mut *tx, &crate::anchoring::new_tx(batch_id, nonce, fees, &signed)).await?;
        store::commit(tx).await?;
        tracing::info!(batch_id, rotation = r.id, account = %call.account, nonce, tx = %signed.hash,
            "signer rotation signed and stored; broadcasting");
        self.send(batch_id, &signed.raw).await?;
        Ok(Some(StepOutcome::Submitted { batch_id, leaves: 1 }))
    }

    /// Claims the oldest queued messages of `kind`, settles those the chain already holds, fails
    /// those it refuses, and signs, stores and broadcasts one batch call for the rest. `None`
    /// when nothing of `kind` is ready.
    pub(crate) async fn submit_consent_batch(&self, kind: EventKind) -> Result<Option<StepOutcome>, WorkerError> {
        let max = self.rules.batch_max_size.clamp(1, CONSENT_BATCH_MAX);
        let mut tx = store::begin(&self.pool).await?;
        let events = relay::claim_ready_events(&mut tx, kind, max).await?;
        let Some(oldest) = events.first() else { return Ok(None) };
        let waited = (chrono::Utc::now() - oldest.created_at).to_std().unwrap_or_default();
        if events.len() < max as usize && waited < self.rules.batch_max_wait {
            return Ok(Some(StepOutcome::Filling { pending: events.len() }));
        }
        let head = self.chain.head().await?;
        let (mut settled, mut failed, mut set_aside) = (0, 0, 0);
        let mut relayable = Vec::with_capacity(events.len());
        for e in &events {
            match self.check_message(kind, e, head).await? {
                MessageCheck::Relayable => relayable.push(e),
                MessageCheck::Settled { tx_hash, block } => {
                    relay::mark_event_confirmed(&mut tx, e.id, &tx_hash.0, block).await?;
                    settled += 1;
                }
                // Settled once its block is deep enough; until then it waits in the queue.
                MessageCheck::Confirming => {}
                MessageCheck::Refused(reason) => {
                    tracing::warn!(consent = %e.consent_id, kind = kind.code(), %reason, "the contract refuses this signed message; marked failed");
                    relay::mark_event_failed(&mut tx, e.id, &reason).await?;
                    failed += 1;
                }
                MessageCheck::Unsettleable(reason) => {
                    let attempt = u32::try_from(e.set_aside_count).unwrap_or(0).saturating_add(1);
                    let delay = self.rules.relay_retry.delay(attempt, 1.0);
                    let retry_at = relay::mark_event_set_aside(&mut tx, e.id, &reason, delay).await?;
                    tracing::warn!(consent = %e.consent_id, kind = kind.code(), %reason, attempt, %retry_at,
                        "cannot settle this consent message now; set aside until the retry time");
                    metrics::counter!("relay_set_aside_total", "kind" => kind.code()).increment(1);
                    set_aside += 1;
                }
            }
        }
        if relayable.is_empty() {
            store::commit(tx).await?;
            return Ok(Some(StepOutcome::Checked { settled, failed, set_aside }));
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
        store::commit(tx).await?;
        metrics::histogram!("relay_batch_size", "kind" => kind.code()).record(event_ids.len() as f64);
        tracing::info!(batch_id, kind = kind.code(), messages = event_ids.len(), settled, failed, nonce,
            tx = %signed.hash, "consent batch signed and stored; broadcasting");
        self.send(batch_id, &signed.raw).await?;
        Ok(Some(StepOutcome::Submitted { batch_id, leaves: event_ids.len() }))
    }

    /// What to do with one queued message now, from its dry run (and, when the chain already
    /// holds it, the event that put it there). A failure that is this message's own (its dry run
    /// or its event search fails while the endpoint answers, the contract answers with an error
    /// the worker does not know, the event is older than the log search) makes it
    /// `Unsettleable`; only an endpoint that is down fails the step.
    async fn check_message(&self, kind: EventKind, e: &ReadyEvent, head: u64) -> Result<MessageCheck, WorkerError> {
        let preflight = match kind {
            EventKind::Grant => self.chain.preflight_grant(&grant_request(e)).await,
            EventKind::Revoke => self.chain.preflight_revoke(&revoke_request(e)).await,
        };
        let check = match preflight {
            Ok(check) => check,
            Err(err) => return self.own_failure(format!("dry run failed: {err}")).await,
        };
        match check {
            RelayCheck::Relayable => Ok(MessageCheck::Relayable),
            RelayCheck::Refused(reason) => Ok(MessageCheck::Refused(reason)),
            RelayCheck::OnChain => {
                let lookback = self.rules.log_lookback;
                let event = if kind == EventKind::Revoke { "ConsentRevoked" } else { "ConsentGranted" };
                let (patient, id) = (Address::from(e.patient_address), B256::from(e.chain_consent_id));
                let found = self.chain.find_consent_event(patient, id, kind == EventKind::Revoke, head, lookback);
                match found.await {
                    Err(err) => self.own_failure(format!("looking for its {event} event failed: {err}")).await,
                    Ok(None) => Ok(MessageCheck::Unsettleable(format!(
                        "the contract holds it, but its {event} event is not in the last {lookback} blocks"
                    ))),
                    Ok(Some((tx_hash, block))) => {
                        Ok(if head.saturating_add(1).saturating_sub(block) >= self.rules.confirmations {
                            MessageCheck::Settled { tx_hash, block }
                        } else {
                            MessageCheck::Confirming
                        })
                    }
                }
            }
        }
    }

    /// `why` is this message's problem if the endpoint still answers; else the step fails.
    async fn own_failure(&self, why: String) -> Result<MessageCheck, WorkerError> {
        self.chain.head().await?;
        Ok(MessageCheck::Unsettleable(why))
    }

    /// Gives up a consent batch that cannot land as built; its messages are checked again.
    pub(crate) async fn abandon(&self, batch: &anchor::BatchRow, why: &str) -> Result<StepOutcome, WorkerError> {
        let mut tx = store::begin(&self.pool).await?;
        let released = relay::mark_batch_abandoned(&mut tx, batch.id).await?;
        store::commit(tx).await?;
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
        let mut tx = store::begin(&self.pool).await?;
        let done = relay::mark_consent_batch_confirmed(&mut tx, batch.id, confirmation).await?;
        store::commit(tx).await?;
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
