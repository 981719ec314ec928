//! IPFS content ids computed locally, exactly as Kubo's `ipfs add` does with its defaults
//! (CIDv0, dag-pb, UnixFS, fixed 262,144-byte chunks, balanced layout with at most 174 links per
//! node, no raw leaves), so the IPFS storage backend can require the node's CID to equal ours.
//! Streaming: constant memory apart from one chunk and the open nodes' links.

use sha2::{Digest, Sha256};

/// Kubo's default chunk size.
pub const CHUNK_SIZE: usize = 262_144;
/// Kubo's default maximum number of links per node in the balanced layout.
pub const MAX_LINKS: usize = 174;

/// A link to a finished node: its multihash, its cumulative size in blocks, and the file bytes
/// beneath it.
#[derive(Debug, Clone)]
struct Link {
    hash: [u8; 32],
    tsize: u64,
    file_size: u64,
}

/// Computes a file's CIDv0 from bytes written in any pieces.
#[derive(Debug)]
pub struct CidBuilder {
    chunk: Vec<u8>,
    /// `levels[0]` collects leaves; `levels[k]` collects nodes of height `k`.
    levels: Vec<Vec<Link>>,
    n_leaves: u64,
}

impl Default for CidBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl CidBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self { chunk: Vec::with_capacity(CHUNK_SIZE), levels: vec![Vec::new()], n_leaves: 0 }
    }

    /// Feeds more file bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (CHUNK_SIZE - self.chunk.len()).min(data.len());
            self.chunk.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.chunk.len() == CHUNK_SIZE {
                self.flush_leaf();
            }
        }
    }

    fn flush_leaf(&mut self) {
        let block = leaf_block(&self.chunk);
        let link =
            Link { hash: Sha256::digest(&block).into(), tsize: block.len() as u64, file_size: self.chunk.len() as u64 };
        self.chunk.clear();
        self.n_leaves += 1;
        self.push(0, link);
    }

    /// Adds a link at `level`; a full level becomes a node one level up.
    fn push(&mut self, level: usize, link: Link) {
        if self.levels.len() == level {
            self.levels.push(Vec::new());
        }
        self.levels[level].push(link);
        if self.levels[level].len() == MAX_LINKS {
            let links = std::mem::take(&mut self.levels[level]);
            let node = internal_node(&links);
            self.push(level + 1, node);
        }
    }

    /// The CIDv0 (`Qm…`) of everything written.
    pub fn finish(mut self) -> String {
        if !self.chunk.is_empty() || self.n_leaves == 0 {
            self.flush_leaf();
        }
        // Close the open nodes from the bottom up. A level left holding one link with nothing
        // above it is the root itself.
        let mut level = 0;
        loop {
            let top = self.levels.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
            if level == top && self.levels[level].len() == 1 {
                let root = &self.levels[level][0];
                return cid_v0(&root.hash);
            }
            let links = std::mem::take(&mut self.levels[level]);
            if !links.is_empty() {
                let node = internal_node(&links);
                if self.levels.len() == level + 1 {
                    self.levels.push(Vec::new());
                }
                self.levels[level + 1].push(node);
            }
            level += 1;
        }
    }
}

/// The CIDv0 of `data`.
pub fn cid_v0_of(data: &[u8]) -> String {
    let mut b = CidBuilder::new();
    b.update(data);
    b.finish()
}

/// A dag-pb leaf: `PBNode { Data: UnixFS { Type: File, Data: chunk, filesize } }`.
fn leaf_block(chunk: &[u8]) -> Vec<u8> {
    let mut unixfs = Vec::with_capacity(chunk.len() + 16);
    put_varint_field(&mut unixfs, 1, 2); // Type = File
    if !chunk.is_empty() {
        put_bytes_field(&mut unixfs, 2, chunk);
    }
    put_varint_field(&mut unixfs, 3, chunk.len() as u64);
    let mut node = Vec::with_capacity(unixfs.len() + 8);
    put_bytes_field(&mut node, 1, &unixfs);
    node
}

/// A dag-pb interior node over `links`, returned as the link that points at it.
fn internal_node(links: &[Link]) -> Link {
    let file_size: u64 = links.iter().map(|l| l.file_size).sum();
    let mut unixfs = Vec::new();
    put_varint_field(&mut unixfs, 1, 2); // Type = File
    put_varint_field(&mut unixfs, 3, file_size);
    for l in links {
        put_varint_field(&mut unixfs, 4, l.file_size); // blocksizes
    }
    // dag-pb writes Links (field 2) before Data (field 1).
    let mut node = Vec::new();
    for l in links {
        let mut pb_link = Vec::with_capacity(48);
        let mut multihash = Vec::with_capacity(34);
        multihash.extend_from_slice(&[0x12, 0x20]);
        multihash.extend_from_slice(&l.hash);
        put_bytes_field(&mut pb_link, 1, &multihash);
        put_bytes_field(&mut pb_link, 2, b""); // Name
        put_varint_field(&mut pb_link, 3, l.tsize);
        put_bytes_field(&mut node, 2, &pb_link);
    }
    put_bytes_field(&mut node, 1, &unixfs);
    let tsize = node.len() as u64 + links.iter().map(|l| l.tsize).sum::<u64>();
    Link { hash: Sha256::digest(&node).into(), tsize, file_size }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_varint_field(out: &mut Vec<u8>, field: u64, v: u64) {
    put_varint(out, field << 3);
    put_varint(out, v);
}

fn put_bytes_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, (field << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// `base58btc(0x12 0x20 ‖ sha256)`.
fn cid_v0(hash: &[u8; 32]) -> String {
    let mut multihash = [0u8; 34];
    multihash[0] = 0x12;
    multihash[1] = 0x20;
    multihash[2..].copy_from_slice(hash);
    base58(&multihash)
}

fn base58(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in &mut digits {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    let mut out = String::with_capacity(zeros + digits.len());
    out.extend(std::iter::repeat_n('1', zeros));
    out.extend(digits.iter().rev().map(|&d| ALPHABET[d as usize] as char));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator named in the vector file: sha256("pramana:" + i) for i = 0, 1, 2, …
    fn generated(n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 32);
        let mut i = 0u64;
        while out.len() < n {
            out.extend_from_slice(&Sha256::digest(format!("pramana:{i}").as_bytes()));
            i += 1;
        }
        out.truncate(n);
        out
    }

    #[test]
    fn matches_kubo_vectors() {
        let text = include_str!("../testdata/kubo-cids.json");
        let vectors: serde_json::Value = serde_json::from_str(text).unwrap();
        for case in vectors["cases"].as_array().unwrap() {
            let size = case["size"].as_u64().unwrap() as usize;
            let data = if case["content"].as_str().unwrap().contains("hello world") {
                b"hello world".to_vec()
            } else {
                generated(size)
            };
            assert_eq!(data.len(), size);
            assert_eq!(hex::encode(Sha256::digest(&data)), case["sha256"].as_str().unwrap(), "generator, size {size}");
            assert_eq!(cid_v0_of(&data), case["cid"].as_str().unwrap(), "size {size}");
            // Streaming in odd pieces gives the same answer.
            let mut b = CidBuilder::new();
            for piece in data.chunks(100_003) {
                b.update(piece);
            }
            assert_eq!(b.finish(), case["cid"].as_str().unwrap(), "streamed, size {size}");
        }
    }

    #[test]
    fn deep_trees_close_every_level() {
        // 174 leaves make one full node; one more byte forces a second level.
        let full = MAX_LINKS * CHUNK_SIZE;
        let a = cid_v0_of(&vec![7u8; full]);
        let b = cid_v0_of(&vec![7u8; full + 1]);
        assert_ne!(a, b);
        assert!(a.starts_with("Qm") && b.starts_with("Qm"));
    }

    #[test]
    fn base58_known_values() {
        assert_eq!(base58(b"hello world"), "StV1DL6CwTryKyV");
        assert_eq!(base58(&[0, 0, 1]), "112");
    }
}
