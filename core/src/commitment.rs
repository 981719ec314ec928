//! A document's digest and salted commitment: what is anchored on chain instead of the document.
//!
//! - `sha256` = SHA-256 of the plaintext (any holder recomputes it with `sha256sum`);
//! - `salt` = 32 random bytes, kept off chain, so a guessed document cannot be confirmed;
//! - `commitment` = `keccak256(abi.encode(bytes32 salt, bytes32 sha256))` = `keccak256(salt ‖ sha256)`;
//! - `leaf` = `keccak256(commitment)`: OpenZeppelin `StandardMerkleTree`'s double-hashed leaf for
//!   the value `(bytes32 salt, bytes32 sha256)`, the leaf `merkle` trees are built from.
//!
//! The envelope computes the digest while it encrypts (`envelope::SealOutput`), so a document is
//! read once.

use sha3::{Digest, Keccak256};

/// A 32-byte hash.
pub type Hash = [u8; 32];

/// `keccak256(salt ‖ sha256)`, equal to Solidity's `keccak256(abi.encode(salt, sha256))` for two
/// `bytes32` values.
pub fn commitment(salt: &Hash, sha256: &Hash) -> Hash {
    let mut h = Keccak256::new();
    h.update(salt);
    h.update(sha256);
    h.finalize().into()
}

/// The Merkle leaf `keccak256(keccak256(salt ‖ sha256))` (OpenZeppelin's double hashing, so a
/// leaf can never be mistaken for an inner node).
pub fn leaf(salt: &Hash, sha256: &Hash) -> Hash {
    Keccak256::digest(commitment(salt, sha256)).into()
}

/// Everything needed to anchor a document and, later, to prove it: the salt must be kept with
/// the document's metadata (it is the only secret that hides the digest on chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocumentCommitment {
    /// SHA-256 of the plaintext.
    pub sha256: Hash,
    /// Random 32-byte salt.
    pub salt: Hash,
    /// `keccak256(salt ‖ sha256)`.
    pub commitment: Hash,
    /// `keccak256(commitment)`, the Merkle leaf.
    pub leaf: Hash,
}

impl DocumentCommitment {
    /// Computes the commitment and leaf of a digest under `salt`.
    pub fn new(salt: Hash, sha256: Hash) -> Self {
        let commitment = commitment(&salt, &sha256);
        Self { sha256, salt, commitment, leaf: Keccak256::digest(commitment).into() }
    }

    /// Recomputes the commitment and leaf from `sha256` and `salt`: true if they match (what a
    /// verifier does with a proof bundle and a document it was handed).
    pub fn is_consistent(&self) -> bool {
        *self == Self::new(self.salt, self.sha256)
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{B256, keccak256};
    use alloy::sol_types::SolValue;
    use sha2::Sha256;

    use super::*;

    #[test]
    fn commitment_is_keccak_of_abi_encoded_pair() {
        for (salt, sha) in [([0u8; 32], [0u8; 32]), ([1; 32], [2; 32]), ([0xff; 32], [0x5a; 32])] {
            let encoded = (B256::from(salt), B256::from(sha)).abi_encode();
            assert_eq!(encoded.len(), 64);
            assert_eq!(commitment(&salt, &sha), keccak256(&encoded).0);
            assert_eq!(leaf(&salt, &sha), keccak256(keccak256(&encoded)).0);
        }
    }

    #[test]
    fn fixed_vector() {
        // keccak256 of 64 zero bytes is a well-known constant (the second zero hash of
        // sparse Merkle trees).
        let zero = commitment(&[0; 32], &[0; 32]);
        assert_eq!(hex::encode(zero), "ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5");
        let doc = DocumentCommitment::new([0x11; 32], Sha256::digest(b"hello\n").into());
        assert_eq!(hex::encode(doc.sha256), "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        assert!(doc.is_consistent());
    }

    #[test]
    fn leaf_matches_the_merkle_module() {
        let (salt, sha) = ([3u8; 32], [4u8; 32]);
        assert_eq!(leaf(&salt, &sha), crate::merkle::document_leaf(&salt, &sha));
        assert_eq!(DocumentCommitment::new(salt, sha).leaf, leaf(&salt, &sha));
    }

    #[test]
    fn a_changed_salt_or_digest_is_inconsistent() {
        let mut doc = DocumentCommitment::new([1; 32], [2; 32]);
        doc.salt[0] ^= 1;
        assert!(!doc.is_consistent());
        let mut doc = DocumentCommitment::new([1; 32], [2; 32]);
        doc.sha256[31] ^= 0x80;
        assert!(!doc.is_consistent());
    }
}
