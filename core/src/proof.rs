//! Proof bundles: the versioned JSON file that lets anyone check a document against the chain
//! without the platform (format in `docs/proof.md`).
//!
//! Checking has two halves. [`ProofBundle::check_offline`] is pure: the document's SHA-256 and
//! the bundle's salt give the leaf, the Merkle path from the leaf gives the root. The on-chain
//! half (`verify_on_chain`, with the `rpc` feature) asks the contract, by `eth_call` on any RPC
//! endpoint, whether that root is anchored and when.

use serde::{Deserialize, Serialize};

use crate::commitment::{self, Hash};
use crate::merkle;

/// The `format` field of every bundle.
pub const FORMAT: &str = "pramana-proof";
/// The bundle version this code writes and reads.
pub const VERSION: u32 = 1;

/// A document's inclusion proof and where its root was anchored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofBundle {
    /// Always `"pramana-proof"`.
    pub format: String,
    /// Always 1 for this layout.
    pub version: u32,
    /// The document's id on the platform (informational; not part of the proof).
    pub document_id: String,
    /// What the leaf is made of.
    pub leaf: LeafInputs,
    /// The path from the leaf to the root.
    pub merkle: MerklePath,
    /// Where and when the root was anchored.
    pub anchor: AnchorPoint,
}

/// The inputs of a document leaf: `leaf = keccak256(keccak256(salt ‖ sha256))`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafInputs {
    /// SHA-256 of the plaintext document (what `sha256sum` prints).
    #[serde(with = "hex32")]
    pub sha256: Hash,
    /// The random salt that keeps the digest from being confirmed by guessing.
    #[serde(with = "hex32")]
    pub salt: Hash,
    /// The leaf itself (recomputed by verifiers; carried for convenience).
    #[serde(with = "hex32")]
    pub leaf: Hash,
}

/// An OpenZeppelin `MerkleProof` path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerklePath {
    /// The root anchored on chain.
    #[serde(with = "hex32")]
    pub root: Hash,
    /// The leaf's position in the batch.
    pub leaf_index: u32,
    /// Leaves in the batch (also recorded on chain with the root).
    pub leaf_count: u32,
    /// Sibling hashes from the leaf up (sorted-pair keccak256).
    #[serde(with = "hex32_vec")]
    pub proof: Vec<Hash>,
}

/// The anchoring transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorPoint {
    /// EVM chain id.
    pub chain_id: u64,
    /// ConsentRegistry address (EIP-55).
    pub contract: String,
    /// The `anchor(root, leafCount)` transaction.
    #[serde(with = "hex32")]
    pub tx_hash: Hash,
    /// Its block.
    pub block_number: u64,
    /// That block's hash.
    #[serde(with = "hex32")]
    pub block_hash: Hash,
    /// That block's timestamp (Unix seconds).
    pub block_timestamp: u64,
}

/// Why a bundle does not prove a document, before asking the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Not a bundle this code understands.
    #[error("not a pramana-proof version {VERSION} bundle")]
    UnsupportedFormat,
    /// The document's SHA-256 is not the one the bundle commits to.
    #[error("the document's SHA-256 is not the one in the proof")]
    DigestMismatch,
    /// The bundle's leaf is not `keccak256(keccak256(salt ‖ sha256))`.
    #[error("the leaf does not match its salt and SHA-256")]
    LeafMismatch,
    /// The path from the leaf does not lead to the root.
    #[error("the Merkle path does not lead to the root")]
    PathMismatch,
    /// `leaf_index` is not below `leaf_count`.
    #[error("leaf index {0} is outside a batch of {1}")]
    IndexOutOfRange(u32, u32),
}

impl ProofBundle {
    /// Parses a bundle from JSON, refusing other formats and versions.
    pub fn from_json(text: &str) -> Result<Self, ProofError> {
        let bundle: Self = serde_json::from_str(text).map_err(|_| ProofError::UnsupportedFormat)?;
        if bundle.format != FORMAT || bundle.version != VERSION {
            return Err(ProofError::UnsupportedFormat);
        }
        Ok(bundle)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks, without the chain, that a document whose SHA-256 is `sha256` is a leaf under the
    /// bundle's root. Returns the root to look up on chain.
    pub fn check_offline(&self, sha256: &Hash) -> Result<Hash, ProofError> {
        if self.format != FORMAT || self.version != VERSION {
            return Err(ProofError::UnsupportedFormat);
        }
        if *sha256 != self.leaf.sha256 {
            return Err(ProofError::DigestMismatch);
        }
        let leaf = commitment::leaf(&self.leaf.salt, sha256);
        if leaf != self.leaf.leaf {
            return Err(ProofError::LeafMismatch);
        }
        if self.merkle.leaf_index >= self.merkle.leaf_count {
            return Err(ProofError::IndexOutOfRange(self.merkle.leaf_index, self.merkle.leaf_count));
        }
        if !merkle::verify(&self.merkle.root, &leaf, &self.merkle.proof) {
            return Err(ProofError::PathMismatch);
        }
        Ok(self.merkle.root)
    }
}

/// What checking a bundle against the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// True only when every check passed.
    pub verified: bool,
    /// Why not, when not verified (empty otherwise).
    pub problems: Vec<String>,
    /// The contract that was asked: the one the verifier trusts (EIP-55).
    pub contract: String,
    /// The chain id the RPC endpoint reported.
    pub chain_id: u64,
    /// The root that was looked up.
    #[serde(with = "hex32")]
    pub root: Hash,
    /// The block the chain says the root was anchored in (0 when it was not).
    pub anchored_block: u64,
    /// That block's timestamp (Unix seconds; 0 when not anchored).
    pub anchored_at: u64,
    /// The leaf count the chain recorded with the root.
    pub leaf_count: u64,
    /// Notes that do not fail verification (for example a block hash that changed in a reorg).
    pub notes: Vec<String>,
}

#[cfg(feature = "rpc")]
mod onchain {
    use alloy::primitives::{Address, B256};
    use alloy::providers::Provider;

    use super::{Hash, ProofBundle, Verification};
    use crate::chain::ConsentRegistry;

    /// Why the chain could not be asked (as opposed to answering "no").
    #[derive(Debug, thiserror::Error)]
    pub enum ChainQueryError {
        /// The RPC endpoint failed or answered nonsense.
        #[error("RPC: {0}")]
        Rpc(String),
    }

    impl ProofBundle {
        /// Checks the document with SHA-256 `sha256` against the chain behind `provider`: the
        /// offline checks, then the chain id, then `verifyDocument` and `anchoredAt` on the
        /// `trusted` contract — the one the verifier trusts, never the one the bundle names:
        /// a bundle naming another contract is not verified. No call to the platform.
        pub async fn verify_on_chain<P: Provider>(
            &self,
            provider: &P,
            sha256: &Hash,
            trusted: Address,
        ) -> Result<Verification, ChainQueryError> {
            let rpc = |e: &dyn std::fmt::Display| ChainQueryError::Rpc(e.to_string());
            let mut problems = Vec::new();
            let mut notes = Vec::new();
            let address = trusted;
            match self.anchor.contract.parse::<Address>() {
                Ok(named) if named == trusted => {}
                Ok(named) => problems.push(format!(
                    "the bundle names contract {named}, but the contract you trust on this chain is {trusted}"
                )),
                Err(_) => {
                    problems.push(format!("the bundle's contract address {:?} is invalid", self.anchor.contract));
                }
            }
            let chain_id = provider.get_chain_id().await.map_err(|e| rpc(&e))?;
            let mut out = Verification {
                verified: false,
                problems: Vec::new(),
                contract: address.to_checksum(None),
                chain_id,
                root: self.merkle.root,
                anchored_block: 0,
                anchored_at: 0,
                leaf_count: 0,
                notes: Vec::new(),
            };
            if chain_id != self.anchor.chain_id {
                problems.push(format!(
                    "the RPC endpoint is chain {chain_id}, the proof is for chain {}",
                    self.anchor.chain_id
                ));
            }
            if let Err(e) = self.check_offline(sha256) {
                problems.push(e.to_string());
            }
            if problems.is_empty() {
                if provider.get_code_at(address).await.map_err(|e| rpc(&e))?.is_empty() {
                    problems.push(format!("no contract at {address} on chain {chain_id}"));
                } else {
                    let registry = ConsentRegistry::new(address, provider);
                    let root = B256::from(self.merkle.root);
                    let path: Vec<B256> = self.merkle.proof.iter().copied().map(B256::from).collect();
                    let v = registry
                        .verifyDocument(root, B256::from(self.leaf.salt), B256::from(*sha256), path)
                        .call()
                        .await
                        .map_err(|e| rpc(&e))?;
                    let at = registry.anchoredAt(root).call().await.map_err(|e| rpc(&e))?;
                    out.leaf_count = at.leafCount;
                    if !v.verified {
                        problems.push("the root is not anchored in this contract".to_owned());
                    } else {
                        out.anchored_block = v.blockNumber;
                        out.anchored_at = v.timestamp;
                        if at.leafCount != u64::from(self.merkle.leaf_count) {
                            problems.push(format!(
                                "the chain records {} leaves under the root, the proof says {}",
                                at.leafCount, self.merkle.leaf_count
                            ));
                        }
                        if v.blockNumber != self.anchor.block_number {
                            notes.push(format!(
                                "anchored in block {} (the bundle says {}; a reorg moved it)",
                                v.blockNumber, self.anchor.block_number
                            ));
                        } else if let Some(block) =
                            provider.get_block_by_number(v.blockNumber.into()).await.map_err(|e| rpc(&e))?
                            && block.header.hash != B256::from(self.anchor.block_hash)
                        {
                            notes.push(format!(
                                "block {} now has hash {} (the bundle says 0x{})",
                                v.blockNumber,
                                block.header.hash,
                                hex::encode(self.anchor.block_hash)
                            ));
                        }
                    }
                }
            }
            out.verified = problems.is_empty();
            out.problems = problems;
            out.notes = notes;
            Ok(out)
        }
    }
}

#[cfg(feature = "rpc")]
pub use onchain::ChainQueryError;

/// `0x` + 64 hex digits.
pub(crate) mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{}", hex::encode(v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse(&s).ok_or_else(|| de::Error::custom("expected 0x and 64 hex digits"))
    }

    pub fn parse(s: &str) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.strip_prefix("0x")?, &mut out).ok()?;
        Some(out)
    }
}

/// A list of `0x` + 64 hex digits.
mod hex32_vec {
    use serde::ser::SerializeSeq as _;
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for h in v {
            seq.serialize_element(&crate::hex0x(h))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        let items = Vec::<String>::deserialize(d)?;
        items
            .iter()
            .map(|s| super::hex32::parse(s).ok_or_else(|| de::Error::custom("expected 0x and 64 hex digits")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MerkleTree;

    fn bundle(n: usize, idx: usize) -> (ProofBundle, Hash) {
        let docs: Vec<(Hash, Hash)> = (0..n as u8).map(|i| ([i; 32], [i.wrapping_add(100); 32])).collect();
        let leaves: Vec<Hash> = docs.iter().map(|(s, d)| commitment::leaf(s, d)).collect();
        let tree = MerkleTree::new(&leaves).unwrap();
        let (salt, sha256) = docs[idx];
        let b = ProofBundle {
            format: FORMAT.to_owned(),
            version: VERSION,
            document_id: "0190f5a4-0000-7000-8000-000000000000".to_owned(),
            leaf: LeafInputs { sha256, salt, leaf: leaves[idx] },
            merkle: MerklePath {
                root: tree.root(),
                leaf_index: idx as u32,
                leaf_count: n as u32,
                proof: tree.proof(idx).unwrap(),
            },
            anchor: AnchorPoint {
                chain_id: 31337,
                contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3".to_owned(),
                tx_hash: [7; 32],
                block_number: 3,
                block_hash: [8; 32],
                block_timestamp: 1_763_856_000,
            },
        };
        (b, sha256)
    }

    #[test]
    fn round_trips_and_checks_offline() {
        let (b, sha) = bundle(5, 3);
        let parsed = ProofBundle::from_json(&b.to_json()).unwrap();
        assert_eq!(parsed, b);
        assert_eq!(parsed.check_offline(&sha), Ok(b.merkle.root));
        assert!(b.to_json().contains("\"sha256\": \"0x6767"), "{}", b.to_json());
    }

    #[test]
    fn every_tampering_is_caught() {
        let (b, sha) = bundle(6, 2);
        let mut other = sha;
        other[0] ^= 1;
        assert_eq!(b.check_offline(&other), Err(ProofError::DigestMismatch));
        let mut t = b.clone();
        t.leaf.salt[31] ^= 1;
        assert_eq!(t.check_offline(&sha), Err(ProofError::LeafMismatch));
        let mut t = b.clone();
        t.merkle.proof[0][0] ^= 1;
        assert_eq!(t.check_offline(&sha), Err(ProofError::PathMismatch));
        let mut t = b.clone();
        t.merkle.root[5] ^= 1;
        assert_eq!(t.check_offline(&sha), Err(ProofError::PathMismatch));
        let mut t = b.clone();
        t.merkle.leaf_index = 6;
        assert_eq!(t.check_offline(&sha), Err(ProofError::IndexOutOfRange(6, 6)));
        let mut t = b;
        t.version = 2;
        assert_eq!(ProofBundle::from_json(&t.to_json()), Err(ProofError::UnsupportedFormat));
        assert_eq!(ProofBundle::from_json("{}"), Err(ProofError::UnsupportedFormat));
    }
}
