//! `pramana audit` and `pramana consent status`: consents read from the chain alone, for
//! auditors with no account on the platform; with an auditor's token, `pramana audit` also lists
//! every discrepancy between the platform's consents and the chain's.

use alloy::primitives::{Address, B256};
use alloy::providers::RootProvider;
use anyhow::Context as _;
use pramana_client::wire::{ChainView, RelayView, SignedConsentQuery, SignedConsentView};
use pramana_core::chain::history::{self, ChainStatus, ConsentHistory};
use serde::Serialize;
use serde_json::json;

use crate::Ctx;
use crate::ctx::CallingTheApi as _;
use crate::trust::{self, Trusted};

/// The RPC client and the contract this auditor trusts on its chain (`trust::resolve`).
async fn connect(ctx: &Ctx, rpc: &str, contract: Option<&str>) -> anyhow::Result<(RootProvider, Trusted)> {
    let provider = crate::verify::connect(rpc)?;
    let trusted = trust::resolve(ctx, contract, &provider).await?;
    Ok((provider, trusted))
}

fn status_name(s: ChainStatus) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn utc(ts: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(ts).unwrap_or(i64::MAX), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ts.to_string())
}

/// Prints the status now of the consent `patient` granted under `id` (a grant of the same id by
/// any other key is another consent and is not read).
pub async fn status(ctx: &Ctx, id: &str, patient: &str, rpc: &str, contract: Option<&str>) -> anyhow::Result<()> {
    let consent_id: B256 = id.parse().with_context(|| format!("{id:?} is not a consent id (0x + 64 hex digits)"))?;
    let patient: Address =
        patient.parse().with_context(|| format!("--patient {patient:?} is not an address (0x + 40 hex digits)"))?;
    let (provider, trusted) = connect(ctx, rpc, contract).await?;
    let contract = trusted.address;
    let s = history::consent_status(&provider, contract, patient, consent_id).await.context("asking the chain")?;
    let name = status_name(s);
    let v = json!({
        "consent_id": consent_id, "patient": patient, "status": name, "contract": contract,
        "trusted_contract": trusted.json(),
    });
    ctx.print(&v, || format!("{consent_id}  patient {patient}  {name}  ({})", trusted.describe()));
    Ok(())
}

/// Prints every consent's history. With `api` (base URL and an auditor's token) it also compares
/// the platform's signed consents with the chain and lists each discrepancy; exit status 1 when
/// there is any.
pub async fn run(
    ctx: &Ctx,
    rpc: &str,
    contract: Option<&str>,
    from_block: u64,
    api: Option<&str>,
) -> anyhow::Result<std::process::ExitCode> {
    let (provider, trusted) = connect(ctx, rpc, contract).await?;
    let contract = trusted.address;
    let consents =
        history::consent_histories(&provider, contract, from_block).await.context("reading the chain's events")?;
    let Some(token) = api else {
        let v = json!({
            "contract": contract, "trusted_contract": trusted.json(), "from_block": from_block, "consents": consents,
        });
        ctx.print(&v, || {
            let mut lines =
                vec![format!("{} consents on {} since block {from_block}", consents.len(), trusted.describe())];
            lines.extend(consents.iter().map(history_line));
            lines.join("\n")
        });
        return Ok(std::process::ExitCode::SUCCESS);
    };
    let platform = platform_consents(ctx, token).await?;
    let report = compare(&platform, &consents, chrono::Utc::now().timestamp());
    let value = json!({
        "contract": contract, "trusted_contract": trusted.json(), "from_block": from_block,
        "on_chain": consents.len(), "on_platform": platform.len(),
        "in_flight": report.in_flight, "foreign": report.foreign, "discrepancies": report.discrepancies,
    });
    ctx.print(&value, || {
        let mut lines = vec![format!(
            "{} consents on {} since block {from_block}; {} signed on the platform; {} on their way to the chain",
            consents.len(),
            trusted.describe(),
            platform.len(),
            report.in_flight.len()
        )];
        for f in &report.foreign {
            lines.push(format!(
                "note {}  also granted by {} (another key's consent, not the patient's; ignored)",
                f.consent_id, f.patient
            ));
        }
        if report.discrepancies.is_empty() {
            lines.push("no discrepancy".to_owned());
        }
        for d in &report.discrepancies {
            lines.push(format!("DISCREPANCY {}  {:<20} {}", d.consent_id, d.kind, d.detail));
        }
        lines.join("\n")
    });
    Ok(if report.discrepancies.is_empty() { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::from(1) })
}

fn history_line(c: &ConsentHistory) -> String {
    format!(
        "{}  {:<13} patient {} -> {}  valid {} .. {}  granted block {}{}",
        c.consent_id,
        status_name(c.status),
        c.patient,
        c.grantee,
        utc(c.valid_from),
        utc(c.valid_until),
        c.granted.block_number,
        c.revoked.map(|r| format!(", revoked block {}", r.block_number)).unwrap_or_default()
    )
}

/// A signed consent as the platform reports it (`GET /v1/audit/consents`), its addresses,
/// hashes and times parsed.
#[derive(Debug, Clone)]
pub struct PlatformConsent {
    /// Platform id.
    pub id: String,
    /// Id on chain.
    pub chain_consent_id: B256,
    /// `GRANTED`, `REVOKED` or `EXPIRED`.
    pub status: String,
    /// Patient's address.
    pub patient: Address,
    /// Hospital's address.
    pub grantee: Address,
    /// Scope hash signed.
    pub scope_hash: B256,
    /// Validity start.
    pub valid_from: u64,
    /// Validity end.
    pub valid_until: u64,
    /// The chain mirror's state.
    pub chain: ChainView,
}

impl TryFrom<SignedConsentView> for PlatformConsent {
    type Error = anyhow::Error;

    fn try_from(v: SignedConsentView) -> anyhow::Result<Self> {
        Ok(Self {
            id: v.id.to_string(),
            chain_consent_id: v.chain_consent_id.parse()?,
            status: v.status,
            patient: v.patient.parse()?,
            grantee: v.grantee.parse()?,
            scope_hash: v.scope_hash.parse()?,
            valid_from: u64::try_from(v.valid_from)?,
            valid_until: u64::try_from(v.valid_until)?,
            chain: v.chain,
        })
    }
}

/// Whether a message is still on its way to the chain.
fn relaying(r: Option<&RelayView>) -> bool {
    r.is_some_and(|r| r.state == "pending" || r.state == "submitted")
}

/// One way the platform and the chain disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    /// The consent id on chain.
    pub consent_id: B256,
    /// The platform's id of the consent, when it has one.
    pub platform_id: Option<String>,
    /// `absent_on_chain`, `revoked_on_chain`, `active_on_chain`, `unknown_to_platform` or
    /// `record_mismatch`.
    pub kind: &'static str,
    /// What each side says.
    pub detail: String,
}

/// A record on chain under a platform consent's id, granted by a key that is not that consent's
/// patient: another consent (the contract keys consents by patient and id), never read as the
/// patient's, so not a discrepancy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Foreign {
    /// The consent id on chain.
    pub consent_id: B256,
    /// Who granted this record.
    pub patient: Address,
}

/// The comparison.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Consents whose grant or revocation the platform is still relaying (not discrepancies).
    pub in_flight: Vec<B256>,
    /// Records of platform consent ids granted by other keys.
    pub foreign: Vec<Foreign>,
    /// Disagreements.
    pub discrepancies: Vec<Discrepancy>,
}

async fn platform_consents(ctx: &Ctx, token: &str) -> anyhow::Result<Vec<PlatformConsent>> {
    let api = ctx.client.authed(token);
    let mut out = Vec::new();
    let mut q = SignedConsentQuery { after: None, limit: Some(1000) };
    loop {
        let page = api.audit_consents(&q).await.calling_the_api()?;
        for c in page.consents {
            out.push(PlatformConsent::try_from(c).context("the API's consent list")?);
        }
        match page.next_after {
            Some(next) => q.after = Some(next),
            None => return Ok(out),
        }
    }
}

/// Compares the platform's signed consents with the chain's, as of `now` (Unix seconds).
/// Active means: granted, within its validity, not revoked — on each side by its own record. A
/// platform consent is matched with the chain's record of the same patient and id only.
pub fn compare(platform: &[PlatformConsent], chain: &[ConsentHistory], now: i64) -> Report {
    let now = u64::try_from(now).unwrap_or(0);
    let mut report = Report::default();
    let on_chain: std::collections::HashMap<(Address, B256), &ConsentHistory> =
        chain.iter().map(|c| ((c.patient, c.consent_id), c)).collect();
    let mut d = |consent_id: B256, platform_id: Option<&str>, kind: &'static str, detail: String| {
        let platform_id = platform_id.map(str::to_owned);
        report.discrepancies.push(Discrepancy { consent_id, platform_id, kind, detail });
    };
    let mut in_flight = Vec::new();
    for p in platform {
        let id = p.chain_consent_id;
        let platform_active = p.status == "GRANTED" && p.valid_from <= now && now < p.valid_until;
        let Some(c) = on_chain.get(&(p.patient, id)) else {
            if relaying(p.chain.grant.as_ref()) {
                in_flight.push(id);
            } else if platform_active {
                let relay = p.chain.grant.as_ref().map_or("none", |r| r.state.as_str());
                d(
                    id,
                    Some(&p.id),
                    "absent_on_chain",
                    format!("platform {} (relay {relay}); no grant on chain", p.status),
                );
            }
            continue;
        };
        let mut mismatched = Vec::new();
        if c.grantee != p.grantee {
            mismatched.push(format!("grantee {} vs {}", p.grantee, c.grantee));
        }
        if c.scope_hash != p.scope_hash {
            mismatched.push(format!("scope hash {} vs {}", p.scope_hash, c.scope_hash));
        }
        if (c.valid_from, c.valid_until) != (p.valid_from, p.valid_until) {
            mismatched
                .push(format!("validity {}..{} vs {}..{}", p.valid_from, p.valid_until, c.valid_from, c.valid_until));
        }
        if !mismatched.is_empty() {
            d(id, Some(&p.id), "record_mismatch", format!("platform vs chain: {}", mismatched.join("; ")));
        }
        let chain_active = c.status == ChainStatus::Active;
        match (platform_active, chain_active) {
            (true, false) if c.status == ChainStatus::Revoked => {
                d(id, Some(&p.id), "revoked_on_chain", format!("platform {}; chain revoked", p.status));
            }
            (true, false) => d(
                id,
                Some(&p.id),
                "inactive_on_chain",
                format!("platform {}; chain {}", p.status, status_name(c.status)),
            ),
            (false, true) if p.status == "REVOKED" && relaying(p.chain.revoke.as_ref()) => {
                in_flight.push(id);
            }
            (false, true) => d(id, Some(&p.id), "active_on_chain", format!("platform {}; chain active", p.status)),
            _ => {}
        }
    }
    let known: std::collections::HashSet<(Address, B256)> =
        platform.iter().map(|p| (p.patient, p.chain_consent_id)).collect();
    let platform_ids: std::collections::HashSet<B256> = platform.iter().map(|p| p.chain_consent_id).collect();
    for c in chain {
        if known.contains(&(c.patient, c.consent_id)) {
            continue;
        }
        if platform_ids.contains(&c.consent_id) {
            report.foreign.push(Foreign { consent_id: c.consent_id, patient: c.patient });
        } else if c.status == ChainStatus::Active {
            d(
                c.consent_id,
                None,
                "unknown_to_platform",
                "chain active; the platform has no such signed consent".to_owned(),
            );
        }
    }
    report.in_flight = in_flight;
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use pramana_core::chain::history::EventPoint;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct VectorPlatform {
        id: String,
        chain_consent_id: B256,
        status: String,
        patient: Address,
        grantee: Address,
        scope_hash: B256,
        valid_from: u64,
        valid_until: u64,
        chain: ChainView,
    }

    #[derive(Deserialize)]
    struct VectorChain {
        consent_id: B256,
        patient: Address,
        grantee: Address,
        scope_hash: B256,
        valid_from: u64,
        valid_until: u64,
        granted_block: u64,
        revoked_block: Option<u64>,
        status: String,
    }

    fn chain_status(s: &str) -> ChainStatus {
        match s {
            "unknown" => ChainStatus::Unknown,
            "active" => ChainStatus::Active,
            "not_yet_valid" => ChainStatus::NotYetValid,
            "expired" => ChainStatus::Expired,
            "revoked" => ChainStatus::Revoked,
            other => panic!("status {other:?}"),
        }
    }

    /// The comparison over `cli/testdata/audit-compare-vectors.json`: one case of each finding
    /// (and of agreement), the report this implementation gives stored under `expected`, so the
    /// web console's port (web/src/lib/audit.ts) checks itself against it.
    /// `PRAMANA_WRITE_VECTORS=1` rewrites `expected`.
    #[test]
    fn committed_vectors() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/audit-compare-vectors.json");
        let mut file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let now = file["now"].as_i64().unwrap();
        let platform: Vec<VectorPlatform> = serde_json::from_value(file["platform"].clone()).unwrap();
        let chain: Vec<VectorChain> = serde_json::from_value(file["chain"].clone()).unwrap();
        let platform: Vec<PlatformConsent> = platform
            .into_iter()
            .map(|p| PlatformConsent {
                id: p.id,
                chain_consent_id: p.chain_consent_id,
                status: p.status,
                patient: p.patient,
                grantee: p.grantee,
                scope_hash: p.scope_hash,
                valid_from: p.valid_from,
                valid_until: p.valid_until,
                chain: p.chain,
            })
            .collect();
        let chain: Vec<ConsentHistory> = chain
            .into_iter()
            .map(|c| ConsentHistory {
                consent_id: c.consent_id,
                patient: c.patient,
                grantee: c.grantee,
                scope_hash: c.scope_hash,
                valid_from: c.valid_from,
                valid_until: c.valid_until,
                granted: EventPoint { block_number: c.granted_block, tx_hash: B256::ZERO },
                revoked: c.revoked_block.map(|b| EventPoint { block_number: b, tx_hash: B256::ZERO }),
                status: chain_status(&c.status),
            })
            .collect();
        let report = serde_json::to_value(compare(&platform, &chain, now)).unwrap();
        let kinds: std::collections::BTreeSet<&str> =
            report["discrepancies"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.len(), 6, "every kind of discrepancy has a case: {kinds:?}");
        if std::env::var_os("PRAMANA_WRITE_VECTORS").is_some() {
            file["expected"] = report;
            std::fs::write(path, serde_json::to_string_pretty(&file).unwrap() + "\n").unwrap();
            return;
        }
        assert_eq!(report, file["expected"]);
    }
}
