//! `pramana consent approve ID`, on the patient's device: learns the hospital's keys from the
//! platform, adds a stanza for the hospital to every document in scope (the data keys never
//! leave this machine), signs the EIP-712 grant with the keystore's Ethereum key, and sends both;
//! the server rebuilds the signed message from what it stores and checks it.

use alloy::primitives::{Address, B256};
use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use pramana_client::wire::{ConsentGrantBody, ConsentView, DateRange, HeaderUpdate};
use pramana_core::chain::eip712::{ConsentSigner, Grant};
use pramana_core::consent::ConsentScope;
use pramana_core::envelope::{self, Header, Recipient, os_rng};
use pramana_core::{AccessMode, HiType, Purpose};
use uuid::Uuid;

use crate::ctx::{Ctx, NonceRpcOpts, secret};
use crate::keystore;
use crate::signing::{self, hex32};

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
    if c.status != "REQUESTED" {
        bail!("consent {id} is {}, not an open request", c.status);
    }
    let (scope, erase) = narrowed(&c, &a)?;
    let keys = api.consent_grantee_keys(id).await?;
    let hospital_x25519 = Recipient(hex32(keys.x25519_public_key.as_deref(), "hospital X25519 key")?);
    let grantee: Address = keys.ethereum_address.as_deref().context("the hospital has no Ethereum address")?.parse()?;

    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let unlocked = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;
    let account = signing::account_keys(&api).await?.0.unwrap_or(unlocked.signer.address());
    let signing = signing::signing(&api, a.rpc.rpc.as_deref(), account).await?;

    // Every live document of mine in the granted scope gets a stanza for the hospital.
    let types: Vec<&str> = scope.hi_types.iter().map(|t| t.code()).collect();
    let mut headers = Vec::new();
    for d in api.documents().await? {
        let in_scope =
            types.contains(&d.hi_type.as_str()) && d.care_date >= scope.date_from && d.care_date <= scope.date_to;
        let Some(header) = d.header.as_deref().filter(|_| in_scope) else { continue };
        let (old, _) = Header::parse(&B64.decode(header)?).context("a stored header does not parse")?;
        let new = envelope::add_recipient(&old, &unlocked.identity, &hospital_x25519, &mut os_rng())?;
        // The server can only check the structure; check the MAC here before sending, so a bad
        // header never leaves this device (`add_recipient` recomputes it, so this should hold).
        envelope::verify_header(&new, &unlocked.identity)
            .with_context(|| format!("the new header of document {} does not verify; not sending it", d.id))?;
        headers.push(HeaderUpdate { document_id: d.id, header: B64.encode(new.to_bytes()) });
    }

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
    let signed = ConsentSigner::new(unlocked.signer).sign_grant(grant.clone(), &signing.domain)?;
    let n = headers.len();
    let body = ConsentGrantBody {
        hi_types: Some(types.iter().map(|t| (*t).to_owned()).collect()),
        date_range: Some(DateRange { from: scope.date_from, to: scope.date_to }),
        data_erase_at: Some(erase),
        valid_from: grant.validFrom,
        nonce: grant.nonce,
        deadline: grant.deadline,
        signature: signing::signature_hex(&signed.signature),
        headers,
    };
    let v = api.consent_grant(id, &body).await?;
    ctx.print(&v, || format!("granted {id} to {grantee}; {n} document(s) opened to the hospital"));
    Ok(())
}
