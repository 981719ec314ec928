//! `pramana identity create | restore | show | check | rotate`: the local keystore.

use std::path::PathBuf;

use alloy::primitives::Address;
use anyhow::bail;
use clap::Subcommand;
use pramana_client::wire::{KeyCreate, KeyKind, RotationBody};
use pramana_core::chain::eip712::{ConsentSigner, RotateSigner};
use serde_json::json;

use crate::ctx::{Ctx, NonceRpcOpts, secret};
use crate::{keystore, signing};

#[derive(Debug, Subcommand)]
pub enum IdentityCmd {
    /// Create keys (passphrase from PRAMANA_PASSPHRASE or a prompt) and show their 24-word
    /// recovery phrase, once: write it down; it brings the keys back on any device.
    Create,
    /// Bring keys back from their 24-word recovery phrase (from PRAMANA_RECOVERY_PHRASE or a
    /// prompt) into a new keystore (passphrase from PRAMANA_PASSPHRASE or a prompt).
    Restore,
    /// Show the public keys.
    Show,
    /// Unlock the keystore and check that its secrets match its public keys.
    Check,
    /// (Patient) hand your account to this keystore's Ethereum key: the old keystore's key (the
    /// account's signer now) signs the rotation, and the new key is registered with it. Your
    /// account address stays that of your first key; consents you granted stay revocable.
    Rotate {
        /// The keystore holding the key that signs for the account now (passphrase from
        /// PRAMANA_OLD_PASSPHRASE or a prompt; the account's password from PRAMANA_PASSWORD).
        #[arg(long)]
        old_keystore: PathBuf,
        #[command(flatten)]
        rpc: NonceRpcOpts,
    },
}

impl IdentityCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            Self::Create => {
                let pass = secret("PRAMANA_PASSPHRASE", "New keystore passphrase: ")?;
                let (file, words) = keystore::create(&ctx.keystore_path(), &pass)?;
                let v = json!({"x25519_public": file.x25519_public, "eth_address": file.eth_address, "recovery_phrase": words});
                ctx.print(&v, || {
                    format!(
                        "created {}\nx25519  {}\naddress {}\n\n{}",
                        ctx.keystore_path().display(),
                        file.x25519_public,
                        file.eth_address,
                        phrase_block(&words)
                    )
                });
            }
            Self::Restore => {
                let words = secret("PRAMANA_RECOVERY_PHRASE", "Recovery phrase (24 words): ")?;
                // The phrase is checked before a passphrase is asked for.
                crate::phrase::seed_from_phrase(&words)?;
                let pass = secret("PRAMANA_PASSPHRASE", "New keystore passphrase: ")?;
                let file = keystore::restore(&ctx.keystore_path(), &pass, &words)?;
                let v = json!({"x25519_public": file.x25519_public, "eth_address": file.eth_address});
                ctx.print(&v, || {
                    format!(
                        "restored {}\nx25519  {}\naddress {}\n(these must be the keys your account registered: `pramana ls` opens your documents if they are)",
                        ctx.keystore_path().display(),
                        file.x25519_public,
                        file.eth_address
                    )
                });
            }
            Self::Show => {
                let file = keystore::load(&ctx.keystore_path())?;
                let v = json!({"x25519_public": file.x25519_public, "eth_address": file.eth_address});
                ctx.print(&v, || format!("x25519  {}\naddress {}", file.x25519_public, file.eth_address));
            }
            Self::Check => {
                let file = keystore::load(&ctx.keystore_path())?;
                let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
                let keys = keystore::unlock(&file, &pass)?;
                let ok = hex::encode(keys.identity.recipient().0) == file.x25519_public
                    && keys.signer.address().to_checksum(None) == file.eth_address;
                if !ok {
                    bail!("the keystore's secrets do not match its public keys");
                }
                ctx.print(&json!({"ok": true}), || "keystore unlocks and matches its public keys".to_owned());
            }
            Self::Rotate { old_keystore, rpc } => rotate(ctx, &old_keystore, rpc.rpc.as_deref()).await?,
        }
        Ok(())
    }
}

/// The phrase as a person copies it down: numbered, four to a line, with what it is for.
fn phrase_block(words: &str) -> String {
    let mut out = String::from(
        "Recovery phrase: write these 24 words down, in order, and keep them offline. With them\n\
         `pramana identity restore` brings these keys back on any device; nobody else (Pramana\n\
         included) can. Anyone who has them can open your documents. They are shown only now.\n",
    );
    let words: Vec<&str> = words.split(' ').collect();
    for (row, four) in words.chunks(4).enumerate() {
        let cells: Vec<String> =
            four.iter().enumerate().map(|(i, w)| format!("{:>4}. {w:<10}", row * 4 + i + 1)).collect();
        out.push_str(cells.concat().trim_end());
        out.push('\n');
    }
    out.trim_end().to_owned()
}

/// Hands the account to this keystore's Ethereum key: signs `RotateSigner(account, new key,
/// nonce, deadline)` with the old keystore's key (the account's signer now) and registers the new
/// key with it (the account's password is asked again).
async fn rotate(ctx: &Ctx, old_keystore: &std::path::Path, rpc: Option<&str>) -> anyhow::Result<()> {
    let api = ctx.authed()?;
    let new_signer: Address = keystore::load(&ctx.keystore_path())?.eth_address.parse()?;
    let (account, signer) = signing::account_keys(&api).await?;
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
    let signing = signing::signing(&api, rpc, account).await?;
    let rotation =
        RotateSigner { account, newSigner: new_signer, nonce: signing.nonce, deadline: signing::deadline()? };
    let signed = ConsentSigner::new(old.signer).sign_rotation(rotation.clone(), &signing.domain)?;
    let body = KeyCreate {
        kind: KeyKind::Ethereum,
        public_key: new_signer.to_string().to_lowercase(),
        password: Some(password),
        rotation: Some(RotationBody {
            nonce: rotation.nonce,
            deadline: rotation.deadline,
            signature: signing::signature_hex(&signed.signature),
        }),
    };
    let v = api.key_create(&body).await?;
    // Grants the old key signed stay the patient's own: the new keystore remembers the keys
    // before it (taken from the keystore just unlocked, not from the server).
    let old_file = keystore::load(old_keystore)?;
    let mut file = keystore::load(&ctx.keystore_path())?;
    for a in old_file.previous_signers.iter().chain([&old_file.eth_address]) {
        if !file.previous_signers.contains(a) && *a != file.eth_address {
            file.previous_signers.push(a.clone());
        }
    }
    keystore::save(&ctx.keystore_path(), &file)?;
    ctx.print(&v, || {
        format!("account {account} handed from {active} to {new_signer}; the rotation is queued for the chain")
    });
    Ok(())
}
