//! The contract a verifier checks against: one it trusts, never the one the evidence names.
//! `--contract` (or `PRAMANA_CONTRACT`) names it for one run; otherwise it comes from this
//! machine's trust list (`trust.json` in `PRAMANA_HOME`, one ConsentRegistry per chain, kept with
//! `pramana trust add | list | remove`), looked up by the chain id the RPC endpoint reports.

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use alloy::providers::{Provider as _, RootProvider};
use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Ctx;
use crate::ctx::write_private;

/// The trust list's file.
#[derive(Debug, Default, Serialize, Deserialize)]
struct TrustFile {
    /// Format version (1).
    version: u32,
    /// At most one contract per chain.
    contracts: Vec<TrustedEntry>,
}

/// One trusted deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TrustedEntry {
    chain_id: u64,
    /// EIP-55.
    address: String,
    added_at: DateTime<Utc>,
}

impl TrustedEntry {
    fn json(&self) -> Value {
        json!({"chain_id": self.chain_id, "address": self.address, "added_at": self.added_at})
    }
}

fn path(ctx: &Ctx) -> PathBuf {
    ctx.home.join("trust.json")
}

fn load(path: &Path) -> anyhow::Result<TrustFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TrustFile { version: 1, contracts: vec![] }),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let file: TrustFile = serde_json::from_str(&text).with_context(|| format!("{} is not readable", path.display()))?;
    if file.version != 1 {
        bail!("{}: unsupported trust list version {}", path.display(), file.version);
    }
    Ok(file)
}

fn save(path: &Path, file: &TrustFile) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_private(path, serde_json::to_string_pretty(file)?.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn parse_address(what: &str, raw: &str) -> anyhow::Result<Address> {
    raw.trim().parse().with_context(|| format!("{what} {raw:?} is not an address"))
}

/// The chain id and address of an operator's published deployment record
/// (`deployments/<chain id>.json`, as `scripts/deploy.sh` writes it).
fn read_deployment(file: &Path) -> anyhow::Result<(u64, Address)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let record: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let chain_id = record["chain_id"].as_u64().with_context(|| format!("{} has no chain_id", file.display()))?;
    let address = record["address"].as_str().with_context(|| format!("{} has no address", file.display()))?;
    Ok((chain_id, parse_address(&format!("{}: address", file.display()), address)?))
}

/// `pramana trust add`: trusts `address` on `chain_id`, or the deployment record `deployment`.
pub fn add(ctx: &Ctx, address: Option<&str>, chain_id: Option<u64>, deployment: Option<&Path>) -> anyhow::Result<()> {
    let (chain_id, address) = match (deployment, address, chain_id) {
        (Some(file), _, _) => read_deployment(file)?,
        (None, Some(a), Some(id)) => (id, parse_address("the address", a)?),
        _ => bail!("give --chain-id N ADDRESS, or --deployment FILE"),
    };
    if chain_id == 0 {
        bail!("--chain-id must be positive");
    }
    let path = path(ctx);
    let mut file = load(&path)?;
    let address = address.to_checksum(None);
    if let Some(existing) = file.contracts.iter().find(|e| e.chain_id == chain_id) {
        if existing.address == address {
            ctx.print(&json!({"trusted": existing.json(), "added": false}), || {
                format!("already trusted: {address} on chain {chain_id}")
            });
            return Ok(());
        }
        bail!(
            "chain {chain_id} already trusts {}; remove it first (pramana trust remove --chain-id {chain_id})",
            existing.address
        );
    }
    let entry = TrustedEntry { chain_id, address: address.clone(), added_at: Utc::now() };
    file.contracts.push(entry.clone());
    file.contracts.sort_by_key(|e| e.chain_id);
    save(&path, &file)?;
    ctx.print(&json!({"trusted": entry.json(), "added": true}), || {
        format!("trusting {address} on chain {chain_id} (in {})", path.display())
    });
    Ok(())
}

/// `pramana trust list`.
pub fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let file = load(&path(ctx))?;
    let v = json!({"contracts": file.contracts.iter().map(TrustedEntry::json).collect::<Vec<_>>()});
    ctx.print(&v, || {
        if file.contracts.is_empty() {
            return "no trusted contracts (add one: pramana trust add --chain-id N ADDRESS)".to_owned();
        }
        file.contracts
            .iter()
            .map(|e| format!("chain {:<10} {}  added {}", e.chain_id, e.address, e.added_at.format("%Y-%m-%d")))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

/// `pramana trust remove --chain-id N`.
pub fn remove(ctx: &Ctx, chain_id: u64) -> anyhow::Result<()> {
    let path = path(ctx);
    let mut file = load(&path)?;
    let Some(i) = file.contracts.iter().position(|e| e.chain_id == chain_id) else {
        bail!("no trusted contract for chain {chain_id}");
    };
    let removed = file.contracts.remove(i);
    save(&path, &file)?;
    ctx.print(&json!({"removed": removed.json()}), || {
        format!("no longer trusting {} on chain {chain_id}", removed.address)
    });
    Ok(())
}

/// Where the trusted contract came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--contract`.
    Flag,
    /// `PRAMANA_CONTRACT`.
    Env,
    /// The trust list.
    TrustList,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Self::Flag => "--contract",
            Self::Env => "PRAMANA_CONTRACT",
            Self::TrustList => "trust list",
        }
    }
}

/// The contract a verifier checks against, on the chain the RPC endpoint serves.
#[derive(Debug, Clone, Copy)]
pub struct Trusted {
    /// The ConsentRegistry.
    pub address: Address,
    /// The RPC endpoint's chain id.
    pub chain_id: u64,
    /// Where it came from.
    pub source: Source,
}

impl Trusted {
    /// `{"address", "chain_id", "source"}` for `--json` outputs.
    pub fn json(&self) -> Value {
        json!({"address": self.address.to_checksum(None), "chain_id": self.chain_id, "source": self.source.name()})
    }

    /// One line for human output.
    pub fn describe(&self) -> String {
        format!("{} on chain {} (from {})", self.address.to_checksum(None), self.chain_id, self.source.name())
    }
}

/// The contract to check against: `given` (`--contract`), else `PRAMANA_CONTRACT`, else the
/// trust list's entry for the chain `provider` serves. An error (exit 2) when there is none.
pub async fn resolve(ctx: &Ctx, given: Option<&str>, provider: &RootProvider) -> anyhow::Result<Trusted> {
    let explicit = match given {
        Some(c) => Some((parse_address("--contract", c)?, Source::Flag)),
        None => match std::env::var("PRAMANA_CONTRACT") {
            Ok(c) if !c.trim().is_empty() => Some((parse_address("PRAMANA_CONTRACT", &c)?, Source::Env)),
            _ => None,
        },
    };
    let chain_id = provider.get_chain_id().await.context("asking the RPC endpoint for its chain id")?;
    if let Some((address, source)) = explicit {
        return Ok(Trusted { address, chain_id, source });
    }
    let file = load(&path(ctx))?;
    let Some(entry) = file.contracts.iter().find(|e| e.chain_id == chain_id) else {
        bail!(
            "no trusted ConsentRegistry for chain {chain_id}: give --contract ADDRESS (or set PRAMANA_CONTRACT), \
             or trust the operator's published deployment once with \
             `pramana trust add --chain-id {chain_id} ADDRESS` (or `--deployment {chain_id}.json`)"
        );
    };
    let address = parse_address(&format!("{}: address", path(ctx).display()), &entry.address)?;
    Ok(Trusted { address, chain_id, source: Source::TrustList })
}
