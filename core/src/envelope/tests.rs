//! Envelope tests: round trips, tampering of every kind, recipients, and committed vectors.

use std::io::{Read, Write};

use super::*;
use crate::commitment::{commitment, leaf};
use crate::merkle::document_leaf;
use proptest::prelude::*;

/// A deterministic "random" generator for tests and vectors: SHA-256(seed ‖ block counter).
/// Never use outside tests.
pub(crate) struct TestRng {
    seed: [u8; 32],
    block: u64,
    buf: [u8; 32],
    used: usize,
}

impl TestRng {
    pub(crate) fn new(seed: u8) -> Self {
        Self { seed: [seed; 32], block: 0, buf: [0; 32], used: 32 }
    }
}

impl hpke::rand_core::TryRng for TestRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for byte in dst {
            if self.used == 32 {
                let mut h = Sha256::new();
                h.update(self.seed);
                h.update(self.block.to_be_bytes());
                self.buf = h.finalize().into();
                self.block += 1;
                self.used = 0;
            }
            *byte = self.buf[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

impl hpke::rand_core::TryCryptoRng for TestRng {}

const DOC: [u8; 16] = [7; 16];

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

fn ids(n: u8) -> Vec<Identity> {
    (0..n).map(|i| Identity::generate(&mut TestRng::new(100 + i))).collect()
}

fn seal_bytes(plain: &[u8], to: &[Identity], seed: u8) -> (Vec<u8>, SealOutput) {
    let recipients: Vec<Recipient> = to.iter().map(Identity::recipient).collect();
    let mut out = Vec::new();
    let info = seal(&DOC, &recipients, &mut TestRng::new(seed), plain, &mut out).unwrap();
    (out, info)
}

fn open_bytes(file: &[u8], id: &Identity) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    open(&DOC, id, file, &mut out)?;
    Ok(out)
}

#[test]
fn round_trips_at_chunk_edges() {
    let who = ids(2);
    for n in [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 5] {
        let plain = data(n);
        let (file, info) = seal_bytes(&plain, &who, 1);
        assert_eq!(info.plaintext_len, n as u64);
        assert_eq!(info.payload_len, payload_len(n as u64), "n = {n}");
        assert_eq!(plaintext_len(info.payload_len), Some(n as u64));
        assert_eq!(file.len(), info.header.len() + info.payload_len as usize);
        assert_eq!(info.plaintext_sha256, <[u8; 32]>::from(Sha256::digest(&plain)));
        assert_eq!(info.payload_sha256, <[u8; 32]>::from(Sha256::digest(&file[info.header.len()..])));
        assert_eq!(info.commitment, commitment(&info.salt, &info.plaintext_sha256));
        assert_eq!(info.leaf, leaf(&info.salt, &info.plaintext_sha256));
        assert_eq!(info.leaf, document_leaf(&info.salt, &info.plaintext_sha256));
        assert!(info.document_commitment().is_consistent());
        for id in &who {
            assert_eq!(open_bytes(&file, id).unwrap(), plain, "n = {n}");
        }
        let (parsed, len) = Header::parse(&file).unwrap();
        assert_eq!((parsed, len), (info.header.clone(), info.header.len()));
    }
}

#[test]
fn wrong_key_wrong_document_and_foreign_files_fail_opaquely() {
    let who = ids(2);
    let (file, _) = seal_bytes(&data(1000), &who[..1], 1);
    assert!(matches!(open_bytes(&file, &who[1]), Err(CryptoError::Decrypt)));
    let mut out = Vec::new();
    assert!(matches!(open(&[8; 16], &who[0], &file[..], &mut out), Err(CryptoError::Decrypt)));
    assert!(matches!(open_bytes(b"not an envelope at all", &who[0]), Err(CryptoError::Decrypt)));
}

#[test]
fn every_header_bit_is_authenticated() {
    let who = ids(2);
    let (file, info) = seal_bytes(&data(300), &who, 2);
    for byte in 0..info.header.len() {
        let mut bad = file.clone();
        bad[byte] ^= 1 << (byte % 8);
        assert!(open_bytes(&bad, &who[0]).is_err(), "flip in header byte {byte}");
    }
}

#[test]
fn truncation_at_every_chunk_boundary_is_detected() {
    let who = ids(1);
    let (file, info) = seal_bytes(&data(3 * CHUNK_SIZE + 10), &who, 3);
    let h = info.header.len();
    for k in 0..=3 {
        let cut = h + k * CHUNK_CT_SIZE;
        assert!(open_bytes(&file[..cut], &who[0]).is_err(), "cut after {k} chunks");
    }
    for cut in [h + 1, h + 15, h + 16, h + CHUNK_CT_SIZE + 1, file.len() - 1] {
        assert!(open_bytes(&file[..cut], &who[0]).is_err(), "cut at {cut}");
    }
    // A plaintext of exactly two chunks must not open as one.
    let (file, info) = seal_bytes(&data(2 * CHUNK_SIZE), &who, 3);
    assert!(open_bytes(&file[..info.header.len() + CHUNK_CT_SIZE], &who[0]).is_err());
}

#[test]
fn extension_and_reordering_are_detected() {
    let who = ids(1);
    let (file, info) = seal_bytes(&data(3 * CHUNK_SIZE), &who, 4);
    let mut longer = file.clone();
    longer.push(0);
    assert!(open_bytes(&longer, &who[0]).is_err());
    let mut extra_chunk = file.clone();
    extra_chunk.extend_from_slice(&file[info.header.len()..info.header.len() + CHUNK_CT_SIZE]);
    assert!(open_bytes(&extra_chunk, &who[0]).is_err());
    let h = info.header.len();
    let mut swapped = file.clone();
    swapped[h..h + CHUNK_CT_SIZE].copy_from_slice(&file[h + CHUNK_CT_SIZE..h + 2 * CHUNK_CT_SIZE]);
    swapped[h + CHUNK_CT_SIZE..h + 2 * CHUNK_CT_SIZE].copy_from_slice(&file[h..h + CHUNK_CT_SIZE]);
    assert!(open_bytes(&swapped, &who[0]).is_err());
}

#[test]
fn recipients_can_be_added_and_removed_by_a_key_holder() {
    let who = ids(3);
    let (file, info) = seal_bytes(&data(5000), &who[..1], 5);
    let payload = &file[info.header.len()..];
    let added = add_recipient(&info.header, &who[0], &who[1].recipient(), &mut TestRng::new(6)).unwrap();
    let with = [added.to_bytes(), payload.to_vec()].concat();
    assert_eq!(open_bytes(&with, &who[1]).unwrap(), data(5000));
    assert_eq!(open_bytes(&with, &who[0]).unwrap(), data(5000));
    assert!(open_bytes(&with, &who[2]).is_err());
    assert!(matches!(
        add_recipient(&added, &who[2], &who[2].recipient(), &mut TestRng::new(6)),
        Err(CryptoError::Decrypt)
    ));
    assert!(matches!(
        add_recipient(&added, &who[0], &who[1].recipient(), &mut TestRng::new(6)),
        Err(CryptoError::Recipients(_))
    ));

    // What the server accepts at grant time: the old header plus exactly that stanza.
    let k1 = who[1].recipient().key_id();
    assert!(added.only_adds(&info.header, &k1));
    assert!(!added.only_adds(&info.header, &who[2].recipient().key_id()), "another key");
    assert!(!info.header.only_adds(&info.header, &k1), "nothing added");
    let mut renonced = added.clone();
    renonced.nonce[0] ^= 1;
    assert!(!renonced.only_adds(&info.header, &k1), "key schedule changed");
    let mut dropped = added.clone();
    dropped.stanzas.remove(0);
    dropped.stanzas.push(added.stanzas[1].clone());
    assert!(!dropped.only_adds(&info.header, &k1), "an old stanza replaced");

    let removed = remove_recipient(&added, &who[0], &who[1].recipient().key_id()).unwrap();
    let without = [removed.to_bytes(), payload.to_vec()].concat();
    assert!(open_bytes(&without, &who[1]).is_err());
    assert_eq!(open_bytes(&without, &who[0]).unwrap(), data(5000));
    assert!(remove_recipient(&removed, &who[0], &who[0].recipient().key_id()).is_err(), "last stanza stays");
    // What the server accepts when the owner drops a recipient: exactly that stanza gone.
    assert!(removed.only_removes(&added, &k1));
    assert!(!removed.only_removes(&added, &who[0].recipient().key_id()), "another key");
    assert!(!added.only_removes(&added, &k1), "nothing removed");
    let mut renonced = removed;
    renonced.nonce[0] ^= 1;
    assert!(!renonced.only_removes(&added, &k1), "key schedule changed");

    // Stripping a stanza without the data key breaks the MAC for everyone else.
    let mut stripped = added;
    stripped.stanzas.remove(1);
    let file = [stripped.to_bytes(), payload.to_vec()].concat();
    assert!(open_bytes(&file, &who[0]).is_err());
}

#[test]
fn recipient_lists_are_checked() {
    let who = ids(1);
    let r = who[0].recipient();
    let mut out = Vec::new();
    assert!(matches!(seal(&DOC, &[], &mut TestRng::new(1), &b""[..], &mut out), Err(CryptoError::Recipients(_))));
    assert!(matches!(seal(&DOC, &[r, r], &mut TestRng::new(1), &b""[..], &mut out), Err(CryptoError::Recipients(_))));
    assert!(seal(&DOC, &[Recipient([0; 32])], &mut TestRng::new(1), &b""[..], &mut out).is_err(), "low-order key");
}

#[test]
fn malformed_headers_are_named() {
    let who = ids(1);
    let (file, _) = seal_bytes(b"x", &who, 1);
    assert!(matches!(Header::parse(&file[..10]), Err(CryptoError::Malformed(_))));
    let mut bad = file.clone();
    bad[0] = b'X';
    assert!(matches!(Header::parse(&bad), Err(CryptoError::Malformed("not a Pramana envelope"))));
    let mut bad = file;
    bad[44] = 0;
    bad[45] = 0;
    assert!(matches!(Header::parse(&bad), Err(CryptoError::Malformed("stanza count out of range"))));
}

#[test]
fn identities_round_trip_through_their_secret() {
    let id = Identity::generate(&mut TestRng::new(9));
    let back = Identity::from_secret_bytes(&id.secret_bytes()).unwrap();
    assert_eq!(back.recipient(), id.recipient());
}

#[test]
fn every_bit_of_a_small_envelope_is_authenticated() {
    let who = ids(1);
    let (file, _) = seal_bytes(&data(100), &who, 13);
    for byte in 0..file.len() {
        for bit in 0..8 {
            let mut bad = file.clone();
            bad[byte] ^= 1 << bit;
            assert!(matches!(open_bytes(&bad, &who[0]), Err(CryptoError::Decrypt)), "flip {byte}.{bit}");
        }
    }
}

#[test]
fn truncation_anywhere_in_a_small_envelope_is_detected() {
    let who = ids(1);
    for n in [0, 1, 100] {
        let (file, _) = seal_bytes(&data(n), &who, 14);
        for cut in 0..file.len() {
            assert!(open_bytes(&file[..cut], &who[0]).is_err(), "n = {n}, cut = {cut}");
        }
    }
}

#[test]
fn duplicated_or_dropped_chunks_are_detected() {
    let who = ids(1);
    let (file, info) = seal_bytes(&data(3 * CHUNK_SIZE + 9), &who, 15);
    let h = info.header.len();
    let chunk = |i: usize| &file[h + i * CHUNK_CT_SIZE..(h + (i + 1) * CHUNK_CT_SIZE).min(file.len())];
    let dropped = [&file[..h], chunk(0), chunk(2), chunk(3)].concat();
    assert!(open_bytes(&dropped, &who[0]).is_err());
    let repeated = [&file[..h], chunk(0), chunk(0), chunk(1), chunk(2), chunk(3)].concat();
    assert!(open_bytes(&repeated, &who[0]).is_err());
    let final_moved = [&file[..h], chunk(3), chunk(1), chunk(2), chunk(0)].concat();
    assert!(open_bytes(&final_moved, &who[0]).is_err());
}

#[test]
fn a_payload_under_another_header_does_not_open() {
    let who = ids(1);
    let (a, ia) = seal_bytes(&data(5000), &who, 16);
    let (b, ib) = seal_bytes(&data(5000), &who, 17);
    let spliced = [&a[..ia.header.len()], &b[ib.header.len()..]].concat();
    assert!(open_bytes(&spliced, &who[0]).is_err());
}

#[test]
fn sealer_writes_what_seal_writes() {
    let who = ids(2);
    let recipients: Vec<Recipient> = who.iter().map(Identity::recipient).collect();
    for n in [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 77] {
        let plain = data(n);
        let (expected, info) = seal_bytes(&plain, &who, 20);
        let mut out = Vec::new();
        let mut sealer = Sealer::new(&DOC, &recipients, &mut TestRng::new(20), &mut out).unwrap();
        assert_eq!(sealer.header(), &info.header);
        for piece in plain.chunks(1000) {
            sealer.write_all(piece).unwrap();
        }
        assert_eq!(sealer.finish().unwrap(), info, "n = {n}");
        assert_eq!(out, expected, "n = {n}");
    }
}

#[test]
fn opener_reads_header_and_payload_apart() {
    let who = ids(2);
    let plain = data(CHUNK_SIZE + 10);
    let (file, info) = seal_bytes(&plain, &who, 21);
    let (header, len) = Header::parse(&file).unwrap();
    let mut opener = Opener::with_header(&DOC, header.clone(), &who[1], &file[len..]).unwrap();
    assert_eq!(opener.header(), &info.header);
    let mut out = Vec::new();
    opener.read_to_end(&mut out).unwrap();
    assert_eq!(out, plain);
    assert_eq!(
        opener.finish().unwrap(),
        OpenOutput { plaintext_len: plain.len() as u64, plaintext_sha256: info.plaintext_sha256 }
    );
    assert!(matches!(Opener::with_header(&[9; 16], header, &who[0], &file[len..]), Err(CryptoError::Decrypt)));
}

#[test]
fn opener_finish_authenticates_the_unread_rest() {
    let who = ids(1);
    let plain = data(3 * CHUNK_SIZE);
    let (file, info) = seal_bytes(&plain, &who, 22);
    let mut opener = Opener::new(&DOC, &who[0], &file[..]).unwrap();
    let mut first = [0u8; 10];
    opener.read_exact(&mut first).unwrap();
    assert_eq!(first[..], plain[..10]);
    assert_eq!(opener.finish().unwrap().plaintext_sha256, info.plaintext_sha256);

    let mut bad = file.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let mut opener = Opener::new(&DOC, &who[0], &bad[..]).unwrap();
    opener.read_exact(&mut first).unwrap();
    assert!(matches!(opener.finish(), Err(CryptoError::Decrypt)));
}

#[test]
fn opener_stays_failed_after_an_error() {
    let who = ids(1);
    let (mut bad, info) = seal_bytes(&data(2 * CHUNK_SIZE + 1), &who, 23);
    bad[info.header.len() + 5] ^= 1;
    let mut opener = Opener::new(&DOC, &who[0], &bad[..]).unwrap();
    let mut buf = vec![0u8; 4096];
    let err = opener.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(matches!(err.get_ref().and_then(|e| e.downcast_ref::<CryptoError>()), Some(CryptoError::Decrypt)));
    assert!(opener.read(&mut buf).is_err(), "no plaintext after a failure");
    assert!(matches!(opener.next_chunk(), Err(CryptoError::Decrypt)));
}

#[test]
fn a_failed_write_poisons_the_sealer() {
    struct FailAfter(usize);
    impl Write for FailAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 < buf.len() {
                return Err(std::io::Error::other("disk full"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let who = ids(1);
    let mut sealer = Sealer::new(&DOC, &[who[0].recipient()], &mut TestRng::new(1), FailAfter(1000)).unwrap();
    assert!(sealer.write_all(&data(2 * CHUNK_SIZE)).is_err());
    assert!(sealer.write(b"more").is_err());
    assert!(matches!(sealer.finish(), Err(CryptoError::Io(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sealer_and_opener_stream_in_any_pieces(
        n in 0usize..(3 * CHUNK_SIZE + 100),
        write_size in 1usize..(CHUNK_SIZE + 300),
        read_size in 1usize..(CHUNK_SIZE + 300),
    ) {
        let who = ids(1);
        let plain = data(n);
        let (expected, _) = seal_bytes(&plain, &who, 30);
        let mut file = Vec::new();
        let mut sealer = Sealer::new(&DOC, &[who[0].recipient()], &mut TestRng::new(30), &mut file).unwrap();
        for piece in plain.chunks(write_size) {
            sealer.write_all(piece).unwrap();
        }
        let info = sealer.finish().unwrap();
        prop_assert_eq!(&file, &expected);
        let mut opener = Opener::new(&DOC, &who[0], &file[..]).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0u8; read_size];
        loop {
            let k = opener.read(&mut buf).unwrap();
            if k == 0 {
                break;
            }
            out.extend_from_slice(&buf[..k]);
        }
        prop_assert_eq!(&out, &plain);
        prop_assert_eq!(opener.finish().unwrap().plaintext_sha256, info.plaintext_sha256);
    }

    #[test]
    fn swapping_any_two_chunks_is_rejected(i in 0usize..4, j in 0usize..4) {
        prop_assume!(i != j);
        let who = ids(1);
        let (file, info) = seal_bytes(&data(4 * CHUNK_SIZE), &who, 31);
        let h = info.header.len();
        let mut bad = file.clone();
        bad[h + i * CHUNK_CT_SIZE..h + (i + 1) * CHUNK_CT_SIZE]
            .copy_from_slice(&file[h + j * CHUNK_CT_SIZE..h + (j + 1) * CHUNK_CT_SIZE]);
        bad[h + j * CHUNK_CT_SIZE..h + (j + 1) * CHUNK_CT_SIZE]
            .copy_from_slice(&file[h + i * CHUNK_CT_SIZE..h + (i + 1) * CHUNK_CT_SIZE]);
        prop_assert!(open_bytes(&bad, &who[0]).is_err());
    }

    #[test]
    fn appending_anything_is_rejected(n in 0usize..(2 * CHUNK_SIZE + 10), extra in prop::collection::vec(any::<u8>(), 1..64)) {
        let who = ids(1);
        let (mut file, _) = seal_bytes(&data(n), &who, 32);
        file.extend_from_slice(&extra);
        prop_assert!(matches!(open_bytes(&file, &who[0]), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn round_trip_any_size(n in 0usize..(3 * CHUNK_SIZE + 100), seed in any::<u8>()) {
        let who = ids(1);
        let plain = data(n);
        let (file, _) = seal_bytes(&plain, &who, seed);
        prop_assert_eq!(open_bytes(&file, &who[0]).unwrap(), plain);
    }

    #[test]
    fn any_single_bit_flip_is_rejected(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let who = ids(1);
        let (file, _) = seal_bytes(&data(CHUNK_SIZE + 700), &who, 11);
        let mut bad = file;
        let i = pos.index(bad.len());
        bad[i] ^= 1 << bit;
        prop_assert!(matches!(open_bytes(&bad, &who[0]), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn truncation_anywhere_is_rejected(pos in any::<prop::sample::Index>()) {
        let who = ids(1);
        let (file, _) = seal_bytes(&data(2 * CHUNK_SIZE + 3), &who, 12);
        let cut = pos.index(file.len());
        prop_assert!(matches!(open_bytes(&file[..cut], &who[0]), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn header_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400), pos in any::<prop::sample::Index>(), val in any::<u8>()) {
        // Arbitrary bytes, and a real header with one byte replaced: parsing returns a header or
        // `Malformed`, never panics, and never reads past what it reports.
        prop_assert!(matches!(Header::parse(&bytes), Ok(_) | Err(CryptoError::Malformed(_))));
        let who = ids(2);
        let (file, info) = seal_bytes(b"x", &who, 33);
        let mut bad = file[..info.header.len()].to_vec();
        let i = pos.index(bad.len());
        bad[i] = val;
        match Header::parse(&bad) {
            Ok((h, len)) => prop_assert_eq!(len, h.len()),
            Err(e) => prop_assert!(matches!(e, CryptoError::Malformed(_))),
        }
    }

    #[test]
    fn framing_arithmetic_agrees(n in 0u64..(1 << 40)) {
        prop_assert_eq!(plaintext_len(payload_len(n)), Some(n));
    }
}

/// Fixed keys and randomness → exact bytes, in `core/testdata/envelope-vectors.json`, so another
/// implementation can check itself. `PRAMANA_WRITE_VECTORS=1` rewrites the file.
#[test]
fn committed_vectors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/envelope-vectors.json");
    let mut cases = Vec::new();
    for (i, n) in [0usize, 5, 100, CHUNK_SIZE, CHUNK_SIZE + 1].into_iter().enumerate() {
        let seed = 40 + i as u8;
        let who = ids(2);
        let plain = data(n);
        let (file, info) = seal_bytes(&plain, &who, seed);
        let payload = &file[info.header.len()..];
        cases.push(serde_json::json!({
            "plaintext": format!("{n} bytes: byte i is i mod 251"),
            "plaintext_len": n,
            "document_id": hex::encode(DOC),
            "recipient_secret_keys": who.iter().map(|w| hex::encode(w.secret_bytes())).collect::<Vec<_>>(),
            "recipient_public_keys": who.iter().map(|w| hex::encode(w.recipient().0)).collect::<Vec<_>>(),
            "rng": format!("SHA-256 counter stream: block k = SHA-256([{seed}; 32] || k as u64 big-endian); draws in order: data key 32, nonce 16, salt 32, then each recipient's HPKE ephemeral key"),
            "header": hex::encode(info.header.to_bytes()),
            "payload": if payload.len() <= 2048 { serde_json::Value::String(hex::encode(payload)) } else { serde_json::Value::Null },
            "payload_sha256": hex::encode(info.payload_sha256),
            "plaintext_sha256": hex::encode(info.plaintext_sha256),
            "salt": hex::encode(info.salt),
            "commitment": hex::encode(info.commitment),
            "leaf": hex::encode(info.leaf),
        }));
    }
    let doc = serde_json::to_string_pretty(&serde_json::json!({
        "what": "Pramana envelope v1 test vectors (docs/envelope.md); payload is omitted above 2 KiB, check payload_sha256",
        "cases": cases,
    }))
    .unwrap()
        + "\n";
    if std::env::var_os("PRAMANA_WRITE_VECTORS").is_some() {
        std::fs::write(path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(path).expect("vectors file (PRAMANA_WRITE_VECTORS=1 writes it)");
    if committed != doc {
        // Name the first field that differs rather than printing two large documents.
        let (old, new): (serde_json::Value, serde_json::Value) =
            (serde_json::from_str(&committed).expect("vectors file is JSON"), serde_json::from_str(&doc).unwrap());
        for (i, (o, n)) in old["cases"].as_array().unwrap().iter().zip(new["cases"].as_array().unwrap()).enumerate() {
            for (key, value) in n.as_object().unwrap() {
                assert_eq!(o.get(key), Some(value), "vector case {i}, field {key:?} changed: the format is frozen");
            }
        }
        panic!("envelope vectors changed (number of cases or fields): the format is frozen; see docs/envelope.md");
    }
}

/// Opens the committed vectors with the keys they list, as a second implementation would.
#[test]
fn committed_vectors_open_with_their_keys() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/envelope-vectors.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let hex32 = |v: &serde_json::Value| -> [u8; 32] { hex::decode(v.as_str().unwrap()).unwrap().try_into().unwrap() };
    let mut opened = 0;
    for case in doc["cases"].as_array().unwrap() {
        let n = case["plaintext_len"].as_u64().unwrap() as usize;
        let doc_id: [u8; 16] = hex::decode(case["document_id"].as_str().unwrap()).unwrap().try_into().unwrap();
        let header = hex::decode(case["header"].as_str().unwrap()).unwrap();
        let (parsed, len) = Header::parse(&header).unwrap();
        assert_eq!(len, header.len());
        assert_eq!(parsed.stanzas.len(), 2);
        let salt = hex32(&case["salt"]);
        let sha = hex32(&case["plaintext_sha256"]);
        assert_eq!(sha, <[u8; 32]>::from(Sha256::digest(data(n))));
        assert_eq!(hex32(&case["commitment"]), commitment(&salt, &sha));
        assert_eq!(hex32(&case["leaf"]), leaf(&salt, &sha));
        let Some(payload) = case["payload"].as_str() else { continue };
        let payload = hex::decode(payload).unwrap();
        assert_eq!(hex32(&case["payload_sha256"]), <[u8; 32]>::from(Sha256::digest(&payload)));
        for secret in case["recipient_secret_keys"].as_array().unwrap() {
            let id = Identity::from_secret_bytes(&hex32(secret)).unwrap();
            let mut out = Vec::new();
            let info = open(&doc_id, &id, &[header.as_slice(), &payload].concat()[..], &mut out).unwrap();
            assert_eq!(out, data(n));
            assert_eq!(info.plaintext_sha256, sha);
            opened += 1;
        }
    }
    assert_eq!(opened, 6, "three small cases, two recipients each");
}

#[test]
fn verify_header_checks_the_mac_for_a_key_holder() {
    let who = ids(2);
    let (file, _) = seal_bytes(b"x", &who, 1);
    let (header, _) = Header::parse(&file).unwrap();
    assert!(verify_header(&header, &who[0]).is_ok());
    assert!(verify_header(&header, &who[1]).is_ok());
    // A flipped MAC byte keeps the structure valid (what the server checks) but fails here.
    let mut broken = header.clone();
    broken.mac[0] ^= 1;
    assert!(Header::parse(&broken.to_bytes()).is_ok());
    assert!(matches!(verify_header(&broken, &who[0]), Err(CryptoError::Decrypt)));
    // No stanza for the key: the same opaque error.
    let stranger = ids(3).pop().unwrap();
    assert!(matches!(verify_header(&header, &stranger), Err(CryptoError::Decrypt)));
}
