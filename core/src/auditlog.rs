//! The access log's verifiable tree (format in `docs/audit-log.md`): RFC 9162 (Certificate
//! Transparency v2) Merkle tree math, pure. Leaf hash `SHA-256(0x00 ‖ entry)`, node hash
//! `SHA-256(0x01 ‖ left ‖ right)`, the tree over `n` leaves split at the largest power of two
//! below `n`; inclusion and consistency proofs and their verification as RFC 9162 §2.1.3 and
//! §2.1.4 define them. Also the canonical entry encoding, the compact range a sequencer appends
//! with, and the leaf a tree head is anchored as.
//!
//! Proofs are made from *perfect subtrees*: `(level, index)` names the `2^level` leaves from
//! `index · 2^level`. Every hash a proof needs is one such node or the fold of a few of them
//! (`range_cover` and `fold_cover`), so a server that stores the perfect nodes answers any proof
//! with `O(log² n)` lookups.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sha3::Keccak256;

use crate::proof::{AnchorPoint, MerklePath};

/// A 32-byte hash.
pub type Hash = [u8; 32];

/// The domain of an entry's encoding.
pub const ENTRY_DOMAIN: &[u8] = b"pramana/audit/v2";
/// The domain of a tree head's anchor leaf.
pub const HEAD_DOMAIN: &[u8] = b"pramana/audit-head/v1";

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The index or sizes are outside the tree (`index < size`, `0 < first <= second`).
    #[error("position {index} is not in a tree of size {size}")]
    OutOfRange {
        /// Leaf index or first size.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("the proof has {got} hashes; these sizes need {want}")]
    WrongLength {
        /// Hashes given.
        got: usize,
        /// Hashes needed.
        want: usize,
    },
    /// The proof leads to another root.
    #[error("the proof does not lead to the root")]
    RootMismatch,
    /// A head's anchor leaf is not `head_leaf(size, root)`, or its path does not lead to the
    /// batch root.
    #[error("the head's anchor leaf or its path is wrong")]
    AnchorMismatch,
}

/// Where a tree head was anchored: its leaf in a document batch, the path to that batch's root
/// and the transaction that anchored the root. What `anchor_jobs.proof` holds for a head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadAnchor {
    /// The head's tree size.
    pub tree_size: u64,
    /// The head's RFC 9162 root.
    #[serde(with = "crate::proof::hex32")]
    pub root: Hash,
    /// `head_leaf(tree_size, root)`.
    #[serde(with = "crate::proof::hex32")]
    pub leaf: Hash,
    /// The path from the leaf to the anchored batch root (OpenZeppelin layout, see `merkle`).
    pub merkle: MerklePath,
    /// The anchoring transaction.
    pub anchor: AnchorPoint,
}

impl HeadAnchor {
    /// Checks, without the chain, that the head's leaf is under the batch root; returns that
    /// root, to look up with the contract's `anchoredAt`.
    pub fn check_offline(&self) -> Result<Hash, TreeError> {
        let leaf = head_leaf(self.tree_size, &self.root);
        if leaf != self.leaf
            || self.merkle.leaf_index >= self.merkle.leaf_count
            || !crate::merkle::verify(&self.merkle.root, &leaf, &self.merkle.proof)
        {
            return Err(TreeError::AnchorMismatch);
        }
        Ok(self.merkle.root)
    }
}

/// `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree, `SHA-256()`.
pub fn empty_root() -> Hash {
    Sha256::digest(b"").into()
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[n])` over leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// A range of leaves `[start, end)`.
pub type Range = (u64, u64);

/// The ranges whose hashes make `PATH(index, D[size])`, leaf side first.
pub fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<Range>, TreeError> {
    if index >= size {
        return Err(TreeError::OutOfRange { index, size });
    }
    let mut out = Vec::new();
    let (mut start, mut end) = (0, size);
    while end - start > 1 {
        let k = split(end - start);
        if index < start + k {
            out.push((start + k, end));
            end = start + k;
        } else {
            out.push((start, start + k));
            start += k;
        }
    }
    out.reverse();
    Ok(out)
}

/// The ranges whose hashes make `PROOF(first, D[second])`, in RFC 9162 order.
pub fn consistency_ranges(first: u64, second: u64) -> Result<Vec<Range>, TreeError> {
    if first == 0 || first > second {
        return Err(TreeError::OutOfRange { index: first, size: second });
    }
    let mut out = Vec::new();
    // SUBPROOF(m, D[start:end], b), unrolled.
    let (mut start, mut end, mut whole) = (0, second, true);
    let m = first;
    loop {
        if m == end {
            if !whole {
                out.push((start, end));
            }
            break;
        }
        let k = split(end - start);
        if m <= start + k {
            out.push((start + k, end));
            end = start + k;
        } else {
            out.push((start, start + k));
            start += k;
            whole = false;
        }
    }
    out.reverse();
    Ok(out)
}

/// The perfect subtrees `(level, index)` that make up a range a proof uses, largest first. Every
/// range `inclusion_ranges` and `consistency_ranges` return starts at a multiple of its largest
/// power of two, so this is its binary decomposition.
pub fn range_cover((start, end): Range) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        let mut level = 63 - (end - pos).leading_zeros();
        while level > 0 && pos % (1u64 << level) != 0 {
            level -= 1;
        }
        out.push((level, pos >> level));
        pos += 1 << level;
    }
    out
}

/// The hash of a range from the hashes of its cover (as `range_cover` orders it): the right-most
/// subtrees are joined first, as RFC 9162's split does.
pub fn fold_cover(hashes: &[Hash]) -> Hash {
    let mut it = hashes.iter().rev();
    let Some(last) = it.next() else { return empty_root() };
    it.fold(*last, |acc, h| node_hash(h, &acc))
}

/// The inclusion proof of leaf `index` in the tree over `leaves` (all in memory).
pub fn inclusion_proof(index: u64, leaves: &[Hash]) -> Result<Vec<Hash>, TreeError> {
    Ok(inclusion_ranges(index, leaves.len() as u64)?.into_iter().map(|r| range_root(leaves, r)).collect())
}

/// The consistency proof from the tree's first `first` leaves to all of `leaves`.
pub fn consistency_proof(first: u64, leaves: &[Hash]) -> Result<Vec<Hash>, TreeError> {
    Ok(consistency_ranges(first, leaves.len() as u64)?.into_iter().map(|r| range_root(leaves, r)).collect())
}

fn range_root(leaves: &[Hash], (start, end): Range) -> Hash {
    root(&leaves[start as usize..end as usize])
}

/// RFC 9162 §2.1.3.2: checks that `leaf` is at `index` in the tree of `size` with `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), TreeError> {
    if index >= size {
        return Err(TreeError::OutOfRange { index, size });
    }
    let want = inclusion_ranges(index, size)?.len();
    if proof.len() != want {
        return Err(TreeError::WrongLength { got: proof.len(), want });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(TreeError::RootMismatch);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n == 0 && r == *root { Ok(()) } else { Err(TreeError::RootMismatch) }
}

/// RFC 9162 §2.1.4.2: checks that the tree of `second` leaves with `second_root` extends the
/// tree of `first` leaves with `first_root`.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), TreeError> {
    if first == 0 || first > second {
        return Err(TreeError::OutOfRange { index: first, size: second });
    }
    if first == second {
        if !proof.is_empty() {
            return Err(TreeError::WrongLength { got: proof.len(), want: 0 });
        }
        return if first_root == second_root { Ok(()) } else { Err(TreeError::RootMismatch) };
    }
    let want = consistency_ranges(first, second)?.len();
    if proof.len() != want {
        return Err(TreeError::WrongLength { got: proof.len(), want });
    }
    // A first tree that is a perfect subtree is not in the proof: prepend its root.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut f_n, mut s_n) = (first - 1, second - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s_n == 0 {
            return Err(TreeError::RootMismatch);
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n == 0 && fr == *first_root && sr == *second_root { Ok(()) } else { Err(TreeError::RootMismatch) }
}

/// The right edge of a tree: the roots of the perfect subtrees its size decomposes into, largest
/// first. Appending a leaf needs only these; the sequencer keeps them in Postgres as nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    /// `(level, hash)`, levels strictly decreasing.
    peaks: Vec<(u32, Hash)>,
}

/// A perfect subtree completed by an append: `(level, index, hash)`.
pub type Node = (u32, u64, Hash);

impl CompactRange {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The perfect subtrees `(level, index)` whose hashes `from_peaks` needs for a tree of `size`.
    pub fn peak_ids(size: u64) -> Vec<(u32, u64)> {
        if size == 0 { Vec::new() } else { range_cover((0, size)) }
    }

    /// The tree of `size` leaves from the hashes of `peak_ids(size)`, in that order.
    pub fn from_peaks(size: u64, hashes: &[Hash]) -> Result<Self, TreeError> {
        let ids = Self::peak_ids(size);
        if ids.len() != hashes.len() {
            return Err(TreeError::WrongLength { got: hashes.len(), want: ids.len() });
        }
        Ok(Self { size, peaks: ids.iter().zip(hashes).map(|(&(level, _), h)| (level, *h)).collect() })
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; returns every perfect subtree it completes (the leaf itself first).
    pub fn append(&mut self, leaf: Hash) -> Vec<Node> {
        let index = self.size;
        let mut done = vec![(0, index, leaf)];
        let mut carry = (0u32, leaf);
        while let Some(&(level, left)) = self.peaks.last() {
            if level != carry.0 {
                break;
            }
            self.peaks.pop();
            let h = node_hash(&left, &carry.1);
            carry = (level + 1, h);
            done.push((level + 1, index >> (level + 1), h));
        }
        self.peaks.push(carry);
        self.size += 1;
        done
    }

    /// The root of the tree so far.
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.peaks.iter().map(|p| p.1).collect();
        fold_cover(&hashes)
    }
}

/// The leaf a tree head is anchored as, in the document batch tree (OpenZeppelin layout, see
/// `merkle`): `keccak256(keccak256("pramana/audit-head/v1" ‖ size as 8 bytes BE ‖ root))`. Its
/// preimage is 61 bytes long, a document leaf's 64, so neither can pass for the other.
pub fn head_leaf(size: u64, root: &Hash) -> Hash {
    let mut inner = Keccak256::new();
    inner.update(HEAD_DOMAIN);
    inner.update(size.to_be_bytes());
    inner.update(root);
    let inner: Hash = inner.finalize().into();
    Keccak256::digest(inner).into()
}

/// One access-log entry as it is hashed. Fields absent from an event are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The entry's id (a UUID v7, 16 bytes), made at insert.
    pub id: [u8; 16],
    /// Microseconds since the Unix epoch.
    pub at_micros: i64,
    /// Role of the actor.
    pub actor_role: &'a str,
    /// Actor id (16 bytes).
    pub actor_id: Option<[u8; 16]>,
    /// Dotted verb.
    pub action: &'a str,
    /// `ok` or `denied`.
    pub outcome: &'a str,
    /// The patient concerned (16 bytes).
    pub subject_patient_id: Option<[u8; 16]>,
    /// What was acted on.
    pub target: Option<&'a str>,
    /// Request id.
    pub request_id: Option<&'a str>,
    /// Details, canonical JSON (`canonical_json`).
    pub details: &'a str,
}

impl Entry<'_> {
    /// `"pramana/audit/v2"` then every field as a 4-byte big-endian length and its bytes (an
    /// absent field as the length `0xFFFF_FFFF`): id (16 bytes), at (8 bytes BE), actor_role,
    /// actor_id, action, outcome, subject_patient_id, target, request_id, details.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = ENTRY_DOMAIN.to_vec();
        let mut field = |bytes: Option<&[u8]>| match bytes {
            Some(b) => {
                out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX - 1).to_be_bytes());
                out.extend_from_slice(b);
            }
            None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
        };
        field(Some(&self.id));
        field(Some(&self.at_micros.to_be_bytes()));
        field(Some(self.actor_role.as_bytes()));
        field(self.actor_id.as_ref().map(|u| &u[..]));
        field(Some(self.action.as_bytes()));
        field(Some(self.outcome.as_bytes()));
        field(self.subject_patient_id.as_ref().map(|u| &u[..]));
        field(self.target.map(str::as_bytes));
        field(self.request_id.map(str::as_bytes));
        field(Some(self.details.as_bytes()));
        out
    }

    /// The entry's leaf hash, `SHA-256(0x00 ‖ encode())`.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.encode())
    }
}

/// JSON with object keys sorted at every level and no whitespace, whatever map order it was
/// built with (Postgres `jsonb` reorders keys).
pub fn canonical_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&map[k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(s: &str) -> Hash {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    // RFC 6962 / RFC 9162 reference data as published by transparency-dev/merkle (and
    // certificate-transparency before it): the leaf inputs, the root at each size 0..8, and
    // some of their proofs.
    const INPUTS: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn reference_leaves() -> Vec<Hash> {
        INPUTS.iter().map(|i| leaf_hash(&hex::decode(i).unwrap())).collect()
    }

    #[test]
    fn roots_match_the_reference_at_every_size() {
        let leaves = reference_leaves();
        let mut compact = CompactRange::new();
        for (n, want) in ROOTS.iter().enumerate() {
            assert_eq!(root(&leaves[..n]), h(want), "size {n}");
            assert_eq!(compact.root(), h(want), "compact range at size {n}");
            if n < leaves.len() {
                compact.append(leaves[n]);
            }
        }
    }

    #[test]
    fn proofs_match_the_reference() {
        let leaves = reference_leaves();
        let inclusion: [(u64, u64, &[&str]); 3] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (0, 1, &[]),
        ];
        for (index, size, want) in inclusion {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            assert_eq!(inclusion_proof(index, &leaves[..size as usize]).unwrap(), want);
            let root = h(ROOTS[size as usize]);
            assert_eq!(verify_inclusion(index, size, &leaves[index as usize], &want, &root), Ok(()));
        }
        let consistency: [(u64, u64, &[&str]); 4] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                2,
                8,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
        ];
        for (first, second, want) in consistency {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            assert_eq!(consistency_proof(first, &leaves[..second as usize]).unwrap(), want, "{first} -> {second}");
            let (r1, r2) = (h(ROOTS[first as usize]), h(ROOTS[second as usize]));
            assert_eq!(verify_consistency(first, second, &r1, &r2, &want), Ok(()));
        }
    }

    #[test]
    fn out_of_range_is_an_error_not_a_panic() {
        let leaves = reference_leaves();
        assert!(inclusion_proof(8, &leaves).is_err());
        assert!(consistency_proof(0, &leaves).is_err());
        assert!(consistency_proof(9, &leaves).is_err());
        assert!(verify_inclusion(0, 0, &leaves[0], &[], &empty_root()).is_err());
        assert!(verify_consistency(3, 2, &leaves[0], &leaves[0], &[]).is_err());
    }

    #[test]
    fn head_leaves_differ_by_size_and_root() {
        let r = [7u8; 32];
        assert_ne!(head_leaf(1, &r), head_leaf(2, &r));
        assert_ne!(head_leaf(1, &r), head_leaf(1, &[8u8; 32]));
    }

    #[test]
    fn canonical_json_sorts_keys_everywhere() {
        let v = serde_json::json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": null}});
        assert_eq!(canonical_json(&v), r#"{"a":{"c":null,"z":[1,{"x":3,"y":2}]},"b":1}"#);
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    /// Proof hashes computed from perfect subtrees, as the server does.
    fn from_cover(all: &[Hash], ranges: &[Range]) -> Vec<Hash> {
        ranges
            .iter()
            .map(|&r| {
                let hashes: Vec<Hash> = range_cover(r)
                    .into_iter()
                    .map(|(level, idx)| {
                        let start = (idx << level) as usize;
                        root(&all[start..start + (1usize << level)])
                    })
                    .collect();
                fold_cover(&hashes)
            })
            .collect()
    }

    proptest! {
        #[test]
        fn every_inclusion_proof_verifies_and_tampering_fails(n in 1usize..70, i in 0usize..70, flip in 0usize..256) {
            let all = leaves(n);
            let i = i % n;
            let r = root(&all);
            let proof = inclusion_proof(i as u64, &all).unwrap();
            prop_assert_eq!(&proof, &from_cover(&all, &inclusion_ranges(i as u64, n as u64).unwrap()));
            prop_assert_eq!(verify_inclusion(i as u64, n as u64, &all[i], &proof, &r), Ok(()));
            if n > 1 {
                prop_assert!(verify_inclusion(((i + 1) % n) as u64, n as u64, &all[i], &proof, &r).is_err());
            }
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let k = flip % (bad.len() * 32);
                bad[k / 32][k % 32] ^= 1;
                prop_assert!(verify_inclusion(i as u64, n as u64, &all[i], &bad, &r).is_err());
                prop_assert!(verify_inclusion(i as u64, n as u64, &all[i], &proof[1..], &r).is_err());
            }
            let mut leaf = all[i];
            leaf[flip % 32] ^= 1;
            prop_assert!(verify_inclusion(i as u64, n as u64, &leaf, &proof, &r).is_err());
        }

        #[test]
        fn every_consistency_proof_verifies_and_a_rewritten_leaf_fails(n in 1usize..70, m in 1usize..70, j in 0usize..70, flip in 0usize..256) {
            let all = leaves(n);
            let m = 1 + (m - 1) % n;
            let (r1, r2) = (root(&all[..m]), root(&all));
            let proof = consistency_proof(m as u64, &all).unwrap();
            prop_assert_eq!(&proof, &from_cover(&all, &consistency_ranges(m as u64, n as u64).unwrap()));
            prop_assert_eq!(verify_consistency(m as u64, n as u64, &r1, &r2, &proof), Ok(()));
            // The second tree rewrote a leaf of the first: no proof from the honest tree holds.
            let mut forged = all;
            forged[j % m][0] ^= 1;
            let r2_forged = root(&forged);
            prop_assert!(verify_consistency(m as u64, n as u64, &r1, &r2_forged, &proof).is_err());
            if !proof.is_empty() {
                let mut bad = proof;
                let k = flip % (bad.len() * 32);
                bad[k / 32][k % 32] ^= 1;
                prop_assert!(verify_consistency(m as u64, n as u64, &r1, &r2, &bad).is_err());
            }
        }

        #[test]
        fn the_compact_range_tracks_the_root_and_its_nodes(n in 0usize..130) {
            let all = leaves(n);
            let mut c = CompactRange::new();
            for (i, l) in all.iter().enumerate() {
                for (level, idx, hash) in c.append(*l) {
                    let start = (idx << level) as usize;
                    prop_assert!(start + (1usize << level) <= i + 1);
                    prop_assert_eq!(hash, root(&all[start..start + (1usize << level)]));
                }
            }
            prop_assert_eq!(c.root(), root(&all));
            let peaks: Vec<Hash> = CompactRange::peak_ids(n as u64).into_iter()
                .map(|(level, idx)| { let s = (idx << level) as usize; root(&all[s..s + (1usize << level)]) })
                .collect();
            let again = CompactRange::from_peaks(n as u64, &peaks).unwrap();
            prop_assert_eq!(again, c);
        }
    }
}
