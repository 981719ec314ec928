//! `pramana verify`: a document (or just its SHA-256) and its proof bundle, checked against the
//! chain through any JSON-RPC endpoint. Nothing here talks to the platform.

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use alloy::primitives::Address;
use alloy::providers::RootProvider;
use anyhow::Context as _;
use pramana_core::proof::{ProofBundle, Verification};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::Ctx;

/// SHA-256 of a file, streamed.
fn sha256_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finalize().into());
        }
        h.update(&buf[..n]);
    }
}

fn parse_sha256(s: &str) -> anyhow::Result<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim().trim_start_matches("0x"), &mut out).context("--sha256 must be 64 hex digits")?;
    Ok(out)
}

pub(crate) fn utc(ts: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(ts).unwrap_or(0), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// An RPC client for `rpc` (nothing is sent yet).
pub(crate) fn connect(rpc: &str) -> anyhow::Result<RootProvider> {
    Ok(RootProvider::new_http(rpc.parse().with_context(|| format!("--rpc {rpc:?} is not a URL"))?))
}

/// Checks `bundle` for a document whose SHA-256 is `digest` against the chain (the offline
/// checks, then the `trusted` contract by `eth_call`; a bundle naming another contract is not
/// verified). An error means the chain could not be asked.
pub(crate) async fn check_bundle(
    provider: &RootProvider,
    bundle: &ProofBundle,
    digest: &[u8; 32],
    trusted: Address,
) -> anyhow::Result<Verification> {
    bundle.verify_on_chain(provider, digest, trusted).await.context("asking the chain")
}

/// The machine-readable result of [`check_bundle`].
pub(crate) fn report(bundle: &ProofBundle, digest: &[u8; 32], v: &Verification) -> Value {
    json!({
        "verified": v.verified,
        "sha256": hex::encode(digest),
        "document_id": bundle.document_id,
        "root": pramana_core::hex0x(v.root),
        "leaf_index": bundle.merkle.leaf_index,
        "leaf_count": bundle.merkle.leaf_count,
        "chain_id": v.chain_id,
        "contract": v.contract,
        "bundle_contract": bundle.anchor.contract,
        "block_number": v.anchored_block,
        "block_timestamp": v.anchored_at,
        "anchored_at": if v.verified { Some(utc(v.anchored_at)) } else { None },
        "tx_hash": pramana_core::hex0x(bundle.anchor.tx_hash),
        "problems": v.problems,
        "notes": v.notes,
    })
}

/// The human-readable result of [`check_bundle`] for `subject`.
pub(crate) fn human(subject: &str, bundle: &ProofBundle, digest: &[u8; 32], v: &Verification) -> Vec<String> {
    let mut lines = Vec::new();
    if v.verified {
        lines.push(format!("VERIFIED  {subject}"));
        lines.push(format!("  sha256    {}", hex::encode(digest)));
        lines.push(format!(
            "  root      0x{} (leaf {} of {})",
            hex::encode(v.root),
            bundle.merkle.leaf_index,
            bundle.merkle.leaf_count
        ));
        lines.push(format!(
            "  anchored  block {} at {} (tx 0x{})",
            v.anchored_block,
            utc(v.anchored_at),
            hex::encode(bundle.anchor.tx_hash)
        ));
        lines.push(format!("  contract  {} on chain {}", v.contract, v.chain_id));
    } else {
        lines.push(format!("NOT VERIFIED  {subject}"));
        lines.extend(v.problems.iter().map(|p| format!("  - {p}")));
    }
    lines.extend(v.notes.iter().map(|n| format!("  note: {n}")));
    lines
}

/// Runs the check; exit 0 verified, 1 not verified (errors, exit 2, are returned).
pub async fn run(
    ctx: &Ctx,
    file: Option<&Path>,
    sha256: Option<&str>,
    proof: &Path,
    rpc: &str,
    contract: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(proof).with_context(|| format!("reading {}", proof.display()))?;
    let bundle = ProofBundle::from_json(&text).with_context(|| format!("{}", proof.display()))?;
    let digest = match (file, sha256) {
        (Some(f), _) => {
            let f = f.to_path_buf();
            tokio::task::spawn_blocking(move || sha256_file(&f)).await??
        }
        (None, Some(s)) => parse_sha256(s)?,
        (None, None) => anyhow::bail!("give the document, or --sha256"),
    };
    let provider = connect(rpc)?;
    let trusted = crate::trust::resolve(ctx, contract, &provider).await?;
    let v = check_bundle(&provider, &bundle, &digest, trusted.address).await?;

    let subject = file.map_or_else(|| format!("sha256 {}", hex::encode(digest)), |f| f.display().to_string());
    let mut out = report(&bundle, &digest, &v);
    out["document"] = json!(subject);
    out["trusted_contract"] = trusted.json();
    ctx.print(&out, || {
        let mut lines = human(&subject, &bundle, &digest, &v);
        lines.push(format!("  trusted   {}", trusted.describe()));
        lines.join("\n")
    });
    Ok(if v.verified { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
