//! `pramana register`: a patient's registration.

use pramana_client::wire::RegisterRequest;

use crate::ctx::{Ctx, secret};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// ABHA number, with or without hyphens.
    #[arg(long)]
    abha: String,
    /// Display name.
    #[arg(long)]
    name: String,
    /// ABHA addresses (repeatable).
    #[arg(long = "abha-address")]
    abha_addresses: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let password = secret("PRAMANA_PASSWORD", "New password: ")?;
    let body = RegisterRequest { abha_number: a.abha, abha_addresses: a.abha_addresses, name: a.name, password };
    let v = ctx.client.register(&body).await?;
    ctx.print(&v, || {
        format!(
            "registered {} ({})\nYour ABHA number is claimed, not yet verified: hospitals can send you consent and link \
             requests once it is. At a registered hospital's desk, run `pramana abha code` and show the code with your ABHA card.",
            v.abha_number, v.id
        )
    });
    Ok(())
}
