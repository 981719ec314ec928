//! `pramana consent revoke ID`: the patient's revocation, signed with the keystore's Ethereum key;
//! then the hospital's wrapped key is taken out of every header of the patient's documents.

use alloy::primitives::{Address, B256};
use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use pramana_client::wire::{ConsentRevokeBody, RemoveRecipient};
use pramana_core::chain::eip712::{ConsentSigner, Revoke};
use pramana_core::envelope::{self, Header, Recipient};
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
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let unlocked = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;
    // The account the grant was signed under (the consent's patient address).
    let patient: Address =
        c.patient_address.as_deref().with_context(|| format!("consent {id} has no patient address"))?.parse()?;
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
    let v = api.consent_revoke(id, &body).await?;

    // Access has ended; now take the hospital's wrapped key out of every header of mine.
    let keys = api.consent_grantee_keys(id).await?;
    let mut rekeyed = 0;
    if let Ok(key) = hex32(keys.x25519_public_key.as_deref(), "hospital X25519 key") {
        let key_id = Recipient(key).key_id();
        for d in api.documents().await? {
            let Some(header) = d.header.as_deref() else { continue };
            let (old, _) = Header::parse(&B64.decode(header)?).context("a stored header does not parse")?;
            if old.stanza(&key_id).is_none() {
                continue;
            }
            let new = envelope::remove_recipient(&old, &unlocked.identity, &key_id)?;
            // The server can only check the structure; check the MAC here before sending.
            envelope::verify_header(&new, &unlocked.identity)
                .with_context(|| format!("the new header of document {} does not verify; not sending it", d.id))?;
            let body = RemoveRecipient { key_id: hex::encode(key_id), header: B64.encode(new.to_bytes()) };
            api.document_remove_recipient(d.id, &body).await?;
            rekeyed += 1;
        }
    }
    ctx.print(&v, || {
        format!("revoked {id}: the hospital's access ended now; its key removed from {rekeyed} document(s)")
    });
    Ok(())
}
