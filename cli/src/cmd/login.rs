//! `pramana login`: opens a session (saved in PRAMANA_HOME) and publishes this keystore's keys
//! if the account does not have them yet.

use pramana_client::wire::{KeyCreate, KeyKind, LoginRequest, Role, active_key};
use serde_json::json;

use crate::ctx::{Ctx, secret, write_private};
use crate::keystore;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// ABHA number, ABHA address, HFR id or username.
    #[arg(long)]
    login: String,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let password = secret("PRAMANA_PASSWORD", "Password: ")?;
    let session =
        ctx.client.login(&LoginRequest { login: a.login, password: password.clone(), refresh_cookie: false }).await?;
    std::fs::create_dir_all(&ctx.home)?;
    write_private(&ctx.home.join("session.json"), serde_json::to_value(&session)?.to_string().as_bytes())?;
    // Publish this keystore's keys if the account does not have them yet.
    let file = keystore::load(&ctx.keystore_path())?;
    let api = ctx.client.authed(&session.access_token);
    let keys = api.keys().await?;
    let mut note = String::new();
    for (kind, key) in
        [(KeyKind::X25519, file.x25519_public.to_lowercase()), (KeyKind::Ethereum, file.eth_address.to_lowercase())]
    {
        let current = active_key(&keys, kind).map(|k| k.public_key.to_lowercase());
        if kind == KeyKind::Ethereum && session.role == Role::Patient && current.as_ref().is_some_and(|c| *c != key) {
            // A patient's new signing key takes over the account only with a rotation
            // signed by the key it replaces, which this keystore does not hold.
            note = format!(
                "\nyour account's Ethereum key is {}, not this keystore's: sign a hand-over with \
                 `pramana identity rotate --old-keystore FILE`",
                current.unwrap_or_default()
            );
            continue;
        }
        if current.as_deref() != Some(key.as_str()) {
            let body = KeyCreate { kind, public_key: key, password: Some(password.clone()), rotation: None };
            api.key_create(&body).await?;
        }
    }
    let v = json!({"role": session.role, "subject_id": session.subject_id});
    ctx.print(&v, || format!("logged in as {} {}{note}", session.role.as_str(), session.subject_id));
    Ok(())
}
