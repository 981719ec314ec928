//! `pramana consent approve` and `revoke`, on the patient's device. Approve learns the
//! hospital's keys from the platform, adds a stanza for the hospital to every document in scope
//! (the data keys never leave this machine), signs the EIP-712 grant with the keystore's Ethereum
//! key, and sends both; the server rebuilds the signed message from what it stores and checks it.
//! Revoke signs the revocation the same way; resign signs again a grant or revocation the
//! chain refused for good. Every message names the patient's account (the address of their
//! first Ethereum key, as `/v1/keys` lists it) and is signed by the keystore's key, which must be
//! the account's signer now; `identity rotate` hands the account to this keystore's key with a
//! `RotateSigner` signed by the old keystore's. The nonce every signature carries is read from
//! the contract (`nonces(account)`) through `--rpc`, else the endpoint the platform publishes at
//! `/v1/chain`.

use alloy::primitives::{Address, B256};
use alloy::providers::Provider as _;
use alloy::sol_types::Eip712Domain;
use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use pramana_core::chain::ConsentRegistry;
use pramana_core::chain::eip712::{ConsentSigner, Grant, Revoke, RotateSigner, domain};
use pramana_core::consent::ConsentScope;
use pramana_core::envelope::{self, Header, Recipient, os_rng};
use pramana_core::{AccessMode, HiType, Purpose};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Ctx, check, keystore, secret};

fn hex32(v: &Value, what: &str) -> anyhow::Result<[u8; 32]> {
    let s = v.as_str().with_context(|| format!("no {what}"))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim_start_matches("0x"), &mut out).with_context(|| format!("bad {what}"))?;
    Ok(out)
}

/// Where a patient's signature goes: the contract's EIP-712 domain and the patient's nonce on
/// chain now.
struct Signing {
    domain: Eip712Domain,
    nonce: u64,
}

/// Reads the platform's chain and contract, and `patient`'s nonce from the contract through
/// `rpc` (else the platform's published endpoint), checking that endpoint serves that chain; a
/// rotation of the account still waiting for the chain (listed by `/v1/keys`) moves it past the
/// rotation's nonce.
async fn signing(ctx: &Ctx, rpc: Option<&str>, patient: Address) -> anyhow::Result<Signing> {
    let chain: Value = check(ctx.http.get(ctx.url("/v1/chain")).send().await?).await?.json().await?;
    let contract: Address =
        chain["contract_address"].as_str().context("the platform has no ConsentRegistry configured")?.parse()?;
    let chain_id = chain["chain_id"].as_u64().context("no chain id")?;
    let rpc = match rpc {
        Some(r) => r.to_owned(),
        None => chain["public_rpc_url"].as_str().map(str::to_owned).context(
            "your contract nonce is read from the chain: pass --rpc URL (or set PRAMANA_RPC); \
             the platform publishes no public RPC endpoint",
        )?,
    };
    let provider = crate::verify::connect(&rpc)?;
    let served = provider.get_chain_id().await.with_context(|| format!("cannot reach the RPC endpoint {rpc}"))?;
    if served != chain_id {
        bail!("the RPC endpoint {rpc} serves chain {served}, the platform's consents are on chain {chain_id}");
    }
    let on_chain = ConsentRegistry::new(contract, &provider)
        .nonces(patient)
        .call()
        .await
        .with_context(|| format!("reading your nonce from the ConsentRegistry at {contract}"))?;
    // A key rotation the platform has not relayed yet consumes its nonce when it lands.
    let token = ctx.token()?;
    let keys: Value = check(ctx.http.get(ctx.url("/v1/keys")).bearer_auth(&token).send().await?).await?.json().await?;
    let after_rotations = keys
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| matches!(k["rotation"]["state"].as_str(), Some("pending" | "submitted")))
        .filter_map(|k| k["rotation"]["nonce"].as_u64())
        .map(|n| n.saturating_add(1))
        .max();
    let nonce = after_rotations.map_or(on_chain, |n| n.max(on_chain));
    Ok(Signing { domain: domain(chain_id, contract), nonce })
}

/// The caller's keys as `/v1/keys` lists them: the account address (the first Ethereum key ever
/// registered) and the key that signs for it now (the newest that is the account's own or was
/// handed the account by a rotation the chain did not refuse), as the platform decides it.
async fn account_keys(ctx: &Ctx, token: &str) -> anyhow::Result<(Option<Address>, Option<Address>)> {
    let keys: Value = check(ctx.http.get(ctx.url("/v1/keys")).bearer_auth(token).send().await?).await?.json().await?;
    let eth: Vec<Address> = keys
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["kind"] == "ethereum")
        .filter_map(|k| k["public_key"].as_str()?.parse().ok())
        .collect();
    // Newest first: the account is the last one listed.
    let account = eth.last().copied();
    let signs = |k: &Value| {
        let address: Option<Address> = k["public_key"].as_str().and_then(|a| a.parse().ok());
        k["kind"] == "ethereum"
            && (address.is_some() && address == account
                || matches!(k["rotation"]["state"].as_str(), Some("pending" | "submitted" | "confirmed")))
    };
    let signer = keys.as_array().into_iter().flatten().find(|k| signs(k));
    Ok((account, signer.and_then(|k| k["public_key"].as_str()?.parse().ok())))
}

/// Hands the account to this keystore's Ethereum key: signs `RotateSigner(account, new key,
/// nonce, deadline)` with the old keystore's key (the account's signer now) and registers the new
/// key with it (the account's password is asked again).
pub async fn rotate(ctx: &Ctx, old_keystore: &std::path::Path, rpc: Option<&str>) -> anyhow::Result<()> {
    let token = ctx.token()?;
    let new_signer: Address = keystore::load(&ctx.keystore_path())?.eth_address.parse()?;
    let (account, signer) = account_keys(ctx, &token).await?;
    let (Some(account), Some(active)) = (account, signer) else {
        bail!("this account has no Ethereum key yet: `pramana login` registers this keystore's");
    };
    if active == new_signer {
        bail!("this keystore's key {new_signer} already signs for the account {account}");
    }
    let pass = secret("PRAMANA_OLD_PASSPHRASE", "Old keystore passphrase: ")?;
    let old = keystore::unlock(&keystore::load(old_keystore)?, &pass)?;
    if old.signer.address() != active {
        bail!("the old keystore's key {} is not the account's signing key {active}", old.signer.address());
    }
    let password = secret("PRAMANA_PASSWORD", "Password: ")?;
    let signing = signing(ctx, rpc, account).await?;
    let rotation = RotateSigner { account, newSigner: new_signer, nonce: signing.nonce, deadline: deadline()? };
    let signed = ConsentSigner::new(old.signer).sign_rotation(rotation.clone(), &signing.domain)?;
    let body = json!({
        "kind": "ethereum", "public_key": new_signer.to_string().to_lowercase(), "password": password,
        "rotation": {"nonce": rotation.nonce, "deadline": rotation.deadline,
                     "signature": format!("0x{}", hex::encode(signed.signature))},
    });
    let v: Value =
        check(ctx.http.post(ctx.url("/v1/keys")).bearer_auth(&token).json(&body).send().await?).await?.json().await?;
    ctx.print(&v, || {
        format!("account {account} handed from {active} to {new_signer}; the rotation is queued for the chain")
    });
    Ok(())
}

/// A signature deadline a week from now.
fn deadline() -> anyhow::Result<u64> {
    Ok(u64::try_from(Utc::now().timestamp())? + 7 * 86_400)
}

/// How a patient narrows a request when granting it (each `None` keeps what was requested).
#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    /// A subset of the requested HI types.
    pub types: Option<Vec<String>>,
    /// A later first care date.
    pub from: Option<NaiveDate>,
    /// An earlier last care date.
    pub to: Option<NaiveDate>,
    /// Days until the grant ends, if sooner than requested.
    pub days: Option<i64>,
}

/// The scope and end a narrowed grant covers, checked against the request (the server checks
/// again): HI types sorted by the vocabulary's order, as the server stores them.
fn narrowed(c: &Value, n: &Narrowing) -> anyhow::Result<(ConsentScope, DateTime<Utc>)> {
    let requested: Vec<HiType> = c["hi_types"]
        .as_array()
        .context("no HI types")?
        .iter()
        .map(|t| HiType::parse(t.as_str().unwrap_or("")))
        .collect::<Result<_, _>>()?;
    let mut hi_types = match &n.types {
        None => requested.clone(),
        Some(list) => list.iter().map(|t| HiType::parse(t.trim())).collect::<Result<Vec<_>, _>>()?,
    };
    hi_types.sort();
    hi_types.dedup();
    if hi_types.is_empty() || hi_types.iter().any(|t| !requested.contains(t)) {
        bail!("--types must be a non-empty subset of the requested HI types");
    }
    let (req_from, req_to): (NaiveDate, NaiveDate) = (
        c["date_range"]["from"].as_str().context("no from")?.parse()?,
        c["date_range"]["to"].as_str().context("no to")?.parse()?,
    );
    let (from, to) = (n.from.unwrap_or(req_from), n.to.unwrap_or(req_to));
    if from > to || from < req_from || to > req_to {
        bail!("--from/--to must lie inside the requested care dates {req_from}..{req_to}");
    }
    let requested_end: DateTime<Utc> = c["data_erase_at"].as_str().context("no data_erase_at")?.parse()?;
    let end = match n.days {
        None => requested_end,
        Some(d) if d > 0 => {
            let end = DateTime::from_timestamp((Utc::now() + chrono::Duration::days(d)).timestamp(), 0);
            end.context("--days out of range")?.min(requested_end)
        }
        Some(_) => bail!("--days must be at least 1"),
    };
    let f = &c["frequency"];
    let scope = ConsentScope {
        purpose: Purpose::parse(c["purpose"].as_str().unwrap_or(""))?,
        hi_types,
        access_mode: AccessMode::parse(c["access_mode"].as_str().unwrap_or(""))?,
        date_from: from,
        date_to: to,
        frequency_unit: f["unit"].as_str().unwrap_or("").to_owned(),
        frequency_value: u32::try_from(f["value"].as_u64().unwrap_or(0))?,
        frequency_repeats: u32::try_from(f["repeats"].as_u64().unwrap_or(0))?,
    };
    Ok((scope, end))
}

/// Grants consent `id`, narrowed by `narrowing`.
pub async fn run(ctx: &Ctx, id: Uuid, rpc: Option<&str>, narrowing: &Narrowing) -> anyhow::Result<()> {
    let token = ctx.token()?;
    let get = |path: String| {
        let req = ctx.http.get(ctx.url(&path)).bearer_auth(&token);
        async move { anyhow::Ok(check(req.send().await?).await?.json::<Value>().await?) }
    };
    let c = get(format!("/v1/consents/{id}")).await?;
    if c["status"] != "REQUESTED" {
        bail!("consent {id} is {}, not an open request", c["status"].as_str().unwrap_or("?"));
    }
    let (scope, erase) = narrowed(&c, narrowing)?;
    let keys = get(format!("/v1/consents/{id}/grantee-keys")).await?;
    let hospital_x25519 = Recipient(hex32(&keys["x25519_public_key"], "hospital X25519 key")?);
    let grantee: Address =
        keys["ethereum_address"].as_str().context("the hospital has no Ethereum address")?.parse()?;

    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let unlocked = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;
    let account = account_keys(ctx, &token).await?.0.unwrap_or(unlocked.signer.address());
    let signing = signing(ctx, rpc, account).await?;

    // Every live document of mine in the granted scope gets a stanza for the hospital.
    let types: Vec<&str> = scope.hi_types.iter().map(|t| t.code()).collect();
    let (from, to) = (scope.date_from.to_string(), scope.date_to.to_string());
    let (from, to) = (from.as_str(), to.as_str());
    let docs = get("/v1/documents".to_owned()).await?;
    let mut headers = Vec::new();
    for d in docs.as_array().into_iter().flatten() {
        let care = d["care_date"].as_str().unwrap_or("");
        let in_scope = types.contains(&d["hi_type"].as_str().unwrap_or("")) && care >= from && care <= to;
        let Some(header) = d["header"].as_str().filter(|_| in_scope) else { continue };
        let (old, _) = Header::parse(&B64.decode(header)?).context("a stored header does not parse")?;
        let new = envelope::add_recipient(&old, &unlocked.identity, &hospital_x25519, &mut os_rng())?;
        headers.push(json!({"document_id": d["id"], "header": B64.encode(new.to_bytes())}));
    }

    let now = u64::try_from(Utc::now().timestamp())?;
    let grant = Grant {
        consentId: B256::from(hex32(&c["chain_consent_id"], "consent id")?),
        patient: account,
        grantee,
        scopeHash: B256::from(scope.hash()),
        validFrom: now.saturating_sub(60),
        validUntil: u64::try_from(erase.timestamp())?,
        nonce: signing.nonce,
        deadline: deadline()?,
    };
    let signed = ConsentSigner::new(unlocked.signer).sign_grant(grant.clone(), &signing.domain)?;
    let body = json!({
        "hi_types": types, "date_range": {"from": scope.date_from, "to": scope.date_to},
        "data_erase_at": erase.to_rfc3339(),
        "valid_from": grant.validFrom, "nonce": grant.nonce, "deadline": grant.deadline,
        "signature": format!("0x{}", hex::encode(signed.signature)),
        "headers": headers,
    });
    let url = ctx.url(&format!("/v1/consents/{id}/grant"));
    let v: Value = check(ctx.http.post(url).bearer_auth(&token).json(&body).send().await?).await?.json().await?;
    let n = headers.len();
    ctx.print(&v, || format!("granted {id} to {grantee}; {n} document(s) opened to the hospital"));
    Ok(())
}

/// Revokes granted consent `id` with a signature from the keystore's Ethereum key.
pub async fn revoke(ctx: &Ctx, id: Uuid, rpc: Option<&str>) -> anyhow::Result<()> {
    let token = ctx.token()?;
    let c: Value = check(ctx.http.get(ctx.url(&format!("/v1/consents/{id}"))).bearer_auth(&token).send().await?)
        .await?
        .json()
        .await?;
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let unlocked = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;
    // The account the grant was signed under (the consent's patient address).
    let patient: Address =
        c["patient_address"].as_str().with_context(|| format!("consent {id} has no patient address"))?.parse()?;
    let signing = signing(ctx, rpc, patient).await?;
    let revoke = Revoke {
        consentId: B256::from(hex32(&c["chain_consent_id"], "consent id")?),
        patient,
        nonce: signing.nonce,
        deadline: deadline()?,
    };
    let signed = ConsentSigner::new(unlocked.signer.clone()).sign_revoke(revoke.clone(), &signing.domain)?;
    let body = json!({"nonce": revoke.nonce, "deadline": revoke.deadline, "signature": format!("0x{}", hex::encode(signed.signature))});
    let url = ctx.url(&format!("/v1/consents/{id}/revoke"));
    let v: Value = check(ctx.http.post(url).bearer_auth(&token).json(&body).send().await?).await?.json().await?;

    // Access has ended; now take the hospital's wrapped key out of every header of mine.
    let keys: Value =
        check(ctx.http.get(ctx.url(&format!("/v1/consents/{id}/grantee-keys"))).bearer_auth(&token).send().await?)
            .await?
            .json()
            .await?;
    let mut rekeyed = 0;
    if let Ok(key) = hex32(&keys["x25519_public_key"], "hospital X25519 key") {
        let key_id = Recipient(key).key_id();
        let docs: Value =
            check(ctx.http.get(ctx.url("/v1/documents")).bearer_auth(&token).send().await?).await?.json().await?;
        for d in docs.as_array().into_iter().flatten() {
            let Some(header) = d["header"].as_str() else { continue };
            let (old, _) = Header::parse(&B64.decode(header)?).context("a stored header does not parse")?;
            if old.stanza(&key_id).is_none() {
                continue;
            }
            let new = envelope::remove_recipient(&old, &unlocked.identity, &key_id)?;
            let body = json!({"key_id": hex::encode(key_id), "header": B64.encode(new.to_bytes())});
            let url = ctx.url(&format!("/v1/documents/{}/header", d["id"].as_str().unwrap_or("")));
            check(ctx.http.post(url).bearer_auth(&token).json(&body).send().await?).await?;
            rekeyed += 1;
        }
    }
    ctx.print(&v, || {
        format!("revoked {id}: the hospital's access ended now; its key removed from {rekeyed} document(s)")
    });
    Ok(())
}

/// Signs again the grant or revocation of consent `id` that the chain refused for good (the
/// consent's `chain.grant` / `chain.revoke` is `failed`), with a fresh nonce and deadline.
pub async fn resign(ctx: &Ctx, id: Uuid, rpc: Option<&str>) -> anyhow::Result<()> {
    let token = ctx.token()?;
    let c: Value = check(ctx.http.get(ctx.url(&format!("/v1/consents/{id}"))).bearer_auth(&token).send().await?)
        .await?
        .json()
        .await?;
    let failed = |kind: &str| c["chain"][kind]["state"] == "failed";
    let kind = if failed("revoke") {
        "revoke"
    } else if failed("grant") {
        "grant"
    } else {
        bail!("consent {id}: neither its grant nor its revocation failed on chain; nothing to sign again");
    };
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let unlocked = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;
    let address = |field: &str| -> anyhow::Result<Address> {
        Ok(c[field].as_str().with_context(|| format!("consent {id} has no {field}"))?.parse()?)
    };
    let patient = address("patient_address")?;
    let signing = signing(ctx, rpc, patient).await?;
    let consent_id = B256::from(hex32(&c["chain_consent_id"], "consent id")?);
    let signer = ConsentSigner::new(unlocked.signer);
    let (nonce, deadline) = (signing.nonce, deadline()?);
    let signature = if kind == "grant" {
        let time = |field: &str| -> anyhow::Result<u64> {
            let t: DateTime<Utc> =
                c[field].as_str().with_context(|| format!("consent {id} has no {field}"))?.parse()?;
            Ok(u64::try_from(t.timestamp())?)
        };
        let grant = Grant {
            consentId: consent_id,
            patient,
            grantee: address("grantee_address")?,
            scopeHash: B256::from(hex32(&c["scope_hash"], "scope hash")?),
            validFrom: time("valid_from")?,
            validUntil: time("data_erase_at")?,
            nonce,
            deadline,
        };
        signer.sign_grant(grant, &signing.domain)?.signature
    } else {
        signer.sign_revoke(Revoke { consentId: consent_id, patient, nonce, deadline }, &signing.domain)?.signature
    };
    let body = json!({"nonce": nonce, "deadline": deadline, "signature": format!("0x{}", hex::encode(signature))});
    let url = ctx.url(&format!("/v1/consents/{id}/resign"));
    let v: Value = check(ctx.http.post(url).bearer_auth(&token).json(&body).send().await?).await?.json().await?;
    let reason = c["chain"][kind]["failure"].as_str().unwrap_or("refused").to_owned();
    ctx.print(&v, || format!("signed the {kind} of {id} again (it had failed: {reason}); it is queued for the chain"));
    Ok(())
}
