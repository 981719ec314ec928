//! `pramana consent …`: requests (hospitals), decisions signed on the patient's device, and a
//! consent's status read from the chain.

mod approve;
mod deny;
mod list;
mod request;
mod resign;
mod revoke;
mod show;
mod stanzas;
mod status;

use clap::Subcommand;
use pramana_client::wire::ConsentView;

use crate::Ctx;

#[derive(Debug, Subcommand)]
pub enum ConsentCmd {
    /// A consent's status now, read from the chain (unknown, active, not_yet_valid, expired,
    /// revoked).
    Status(status::Args),
    /// (Hospital) ask a patient for consent.
    Request(request::Args),
    /// Your consent artefacts (a patient's, or those a hospital requested).
    List,
    /// One artefact.
    Show(show::Args),
    /// (Patient) grant an open request, for its whole scope or a narrower one: signs the EIP-712
    /// grant with this keystore, then adds a stanza for the hospital to every document in the
    /// granted scope, page by page. Run again on a granted consent to finish after an
    /// interruption.
    Approve(approve::Args),
    /// (Patient) revoke a grant, signed with this keystore; the hospital's access ends at once,
    /// then its stanza is taken out of your documents page by page. Run again on a revoked
    /// consent to finish after an interruption.
    Revoke(revoke::Args),
    /// (Patient) sign again a grant or revocation the chain refused for good (its chain state is
    /// `failed`, e.g. after you called `incrementNonce` or its deadline passed), with your
    /// current contract nonce; a failed grant gives the hospital no access until then.
    Resign(resign::Args),
    /// (Patient) refuse an open request.
    Deny(deny::Args),
}

impl ConsentCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            Self::Status(a) => status::run(ctx, a).await,
            Self::Request(a) => request::run(ctx, a).await,
            Self::List => list::run(ctx).await,
            Self::Show(a) => show::run(ctx, a).await,
            Self::Approve(a) => approve::run(ctx, a).await,
            Self::Revoke(a) => revoke::run(ctx, a).await,
            Self::Resign(a) => resign::run(ctx, a).await,
            Self::Deny(a) => deny::run(ctx, a).await,
        }
    }
}

/// A time as the API writes it (RFC 3339, `Z`).
fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// One line about a consent artefact.
fn consent_line(c: &ConsentView) -> String {
    format!(
        "{}  {:<9} {} {:?} care {}..{} until {}",
        c.id,
        c.status,
        c.purpose,
        c.hi_types,
        c.date_range.from,
        c.date_range.to,
        rfc3339(c.data_erase_at)
    ) + &chain_failures(c)
}

/// What the patient must do about a signed message the chain refused for good.
fn chain_failures(c: &ConsentView) -> String {
    let mut out = String::new();
    for (kind, relay, meaning) in [
        ("grant", &c.chain.grant, "the hospital has no access until you sign it again"),
        ("revoke", &c.chain.revoke, "access has ended here, but the chain still shows the consent active"),
    ] {
        if let Some(r) = relay.as_ref().filter(|r| r.state == "failed") {
            let reason = r.failure.as_deref().unwrap_or("refused");
            let id = c.id;
            out += &format!(
                "\n    ! the chain refused this {kind} ({reason}): {meaning}; run `pramana consent resign {id}`"
            );
        }
    }
    out
}
