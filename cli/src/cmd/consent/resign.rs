//! `pramana consent resign ID`: signs again the grant or revocation the chain refused for good
//! (the consent's `chain.grant` / `chain.revoke` is `failed`), with a fresh nonce and deadline.

use alloy::primitives::{Address, B256};
use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use pramana_client::wire::ConsentResignBody;
use pramana_core::chain::eip712::{ConsentSigner, Grant, Revoke};
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
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let id = a.id;
    let api = ctx.authed()?;
    let c = api.consent(id).await?;
    let failed = |r: &Option<pramana_client::wire::RelayView>| r.as_ref().is_some_and(|r| r.state == "failed");
    let (kind, relay) = if failed(&c.chain.revoke) {
        ("revoke", &c.chain.revoke)
    } else if failed(&c.chain.grant) {
        ("grant", &c.chain.grant)
    } else {
        bail!("consent {id}: neither its grant nor its revocation failed on chain; nothing to sign again");
    };
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let unlocked = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;
    let address = |field: &str, value: Option<&str>| -> anyhow::Result<Address> {
        Ok(value.with_context(|| format!("consent {id} has no {field}"))?.parse()?)
    };
    let patient = address("patient_address", c.patient_address.as_deref())?;
    let signing = signing::signing(&api, a.rpc.rpc.as_deref(), patient).await?;
    let consent_id = B256::from(hex32(Some(&c.chain_consent_id), "consent id")?);
    let signer = ConsentSigner::new(unlocked.signer);
    let (nonce, deadline) = (signing.nonce, signing::deadline()?);
    let signature = if kind == "grant" {
        let unix = |t: DateTime<Utc>| u64::try_from(t.timestamp());
        let valid_from = c.valid_from.with_context(|| format!("consent {id} has no valid_from"))?;
        let grant = Grant {
            consentId: consent_id,
            patient,
            grantee: address("grantee_address", c.grantee_address.as_deref())?,
            scopeHash: B256::from(hex32(Some(&c.scope_hash), "scope hash")?),
            validFrom: unix(valid_from)?,
            validUntil: unix(c.data_erase_at)?,
            nonce,
            deadline,
        };
        signer.sign_grant(grant, &signing.domain)?.signature
    } else {
        signer.sign_revoke(Revoke { consentId: consent_id, patient, nonce, deadline }, &signing.domain)?.signature
    };
    let body = ConsentResignBody { nonce, deadline, signature: signing::signature_hex(&signature) };
    let reason = relay.as_ref().and_then(|r| r.failure.clone()).unwrap_or_else(|| "refused".to_owned());
    let v = api.consent_resign(id, &body).await?;
    ctx.print(&v, || format!("signed the {kind} of {id} again (it had failed: {reason}); it is queued for the chain"));
    Ok(())
}
