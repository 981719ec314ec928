//! Envelope throughput on one thread, next to the raw primitives measured in the same run:
//! `cargo bench -p pramana-core --bench envelope` (16 MiB in memory, output to a sink).
//!
//! - `raw_sha256`: sha2's SHA-256 of the whole buffer;
//! - `raw_aes256gcm_64k`: aes-gcm's AES-256-GCM over the buffer in 64 KiB chunks, in place;
//! - `raw_floor_aes_2sha`: the same chunk loop doing what sealing must do (AES-256-GCM plus
//!   SHA-256 of the plaintext and of the ciphertext), the floor for `seal` on one core;
//! - `seal`, `sealer_write_8k`, `open`, `opener_read_8k`: the envelope API (one recipient).

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::time::Duration;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pramana_core::envelope::{CHUNK_SIZE, Identity, Opener, Sealer, open, os_rng, seal};
use sha2::{Digest, Sha256};

const SIZE: usize = 16 << 20;
const DOC: [u8; 16] = [1; 16];

fn chunk_nonce(i: usize) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&(i as u64).to_be_bytes());
    n.into()
}

fn envelope(c: &mut Criterion) {
    let plain: Vec<u8> = (0..SIZE).map(|i| (i * 31 % 251) as u8).collect();
    let id = Identity::generate(&mut os_rng());
    let recipients = [id.recipient()];
    let mut sealed = Vec::new();
    seal(&DOC, &recipients, &mut os_rng(), &plain[..], &mut sealed).expect("seal");

    let mut g = c.benchmark_group("envelope_16MiB");
    g.throughput(Throughput::Bytes(SIZE as u64))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(7));

    g.bench_function("raw_sha256", |b| b.iter(|| black_box(Sha256::digest(black_box(&plain)))));

    let cipher = Aes256Gcm::new(&[7u8; 32].into());
    let mut buf = plain.clone();
    g.bench_function("raw_aes256gcm_64k", |b| {
        b.iter(|| {
            for (i, chunk) in buf.chunks_mut(CHUNK_SIZE).enumerate() {
                black_box(cipher.encrypt_inout_detached(&chunk_nonce(i), &[], chunk.into()).expect("encrypt"));
            }
        });
    });

    g.bench_function("raw_floor_aes_2sha", |b| {
        b.iter(|| {
            let (mut pt, mut ct) = (Sha256::new(), Sha256::new());
            for (i, chunk) in buf.chunks_mut(CHUNK_SIZE).enumerate() {
                pt.update(&*chunk);
                let tag = cipher.encrypt_inout_detached(&chunk_nonce(i), &[], (&mut *chunk).into()).expect("encrypt");
                ct.update(&*chunk);
                ct.update(tag);
            }
            black_box((pt.finalize(), ct.finalize()))
        });
    });

    g.bench_function("seal", |b| {
        b.iter(|| black_box(seal(&DOC, &recipients, &mut os_rng(), &plain[..], io::sink()).expect("seal")));
    });

    g.bench_function("sealer_write_8k", |b| {
        b.iter(|| {
            let mut sealer = Sealer::new(&DOC, &recipients, &mut os_rng(), io::sink()).expect("sealer");
            for piece in plain.chunks(8 << 10) {
                sealer.write_all(piece).expect("write");
            }
            black_box(sealer.finish().expect("finish"))
        });
    });

    g.bench_function("open", |b| b.iter(|| black_box(open(&DOC, &id, &sealed[..], io::sink()).expect("open"))));

    let mut piece = vec![0u8; 8 << 10];
    g.bench_function("opener_read_8k", |b| {
        b.iter(|| {
            let mut opener = Opener::new(&DOC, &id, &sealed[..]).expect("opener");
            while opener.read(&mut piece).expect("read") > 0 {}
            black_box(opener.finish().expect("finish"))
        });
    });
    g.finish();
}

criterion_group!(benches, envelope);
criterion_main!(benches);
