//! Every consent's history, read from the chain alone: the `ConsentGranted` and
//! `ConsentRevoked` events of a ConsentRegistry, and each consent's status now by `eth_call`.
//! What an auditor runs with no account on the platform (`pramana audit`). A consent is the pair
//! (patient, consent id): the same id granted by another patient's key is another consent.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent as _;
use serde::Serialize;

use super::ConsentRegistry;

/// Blocks per `eth_getLogs` request (public endpoints cap the range).
pub const LOG_RANGE: u64 = 10_000;

/// A consent's status now, as `consentStatus` returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainStatus {
    /// Never granted on this contract.
    Unknown,
    /// Granted, within its validity, not revoked.
    Active,
    /// Granted; validity starts later.
    NotYetValid,
    /// Granted; validity ended.
    Expired,
    /// Revoked by the patient.
    Revoked,
}

impl ChainStatus {
    /// From the contract's `Status` enum value.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Unknown,
            1 => Self::Active,
            2 => Self::NotYetValid,
            3 => Self::Expired,
            4 => Self::Revoked,
            _ => return None,
        })
    }
}

/// Where an event was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EventPoint {
    /// Block number.
    pub block_number: u64,
    /// Transaction hash.
    pub tx_hash: B256,
}

/// One consent as the chain records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentHistory {
    /// The consent id.
    pub consent_id: B256,
    /// The patient's address (who signed).
    pub patient: Address,
    /// The grantee's address.
    pub grantee: Address,
    /// Hash of the consent's scope.
    pub scope_hash: B256,
    /// Validity start (Unix seconds).
    pub valid_from: u64,
    /// Validity end (Unix seconds).
    pub valid_until: u64,
    /// The grant.
    pub granted: EventPoint,
    /// The revocation, if any.
    pub revoked: Option<EventPoint>,
    /// Status now.
    pub status: ChainStatus,
}

/// Why the chain could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The RPC endpoint failed or answered something undecodable.
    #[error("RPC: {0}")]
    Rpc(String),
}

fn rpc(e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Rpc(e.to_string())
}

/// Every consent granted on `contract` from `from_block` to the latest block, with its
/// revocation and its status now, in the order granted. Each (patient, consent id) is one
/// consent.
pub async fn consent_histories<P: Provider>(
    provider: &P,
    contract: Address,
    from_block: u64,
) -> Result<Vec<ConsentHistory>, HistoryError> {
    let head = provider.get_block_number().await.map_err(rpc)?;
    let mut consents: Vec<ConsentHistory> = Vec::new();
    let mut revocations: BTreeMap<(Address, B256), EventPoint> = BTreeMap::new();
    let mut start = from_block;
    while start <= head {
        let end = (start + LOG_RANGE - 1).min(head);
        let filter = Filter::new()
            .address(contract)
            .event_signature(vec![
                ConsentRegistry::ConsentGranted::SIGNATURE_HASH,
                ConsentRegistry::ConsentRevoked::SIGNATURE_HASH,
            ])
            .from_block(start)
            .to_block(end);
        for log in provider.get_logs(&filter).await.map_err(rpc)? {
            let point = EventPoint {
                block_number: log.block_number.unwrap_or_default(),
                tx_hash: log.transaction_hash.unwrap_or_default(),
            };
            if let Ok(g) = ConsentRegistry::ConsentGranted::decode_log(&log.inner) {
                consents.push(ConsentHistory {
                    consent_id: g.consentId,
                    patient: g.patient,
                    grantee: g.grantee,
                    scope_hash: g.scopeHash,
                    valid_from: g.validFrom,
                    valid_until: g.validUntil,
                    granted: point,
                    revoked: None,
                    status: ChainStatus::Unknown,
                });
            } else if let Ok(r) = ConsentRegistry::ConsentRevoked::decode_log(&log.inner) {
                revocations.insert((r.patient, r.consentId), point);
            }
        }
        start = end + 1;
    }
    let registry = ConsentRegistry::new(contract, provider);
    for c in &mut consents {
        c.revoked = revocations.get(&(c.patient, c.consent_id)).copied();
        let code = registry.consentStatus(c.patient, c.consent_id).call().await.map_err(rpc)?;
        c.status = ChainStatus::from_code(code).ok_or_else(|| rpc(format!("unknown status {code}")))?;
    }
    Ok(consents)
}

/// The status now of the consent `patient` (the patient's account address) granted under
/// `consent_id`; a grant of the same id by anyone else is not read.
pub async fn consent_status<P: Provider>(
    provider: &P,
    contract: Address,
    patient: Address,
    consent_id: B256,
) -> Result<ChainStatus, HistoryError> {
    let code = ConsentRegistry::new(contract, provider).consentStatus(patient, consent_id).call().await.map_err(rpc)?;
    ChainStatus::from_code(code).ok_or_else(|| rpc(format!("unknown status {code}")))
}
