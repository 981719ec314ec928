//! Merkle trees compatible with OpenZeppelin's `MerkleProof` and `StandardMerkleTree`:
//! keccak256 nodes over sorted pairs (`hash(min(a, b) ‖ max(a, b))`), the tree stored as an array
//! (`tree[0]` the root, children of `i` at `2i + 1` and `2i + 2`, leaves at the end in reverse
//! order), so a root and proof made here verify in Solidity with `MerkleProof.verify` and match
//! what `@openzeppelin/merkle-tree` builds from the same leaves in the same order.
//!
//! Leaves are given already hashed (the document leaf is double-hashed, see `commitment`).

use sha3::{Digest, Keccak256};

/// A 32-byte node hash.
pub type Hash = [u8; 32];

/// The Merkle leaf of a document: `keccak256(keccak256(salt ‖ sha256))`, OpenZeppelin
/// StandardMerkleTree's leaf for the value `(bytes32 salt, bytes32 sha256)`. The salt keeps a
/// guessed document from being confirmed against the chain.
pub fn document_leaf(salt: &Hash, doc_sha256: &Hash) -> Hash {
    crate::commitment::leaf(salt, doc_sha256)
}

/// keccak256 of the sorted pair.
pub fn hash_pair(a: &Hash, b: &Hash) -> Hash {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut h = Keccak256::new();
    h.update(lo);
    h.update(hi);
    h.finalize().into()
}

/// Why a tree could not be built or a proof made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// A tree needs at least one leaf.
    #[error("a Merkle tree needs at least one leaf")]
    Empty,
    /// The leaf index is past the end.
    #[error("leaf index {0} out of range")]
    IndexOutOfRange(usize),
}

/// A complete tree in OpenZeppelin's array layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    nodes: Vec<Hash>,
    n_leaves: usize,
}

impl MerkleTree {
    /// Builds the tree over `leaves` in the given order (leaf `i` is `leaves[i]`).
    pub fn new(leaves: &[Hash]) -> Result<Self, MerkleError> {
        let n = leaves.len();
        if n == 0 {
            return Err(MerkleError::Empty);
        }
        let mut nodes = vec![[0u8; 32]; 2 * n - 1];
        for (i, leaf) in leaves.iter().enumerate() {
            nodes[2 * n - 2 - i] = *leaf;
        }
        for i in (0..n - 1).rev() {
            nodes[i] = hash_pair(&nodes[2 * i + 1], &nodes[2 * i + 2]);
        }
        Ok(Self { nodes, n_leaves: n })
    }

    /// The root.
    pub fn root(&self) -> Hash {
        self.nodes[0]
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.n_leaves
    }

    /// Always false: a tree has at least one leaf.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The proof for leaf `leaf_idx`: sibling hashes from the leaf up to just below the root.
    pub fn proof(&self, leaf_idx: usize) -> Result<Vec<Hash>, MerkleError> {
        if leaf_idx >= self.n_leaves {
            return Err(MerkleError::IndexOutOfRange(leaf_idx));
        }
        let mut i = self.nodes.len() - 1 - leaf_idx;
        let mut proof = Vec::new();
        while i > 0 {
            let sibling = if i % 2 == 1 { i + 1 } else { i - 1 };
            proof.push(self.nodes[sibling]);
            i = (i - 1) / 2;
        }
        Ok(proof)
    }
}

/// Walks `proof` from `leaf` and returns the root it implies (OpenZeppelin `processProof`).
pub fn process_proof(leaf: &Hash, proof: &[Hash]) -> Hash {
    proof.iter().fold(*leaf, |acc, sibling| hash_pair(&acc, sibling))
}

/// True when `proof` links `leaf` to `root`.
pub fn verify(root: &Hash, leaf: &Hash, proof: &[Hash]) -> bool {
    process_proof(leaf, proof) == *root
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaf(i: u64) -> Hash {
        Keccak256::digest(i.to_be_bytes()).into()
    }

    #[test]
    fn single_leaf_is_its_own_root() {
        let t = MerkleTree::new(&[leaf(1)]).unwrap();
        assert_eq!(t.root(), leaf(1));
        assert!(t.proof(0).unwrap().is_empty());
        assert!(verify(&t.root(), &leaf(1), &[]));
        assert_eq!(MerkleTree::new(&[]), Err(MerkleError::Empty));
        assert_eq!(t.proof(1), Err(MerkleError::IndexOutOfRange(1)));
    }

    #[test]
    fn two_leaves_hash_as_a_sorted_pair() {
        let t = MerkleTree::new(&[leaf(1), leaf(2)]).unwrap();
        assert_eq!(t.root(), hash_pair(&leaf(2), &leaf(1)));
    }

    fn from_hex(s: &str) -> Hash {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.trim_start_matches("0x"), &mut out).unwrap();
        out
    }

    /// Roots and proofs produced by `@openzeppelin/merkle-tree` (testdata/oz-merkle-tree.json).
    #[test]
    fn matches_openzeppelin_merkle_tree() {
        let v: serde_json::Value = serde_json::from_str(include_str!("../testdata/oz-merkle-tree.json")).unwrap();
        for case in v["cases"].as_array().unwrap() {
            let leaves: Vec<Hash> = case["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| document_leaf(&from_hex(pair[0].as_str().unwrap()), &from_hex(pair[1].as_str().unwrap())))
                .collect();
            let t = MerkleTree::new(&leaves).unwrap();
            assert_eq!(t.root(), from_hex(case["root"].as_str().unwrap()), "n = {}", case["n"]);
            for (i, expected) in case["proofs"].as_array().unwrap().iter().enumerate() {
                let expected: Vec<Hash> =
                    expected.as_array().unwrap().iter().map(|h| from_hex(h.as_str().unwrap())).collect();
                assert_eq!(t.proof(i).unwrap(), expected);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_leaf_proves_and_tampering_fails(n in 1usize..300, pick in any::<prop::sample::Index>(), flip in 0usize..256) {
            let leaves: Vec<Hash> = (0..n as u64).map(leaf).collect();
            let t = MerkleTree::new(&leaves).unwrap();
            for (i, l) in leaves.iter().enumerate() {
                prop_assert!(verify(&t.root(), l, &t.proof(i).unwrap()));
            }
            let i = pick.index(n);
            let mut proof = t.proof(i).unwrap();
            if !proof.is_empty() {
                let k = flip % proof.len();
                proof[k][flip % 32] ^= 1 << (flip % 8);
                prop_assert!(!verify(&t.root(), &leaves[i], &proof));
            }
            let mut wrong = leaves[i];
            wrong[0] ^= 0x80;
            prop_assert!(!verify(&t.root(), &wrong, &t.proof(i).unwrap()));
        }
    }
}
