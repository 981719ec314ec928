//! `pramana consent approve ID`, on the patient's device: learns the hospital's keys from the
//! platform, signs the EIP-712 grant with the keystore's Ethereum key and sends it (the server
//! rebuilds the signed message from what it stores and checks it), then adds a stanza for the
//! hospital to every document in scope page by page (the data keys never leave this machine).
//! Run again on a consent already granted — after an interruption, say — it checks that the grant
//! is this keystore's own and adds the stanzas still missing.

use alloy::primitives::{Address, B256};
use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDate, Utc};
use pramana_client::wire::{ConsentGrantBody, ConsentView, DateRange};
use pramana_core::chain::eip712::{ConsentSigner, Grant};
use pramana_core::consent::ConsentScope;
use pramana_core::envelope::Recipient;
use pramana_core::{AccessMode, HiType, Purpose};
use uuid::Uuid;

use super::stanzas::{self, Change, thousands};
use crate::ctx::{Ctx, NonceRpcOpts, secret};
use crate::signing::{self, hex32};
use crate::{grants, keystore};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Consent id.
    id: Uuid,
    #[command(flatten)]
    rpc: NonceRpcOpts,
    /// Grant only these of the requested HI types (comma-separated).
    #[arg(long, value_delimiter = ',')]
    types: Option<Vec<String>>,
    /// Grant only records from this care date (YYYY-MM-DD), inside the requested range.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Grant only records up to this care date (YYYY-MM-DD), inside the requested range.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// End the grant after this many days instead of at the requested dataEraseAt.
    #[arg(long)]
    days: Option<i64>,
}

/// The scope and end a narrowed grant covers, checked against the request (the server checks
/// again): HI types sorted by the vocabulary's order, as the server stores them.
fn narrowed(c: &ConsentView, n: &Args) -> anyhow::Result<(ConsentScope, DateTime<Utc>)> {
    let requested: Vec<HiType> = c.hi_types.iter().map(|t| HiType::parse(t)).collect::<Result<_, _>>()?;
    let mut hi_types = match &n.types {
        None => requested.clone(),
        Some(list) => list.iter().map(|t| HiType::parse(t.trim())).collect::<Result<Vec<_>, _>>()?,
    };
    hi_types.sort();
    hi_types.dedup();
    if hi_types.is_empty() || hi_types.iter().any(|t| !requested.contains(t)) {
        bail!("--types must be a non-empty subset of the requested HI types");
    }
    let (req_from, req_to) = (c.date_range.from, c.date_range.to);
    let (from, to) = (n.from.unwrap_or(req_from), n.to.unwrap_or(req_to));
    if from > to || from < req_from || to > req_to {
        bail!("--from/--to must lie inside the requested care dates {req_from}..{req_to}");
    }
    let requested_end = c.data_erase_at;
    let end = match n.days {
        None => requested_end,
        Some(d) if d > 0 => {
            let end = DateTime::from_timestamp((Utc::now() + chrono::Duration::days(d)).timestamp(), 0);
            end.context("--days out of range")?.min(requested_end)
        }
        Some(_) => bail!("--days must be at least 1"),
    };
    let f = &c.frequency;
    let scope = ConsentScope {
        purpose: Purpose::parse(&c.purpose)?,
        hi_types,
        access_mode: AccessMode::parse(&c.access_mode)?,
        date_from: from,
        date_to: to,
        frequency_unit: f.unit.clone(),
        frequency_value: u32::try_from(f.value)?,
        frequency_repeats: u32::try_from(f.repeats)?,
    };
    Ok((scope, end))
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let id = a.id;
    let api = ctx.authed()?;
    let c = api.consent(id).await?;
    let keys = api.consent_grantee_keys(id).await?;
    let hospital_x25519 = Recipient(hex32(keys.x25519_public_key.as_deref(), "hospital X25519 key")?);
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let file = keystore::load(&ctx.keystore_path())?;
    let unlocked = keystore::unlock(&file, &pass)?;

    let status = c.status.clone();
    let (v, grantee) = match status.as_str() {
        "REQUESTED" => grant(&api, &c, &a, &unlocked, keys.ethereum_address.as_deref()).await?,
        "GRANTED" => {
            // Resuming: only a grant this keystore's keys signed, exactly as listed, gets stanzas.
            let chain = api.chain().await?;
            let contract =
                chain.contract_address.as_deref().context("the platform has no ConsentRegistry configured")?;
            let domain = pramana_core::chain::domain(chain.chain_id, contract.parse()?);
            let grantee = grants::signed_by_me(&c, &domain, &file.own_signers()?)
                .map_err(|why| anyhow::anyhow!("consent {id} is GRANTED but not by you: {why}"))?;
            if a.types.is_some() || a.from.is_some() || a.to.is_some() || a.days.is_some() {
                eprintln!(
                    "note: consent {id} is granted already; --types/--from/--to/--days apply only to a new grant"
                );
            }
            (c, grantee)
        }
        other => bail!("consent {id} is {other}, not an open request (nor a grant to finish)"),
    };

    let report = stanzas::run(&api, id, &unlocked.identity, Change::Add(hospital_x25519), ctx.json).await?;
    if !report.skipped.is_empty() {
        eprintln!(
            "warning: {} document(s) could not be opened with this keystore and were not shared (the hospital \
             cannot read them); run with the keystore that holds their key, then `pramana consent approve {id}` again:\n{}",
            report.skipped.len(),
            report.skipped_lines()
        );
    }
    eprintln!(
        "stanzas: {} added, {} already held, {} skipped, {} of {} in scope done, in {} request(s)",
        report.changed,
        report.already_done,
        report.skipped.len(),
        report.total - report.remaining,
        report.total,
        report.requests
    );
    let done = report.total - report.remaining;
    ctx.print(&v, || {
        format!(
            "granted {id} to {grantee}; the hospital holds a key to {} of {} document(s) in scope",
            thousands(done),
            thousands(report.total)
        )
    });
    Ok(())
}

/// Signs the grant for the (possibly narrowed) scope and sends it without headers.
async fn grant(
    api: &pramana_client::Client,
    c: &ConsentView,
    a: &Args,
    unlocked: &keystore::Keys,
    grantee: Option<&str>,
) -> anyhow::Result<(ConsentView, Address)> {
    let (scope, erase) = narrowed(c, a)?;
    let grantee: Address = grantee.context("the hospital has no Ethereum address")?.parse()?;
    let account = signing::account_keys(api).await?.0.unwrap_or(unlocked.signer.address());
    let signing = signing::signing(api, a.rpc.rpc.as_deref(), account).await?;
    let types: Vec<&str> = scope.hi_types.iter().map(|t| t.code()).collect();
    let now = u64::try_from(Utc::now().timestamp())?;
    let grant = Grant {
        consentId: B256::from(hex32(Some(&c.chain_consent_id), "consent id")?),
        patient: account,
        grantee,
        scopeHash: B256::from(scope.hash()),
        validFrom: now.saturating_sub(60),
        validUntil: u64::try_from(erase.timestamp())?,
        nonce: signing.nonce,
        deadline: signing::deadline()?,
    };
    let signed = ConsentSigner::new(unlocked.signer.clone()).sign_grant(grant.clone(), &signing.domain)?;
    let body = ConsentGrantBody {
        hi_types: Some(types.iter().map(|t| (*t).to_owned()).collect()),
        date_range: Some(DateRange { from: scope.date_from, to: scope.date_to }),
        data_erase_at: Some(erase),
        valid_from: grant.validFrom,
        nonce: grant.nonce,
        deadline: grant.deadline,
        signature: signing::signature_hex(&signed.signature),
        headers: Vec::new(),
    };
    Ok((api.consent_grant(c.id, &body).await?, grantee))
}
