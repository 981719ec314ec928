//! The worker's only door to the chain: a JSON-RPC provider, the anchoring key, and the calls
//! the anchoring cycle needs. Transactions are built and signed here (so their bytes can be
//! stored before broadcast), and broadcast separately.

use std::time::Duration;

use alloy::consensus::{SignableTransaction as _, TxEip1559, TxEnvelope};
use alloy::eips::BlockNumberOrTag;
use alloy::eips::eip2718::Encodable2718 as _;
use alloy::network::TxSignerSync as _;
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::client::RpcClient;
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall as _, SolEvent as _};
use alloy::transports::http::Http;
use pramana_core::chain::ConsentRegistry::{self, ConsentRegistryErrors, GrantRequest, RevokeRequest};
use pramana_core::chain::eip712::parties_commitment;
use pramana_core::chain::history::LOG_RANGE;

use crate::WorkerError;

/// EIP-1559 fees of one transaction, in wei.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// Fee cap per gas.
    pub max_fee_per_gas: u128,
    /// Tip per gas.
    pub max_priority_fee_per_gas: u128,
}

/// A signed anchoring transaction.
#[derive(Debug, Clone)]
pub struct SignedAnchor {
    /// Its hash.
    pub hash: B256,
    /// EIP-2718 bytes, for `eth_sendRawTransaction`.
    pub raw: Vec<u8>,
}

/// A mined transaction, as its receipt tells.
#[derive(Debug, Clone, Copy)]
pub struct Mined {
    /// The transaction.
    pub tx_hash: B256,
    /// Its block.
    pub block_number: u64,
    /// The block's hash.
    pub block_hash: B256,
    /// Gas used.
    pub gas_used: u64,
    /// False when it reverted.
    pub success: bool,
}

/// The chain as the anchor worker sees it.
#[derive(Debug, Clone)]
pub struct AnchorChain {
    provider: RootProvider,
    signer: PrivateKeySigner,
    contract: Address,
    chain_id: u64,
    gas_limit: u64,
}

fn rpc(e: impl std::fmt::Display) -> WorkerError {
    WorkerError::Rpc(e.to_string())
}

/// Tries per JSON-RPC call before a step gives up (every call here is a read or an idempotent
/// send, so repeating it is safe). A flaky endpoint slows a step down instead of failing it.
const RPC_ATTEMPTS: u32 = 4;

async fn retry<T, Fut>(mut call: impl FnMut() -> Fut) -> Result<T, WorkerError>
where
    Fut: std::future::Future<Output = Result<T, WorkerError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(WorkerError::Rpc(e)) if attempt < RPC_ATTEMPTS => {
                tracing::debug!(attempt, error = %e, "RPC call failed; retrying");
                tokio::time::sleep(Duration::from_millis(25 << attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

impl AnchorChain {
    /// A client for `rpc_url` that signs with `signer` for `contract` on `chain_id`.
    pub fn new(
        rpc_url: &str,
        timeout: Duration,
        signer: PrivateKeySigner,
        contract: Address,
        chain_id: u64,
        gas_limit: u64,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(timeout).build()?;
        let transport = Http::with_client(http, rpc_url.parse()?);
        let provider = RootProvider::new(RpcClient::new(transport, false));
        Ok(Self { provider, signer, contract, chain_id, gas_limit })
    }

    /// The anchoring account.
    pub fn signer_address(&self) -> Address {
        self.signer.address()
    }

    /// The contract.
    pub fn contract(&self) -> Address {
        self.contract
    }

    /// The chain id the worker is configured for.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Fails unless the RPC endpoint serves the configured chain and the contract has code.
    pub async fn check_deployment(&self) -> Result<(), WorkerError> {
        let id = retry(|| async { self.provider.get_chain_id().await.map_err(rpc) }).await?;
        if id != self.chain_id {
            return Err(WorkerError::Misconfigured(format!(
                "the RPC endpoint serves chain {id}, configured chain.chain_id is {}",
                self.chain_id
            )));
        }
        let code = retry(|| async { self.provider.get_code_at(self.contract).await.map_err(rpc) }).await?;
        if code.is_empty() {
            return Err(WorkerError::Misconfigured(format!("no contract at {} on chain {id}", self.contract)));
        }
        Ok(())
    }

    /// Dry-runs `anchor(root, n)` from the anchoring account, so a transaction that would revert
    /// (not an anchorer, say) is never signed. "Already anchored" is `Ok(false)`.
    pub async fn preflight_anchor(&self, root: B256, n_leaves: u64) -> Result<bool, WorkerError> {
        let registry = ConsentRegistry::new(self.contract, &self.provider);
        retry(|| async {
            match registry.anchor(root, n_leaves).from(self.signer.address()).call().await {
                Ok(_) => Ok(true),
                Err(e) => match e.as_decoded_interface_error::<ConsentRegistryErrors>() {
                    Some(ConsentRegistryErrors::RootAlreadyAnchored(_)) => Ok(false),
                    Some(ConsentRegistryErrors::NotAnchorer(_)) => Err(WorkerError::Misconfigured(format!(
                        "{} is not an anchorer of {} (the owner must call setAnchorer)",
                        self.signer.address(),
                        self.contract
                    ))),
                    Some(other) => Err(WorkerError::Misconfigured(format!("anchor would revert: {other:?}"))),
                    None => Err(rpc(e)),
                },
            }
        })
        .await
    }

    /// The account's next nonce, counting transactions still in the pool.
    pub async fn pending_nonce(&self) -> Result<u64, WorkerError> {
        retry(|| async { self.provider.get_transaction_count(self.signer.address()).pending().await.map_err(rpc) })
            .await
    }

    /// Transactions of the account included in the latest block (its mined nonce).
    pub async fn mined_nonce(&self) -> Result<u64, WorkerError> {
        retry(|| async { self.provider.get_transaction_count(self.signer.address()).latest().await.map_err(rpc) }).await
    }

    /// Transactions of the account included up to block `number`.
    pub async fn nonce_at(&self, number: u64) -> Result<u64, WorkerError> {
        retry(|| async { self.provider.get_transaction_count(self.signer.address()).number(number).await.map_err(rpc) })
            .await
    }

    /// The network's current EIP-1559 fees.
    pub async fn current_fees(&self) -> Result<Fees, WorkerError> {
        let e = retry(|| async { self.provider.estimate_eip1559_fees().await.map_err(rpc) }).await?;
        Ok(Fees { max_fee_per_gas: e.max_fee_per_gas, max_priority_fee_per_gas: e.max_priority_fee_per_gas })
    }

    /// Builds and signs `anchor(root, n_leaves)` at `nonce` with `fees`.
    pub fn sign_anchor(&self, root: B256, n_leaves: u64, nonce: u64, fees: Fees) -> Result<SignedAnchor, WorkerError> {
        let input = ConsentRegistry::anchorCall { root, leafCount: n_leaves }.abi_encode();
        self.sign_call(input, self.gas_limit, nonce, fees)
    }

    /// Builds and signs a call of the contract with `input` at `nonce` with `fees`.
    pub fn sign_call(
        &self,
        input: Vec<u8>,
        gas_limit: u64,
        nonce: u64,
        fees: Fees,
    ) -> Result<SignedAnchor, WorkerError> {
        let mut tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: fees.max_fee_per_gas,
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
            to: TxKind::Call(self.contract),
            value: U256::ZERO,
            access_list: Default::default(),
            input: input.into(),
        };
        let signature =
            self.signer.sign_transaction_sync(&mut tx).map_err(|e| WorkerError::Misconfigured(e.to_string()))?;
        let signed = tx.into_signed(signature);
        let hash = *signed.hash();
        Ok(SignedAnchor { hash, raw: TxEnvelope::from(signed).encoded_2718() })
    }

    /// Sends a signed transaction. A node that refuses it (already known, nonce taken, fee too
    /// low) is not an error here: the next step looks at the chain and decides. Returns the
    /// node's refusal, if any.
    pub async fn broadcast(&self, raw: &[u8]) -> Result<Option<String>, WorkerError> {
        retry(|| async {
            match self.provider.send_raw_transaction(raw).await {
                Ok(_) => Ok(None),
                Err(e) if e.is_error_resp() => Ok(Some(e.to_string())),
                Err(e) => Err(rpc(e)),
            }
        })
        .await
    }

    /// The receipt of `hash`, if it is mined.
    pub async fn receipt(&self, hash: B256) -> Result<Option<Mined>, WorkerError> {
        let receipt = retry(|| async { self.provider.get_transaction_receipt(hash).await.map_err(rpc) }).await?;
        let Some(r) = receipt else { return Ok(None) };
        let (Some(block_number), Some(block_hash)) = (r.block_number, r.block_hash) else { return Ok(None) };
        Ok(Some(Mined { tx_hash: hash, block_number, block_hash, gas_used: r.gas_used, success: r.status() }))
    }

    /// Whether the node knows `hash` at all (in its pool or in a block).
    pub async fn knows(&self, hash: B256) -> Result<bool, WorkerError> {
        let tx = retry(|| async { self.provider.get_transaction_by_hash(hash).await.map_err(rpc) }).await?;
        Ok(tx.is_some())
    }

    /// The latest block number.
    pub async fn head(&self) -> Result<u64, WorkerError> {
        retry(|| async { self.provider.get_block_number().await.map_err(rpc) }).await
    }

    /// The canonical block at `number`: its hash and timestamp.
    pub async fn block(&self, number: u64) -> Result<Option<(B256, u64)>, WorkerError> {
        let block =
            retry(|| async { self.provider.get_block_by_number(BlockNumberOrTag::Number(number)).await.map_err(rpc) })
                .await?;
        Ok(block.map(|b| (b.header.hash, b.header.timestamp)))
    }

    /// Where `root` is anchored on the canonical chain, if it is: found through `anchoredAt` and
    /// the `RootAnchored` event in that block, whoever sent it.
    pub async fn find_anchor(&self, root: B256) -> Result<Option<Mined>, WorkerError> {
        let registry = ConsentRegistry::new(self.contract, &self.provider);
        let at = retry(|| async { registry.anchoredAt(root).call().await.map_err(rpc) }).await?;
        if at.timestamp == 0 {
            return Ok(None);
        }
        let filter = Filter::new()
            .address(self.contract)
            .event_signature(ConsentRegistry::RootAnchored::SIGNATURE_HASH)
            .topic1(root)
            .from_block(at.blockNumber)
            .to_block(at.blockNumber);
        let logs = retry(|| async { self.provider.get_logs(&filter).await.map_err(rpc) }).await?;
        let Some(tx_hash) = logs.first().and_then(|l| l.transaction_hash) else {
            return Err(WorkerError::Rpc(format!(
                "anchoredAt says block {}, but it has no RootAnchored log",
                at.blockNumber
            )));
        };
        self.receipt(tx_hash).await
    }

    /// Dry-runs one patient-signed grant as the relaying account would send it.
    pub async fn preflight_grant(&self, g: &GrantRequest) -> Result<RelayCheck, WorkerError> {
        let registry = ConsentRegistry::new(self.contract, &self.provider);
        let from = self.signer.address();
        let outcome = refusal_of(|| async { registry.grantConsent(g.clone()).from(from).call().await }).await?;
        let Some(refusal) = outcome else { return Ok(RelayCheck::Relayable) };
        if let ConsentRegistryErrors::ConsentExists(_) = refusal {
            // On chain already: the same signed grant (relayed by anyone), or a different one?
            // The record under (patient, id): a grant of the same id by another key is not ours.
            let record =
                retry(|| async { registry.consentRecord(g.patient, g.consentId).call().await.map_err(rpc) }).await?;
            let ours = parties_commitment(g.patient, g.grantee, g.scopeHash);
            let same = record.parties.0 == ours
                && record.validFrom.to::<u64>() == g.validFrom
                && record.validUntil.to::<u64>() == g.validUntil;
            return Ok(if same { RelayCheck::OnChain } else { RelayCheck::Refused("ConsentExists".to_owned()) });
        }
        refusal_reason(refusal)
    }

    /// Dry-runs one patient-signed revocation as the relaying account would send it.
    pub async fn preflight_revoke(&self, r: &RevokeRequest) -> Result<RelayCheck, WorkerError> {
        let registry = ConsentRegistry::new(self.contract, &self.provider);
        let from = self.signer.address();
        let outcome = refusal_of(|| async { registry.revokeConsent(r.clone()).from(from).call().await }).await?;
        match outcome {
            None => Ok(RelayCheck::Relayable),
            // The contract checks the parties before the revoked flag: this is our consent.
            Some(ConsentRegistryErrors::ConsentAlreadyRevoked(_)) => Ok(RelayCheck::OnChain),
            Some(refusal) => refusal_reason(refusal),
        }
    }

    /// Dry-runs one signed signer rotation as the relaying account would send it. `OnChain` when
    /// the contract refuses its nonce and the account's signer is already the new key (the same
    /// rotation, relayed by anyone).
    pub async fn preflight_rotation(
        &self,
        call: &ConsentRegistry::rotateSignerCall,
    ) -> Result<RelayCheck, WorkerError> {
        let registry = ConsentRegistry::new(self.contract, &self.provider);
        let from = self.signer.address();
        let c = call.clone();
        let outcome = refusal_of(|| async {
            registry
                .rotateSigner(c.account, c.newSigner, c.nonce, c.deadline, c.signatureR, c.signatureVs)
                .from(from)
                .call()
                .await
        })
        .await?;
        match outcome {
            None => Ok(RelayCheck::Relayable),
            Some(ConsentRegistryErrors::RotationStaleNonce(_)) => {
                let now = retry(|| async { registry.signerOf(call.account).call().await.map_err(rpc) }).await?;
                Ok(if now == call.newSigner {
                    RelayCheck::OnChain
                } else {
                    RelayCheck::Refused("RotationStaleNonce".to_owned())
                })
            }
            Some(refusal) => refusal_reason(refusal),
        }
    }

    /// Gas for a call of the contract with `input` from the relaying account; fails when the
    /// call would revert.
    pub async fn estimate_call_gas(&self, input: &[u8]) -> Result<u64, WorkerError> {
        let request = TransactionRequest::default()
            .from(self.signer.address())
            .to(self.contract)
            .input(Bytes::copy_from_slice(input).into());
        retry(|| async {
            match self.provider.estimate_gas(request.clone()).await {
                Ok(gas) => Ok(gas),
                Err(e) if e.is_error_resp() => Err(WorkerError::Internal(format!("relay call would revert: {e}"))),
                Err(e) => Err(rpc(e)),
            }
        })
        .await
    }

    /// Where the `ConsentGranted` (or `ConsentRevoked`) event of `patient`'s consent `consent_id`
    /// is on the canonical chain: the transaction and its block. Searched backwards from `head`
    /// in windows that public endpoints accept, at most `lookback` blocks deep
    /// (`chain.log_lookback_blocks`).
    pub async fn find_consent_event(
        &self,
        patient: Address,
        consent_id: B256,
        revoke: bool,
        head: u64,
        lookback: u64,
    ) -> Result<Option<(B256, u64)>, WorkerError> {
        let signature = if revoke {
            ConsentRegistry::ConsentRevoked::SIGNATURE_HASH
        } else {
            ConsentRegistry::ConsentGranted::SIGNATURE_HASH
        };
        let floor = head.saturating_sub(lookback.saturating_sub(1));
        let mut end = head;
        loop {
            let start = end.saturating_sub(LOG_RANGE - 1).max(floor);
            let filter = Filter::new()
                .address(self.contract)
                .event_signature(signature)
                .topic1(consent_id)
                .topic2(patient.into_word())
                .from_block(start)
                .to_block(end);
            let logs = retry(|| async { self.provider.get_logs(&filter).await.map_err(rpc) }).await?;
            if let Some(found) = logs.last().and_then(|l| Some((l.transaction_hash?, l.block_number?))) {
                return Ok(Some(found));
            }
            if start <= floor {
                return Ok(None);
            }
            end = start - 1;
        }
    }
}

/// Runs a contract `eth_call` (with retries): `None` when it would succeed, the contract's error
/// when it would revert with one; anything else is an RPC failure.
async fn refusal_of<T, Fut>(call: impl Fn() -> Fut) -> Result<Option<ConsentRegistryErrors>, WorkerError>
where
    Fut: std::future::Future<Output = Result<T, alloy::contract::Error>>,
{
    retry(|| async {
        match call().await {
            Ok(_) => Ok(None),
            Err(e) => match e.as_decoded_interface_error::<ConsentRegistryErrors>() {
                Some(refusal) => Ok(Some(refusal)),
                None => Err(rpc(e)),
            },
        }
    })
    .await
}

/// What the contract would do with one signed consent message now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayCheck {
    /// It would accept it.
    Relayable,
    /// It already holds it (relayed by this worker earlier, or by anyone else).
    OnChain,
    /// It refuses it for good; the contract error's name.
    Refused(String),
}

/// A contract refusal of a signed message: permanent for these errors, else a configuration
/// problem (the contract at the address is not the one the worker expects).
fn refusal_reason(refusal: ConsentRegistryErrors) -> Result<RelayCheck, WorkerError> {
    use ConsentRegistryErrors as E;
    let name = match refusal {
        E::InvalidConsent(_) => "InvalidConsent",
        E::InvalidValidity(_) => "InvalidValidity",
        E::SignatureExpired(_) => "SignatureExpired",
        E::StaleNonce(_) => "StaleNonce",
        E::InvalidSignature(_) => "InvalidSignature",
        E::ConsentExists(_) => "ConsentExists",
        E::ConsentUnknown(_) => "ConsentUnknown",
        E::PartiesMismatch(_) => "PartiesMismatch",
        E::InvalidSigner(_) => "InvalidSigner",
        E::RotationExpired(_) => "RotationExpired",
        E::RotationStaleNonce(_) => "RotationStaleNonce",
        E::RotationInvalidSignature(_) => "RotationInvalidSignature",
        other => return Err(WorkerError::Misconfigured(format!("consent relay would revert: {other:?}"))),
    };
    Ok(RelayCheck::Refused(name.to_owned()))
}
