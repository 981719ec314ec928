//! `pramana consent revoke ID`: the patient's revocation, signed with the keystore's Ethereum key
//! (the hospital's access ends at once); then the hospital's wrapped key is taken out of every
//! header of the patient's documents, page by page. Run again on a consent already revoked (or
//! ended), it only finishes taking the key out.

use alloy::primitives::{Address, B256};
use anyhow::{Context as _, bail};
use pramana_client::wire::ConsentRevokeBody;
use pramana_core::chain::eip712::{ConsentSigner, Revoke};
use pramana_core::envelope::Recipient;
use uuid::Uuid;

use super::stanzas::{self, Change, thousands};
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
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let unlocked = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;
    let status = c.status.clone();
    let v = match status.as_str() {
        "GRANTED" => {
            // The account the grant was signed under (the consent's patient address).
            let patient: Address = c
                .patient_address
                .as_deref()
                .with_context(|| format!("consent {id} has no patient address"))?
                .parse()?;
            let signing = signing::signing(&api, a.rpc.rpc.as_deref(), patient).await?;
            let revoke = Revoke {
                consentId: B256::from(hex32(Some(&c.chain_consent_id), "consent id")?),
                patient,
                nonce: signing.nonce,
                deadline: signing::deadline()?,
            };
            let signed = ConsentSigner::new(unlocked.signer.clone()).sign_revoke(revoke.clone(), &signing.domain)?;
            let body = ConsentRevokeBody {
                nonce: revoke.nonce,
                deadline: revoke.deadline,
                signature: signing::signature_hex(&signed.signature),
            };
            api.consent_revoke(id, &body).await?
        }
        // Finishing a revocation (or cleaning up after an ended grant): nothing to sign.
        "REVOKED" | "EXPIRED" if c.patient_address.is_some() => c,
        other => bail!("consent {id} is {other}, not a grant"),
    };

    // Access has ended; now take the hospital's wrapped key out of every header of mine.
    let keys = api.consent_grantee_keys(id).await?;
    let mut removed = 0;
    if let Ok(key) = hex32(keys.x25519_public_key.as_deref(), "hospital X25519 key") {
        let key_id = Recipient(key).key_id();
        let report = stanzas::run(&api, id, &unlocked.identity, Change::Remove(key_id), ctx.json).await?;
        if !report.skipped.is_empty() {
            eprintln!(
                "warning: the hospital's key stays in {} document(s) this keystore cannot open (access ended all \
                 the same); run `pramana consent revoke {id}` again with the keystore that holds their key:\n{}",
                report.skipped.len(),
                report.skipped_lines()
            );
        }
        removed = report.changed;
    }
    ctx.print(&v, || {
        format!(
            "revoked {id}: the hospital's access ended; its key removed from {} document(s)",
            thousands(i64::try_from(removed).unwrap_or(i64::MAX))
        )
    });
    Ok(())
}
