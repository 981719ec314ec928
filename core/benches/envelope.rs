//! Envelope throughput on one thread, next to the raw primitives measured in the same run:
//! `cargo bench -p pramana-core --bench envelope` (median of 7 runs over 64 MiB).

use std::hint::black_box;
use std::time::{Duration, Instant};

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use pramana_core::envelope::{CHUNK_SIZE, Identity, open, os_rng, seal};
use sha2::{Digest, Sha256};

const SIZE: usize = 64 << 20;
const RUNS: usize = 7;

fn median(mut f: impl FnMut()) -> Duration {
    f(); // warm up
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn report(name: &str, d: Duration) -> f64 {
    let gbs = SIZE as f64 / d.as_secs_f64() / 1e9;
    println!("{name:<34} {gbs:>6.2} GB/s   ({:.1} ms per 64 MiB)", d.as_secs_f64() * 1e3);
    gbs
}

fn main() {
    let plain: Vec<u8> = (0..SIZE).map(|i| (i * 31 % 251) as u8).collect();
    let mut rng = os_rng();
    let id = Identity::generate(&mut rng);
    let doc = [1u8; 16];

    let sha = report(
        "raw SHA-256 (sha2)",
        median(|| {
            black_box(Sha256::digest(black_box(&plain)));
        }),
    );

    let cipher = Aes256Gcm::new(&[7u8; 32].into());
    let mut buf = plain.clone();
    let aes = report(
        "raw AES-256-GCM, 64 KiB chunks",
        median(|| {
            for (i, chunk) in buf.chunks_mut(CHUNK_SIZE).enumerate() {
                let mut n = [0u8; 12];
                n[..8].copy_from_slice(&(i as u64).to_be_bytes());
                let nonce: Nonce<aes_gcm::aead::consts::U12> = n.into();
                black_box(cipher.encrypt_inout_detached(&nonce, &[], chunk.into()).expect("encrypt"));
            }
        }),
    );

    let mut sealed = Vec::with_capacity(SIZE + SIZE / 1000 + 4096);
    let seal_gbs = report(
        "seal (AES-GCM + 2 × SHA-256)",
        median(|| {
            sealed.clear();
            black_box(seal(&doc, &[id.recipient()], &mut os_rng(), &plain[..], &mut sealed).expect("seal"));
        }),
    );
    let mut opened = Vec::with_capacity(SIZE);
    let open_gbs = report(
        "open (AES-GCM + SHA-256)",
        median(|| {
            opened.clear();
            black_box(open(&doc, &id, &sealed[..], &mut opened).expect("open"));
        }),
    );
    let slower = sha.min(aes);
    println!();
    println!("seal / slower primitive = {:.2}   open / slower primitive = {:.2}", seal_gbs / slower, open_gbs / slower);
}
