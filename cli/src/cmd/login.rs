//! `pramana login`: opens a session (saved in PRAMANA_HOME) and publishes this keystore's keys
//! if the account does not have them yet.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use pramana_client::ClientError;
use pramana_client::wire::{
    KeyCreate, KeyKind, LoginRequest, Role, SecondFactorLoginRequest, TokenResponse, active_key,
};
use serde_json::json;

use crate::ctx::{Ctx, secret, write_private};
use crate::keystore;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// ABHA number, ABHA address, HFR id or username.
    #[arg(long)]
    login: String,
    /// The 6-digit code of the account's authenticator app (or a recovery code), when it has a
    /// second factor; without it, asked on the terminal.
    #[arg(long)]
    totp: Option<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let password = secret("PRAMANA_PASSWORD", "Password: ")?;
    let session = sign_in(ctx, a.login, password.clone(), a.totp).await?;
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

/// The password login, and the second step when the account has a second factor.
async fn sign_in(ctx: &Ctx, login: String, password: String, totp: Option<String>) -> anyhow::Result<TokenResponse> {
    let first = ctx.client.login(&LoginRequest { login, password, refresh_cookie: false }).await;
    let challenge = match first {
        Err(ClientError::Api { body, .. }) if body.code == "second_factor_required" => {
            body.challenge.context("the server asked for a second factor without a challenge")?
        }
        other => return Ok(other?),
    };
    let code = match totp {
        Some(code) => code,
        None if std::io::stdin().is_terminal() => {
            eprint!("Code from your authenticator app (or a recovery code): ");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim().to_owned()
        }
        None => anyhow::bail!(
            "this account has two-factor sign-in: pass --totp CODE (the authenticator app's code, or a recovery code)"
        ),
    };
    Ok(ctx.client.login_second_factor(&SecondFactorLoginRequest { challenge, code, refresh_cookie: false }).await?)
}
