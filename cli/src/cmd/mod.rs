//! The commands, one per file; `Command` is the top level of the command line.

mod abha;
mod audit;
mod audit_log;
mod consent;
mod delete;
mod document;
mod download;
mod export;
mod identity;
mod link;
mod login;
mod ls;
mod proof;
mod records;
mod register;
mod trust;
mod upload;
mod verify;

use std::process::ExitCode;

use clap::Subcommand;

use crate::Ctx;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the local keystore.
    #[command(subcommand)]
    Identity(identity::IdentityCmd),
    /// Register as a patient (password from PRAMANA_PASSWORD or a prompt).
    Register(register::Args),
    /// Log in (password from PRAMANA_PASSWORD or a prompt) and publish this keystore's keys.
    Login(login::Args),
    /// Prove your ABHA number: `code` for the hospital desk, `status`; hospitals `verify`.
    #[command(subcommand)]
    Abha(abha::AbhaCmd),
    /// Encrypt and upload a file; with `--fhir`, a FHIR R4 document Bundle checked against its
    /// NRCeS profile first.
    Upload(upload::Args),
    /// List your documents.
    Ls,
    /// Download, decrypt and check a document.
    Download(download::Args),
    /// Delete a document (crypto-shredding).
    Delete(delete::Args),
    /// A document's header history: list the versions, restore one.
    #[command(subcommand)]
    Document(document::DocumentCmd),
    /// Your health records, read from your FHIR documents on this machine: lab values by test,
    /// medicines, one timeline across hospitals (what the portal's records page shows).
    #[command(subcommand)]
    Records(records::RecordsCmd),
    /// Save a document's proof bundle (available once its batch is anchored and confirmed).
    Proof(proof::Args),
    /// Consents, read from the chain.
    #[command(subcommand)]
    Consent(consent::ConsentCmd),
    /// Which hospitals may add documents to your record.
    #[command(subcommand)]
    Link(link::LinkCmd),
    /// Rebuild every consent's history from the chain's events, with each one's status now; no
    /// call to the platform unless `--token` asks to compare with it.
    Audit(audit::Args),
    /// The access log (docs/audit-log.md).
    #[command(subcommand)]
    AuditLog(audit_log::AuditLogCmd),
    /// (Patient) download everything the platform holds for you as one archive (envelopes,
    /// metadata, proofs, consents; docs/export.md). Check it with `pramana verify --archive`.
    Export(export::Args),
    /// Check a document against the chain with its proof bundle, or a whole export archive;
    /// no call to the platform. Exit status: 0 verified, 1 not verified, 2 could not check
    /// (bad input, RPC down).
    Verify(verify::Args),
    /// The ConsentRegistry deployments you trust, one per chain (kept in PRAMANA_HOME): what
    /// `verify`, `audit` and `consent status` check against when `--contract` is not given.
    #[command(subcommand)]
    Trust(trust::TrustCmd),
}

impl Command {
    /// Runs the command; its exit status.
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<ExitCode> {
        match self {
            Self::Identity(c) => c.run(ctx).await?,
            Self::Register(a) => register::run(ctx, a).await?,
            Self::Login(a) => login::run(ctx, a).await?,
            Self::Abha(c) => c.run(ctx).await?,
            Self::Upload(a) => return upload::run(ctx, a).await,
            Self::Ls => ls::run(ctx).await?,
            Self::Download(a) => download::run(ctx, a).await?,
            Self::Delete(a) => delete::run(ctx, a).await?,
            Self::Document(c) => c.run(ctx).await?,
            Self::Records(c) => c.run(ctx).await?,
            Self::Proof(a) => proof::run(ctx, a).await?,
            Self::Consent(c) => c.run(ctx).await?,
            Self::Link(c) => c.run(ctx).await?,
            Self::Audit(a) => return audit::run(ctx, a).await,
            Self::AuditLog(c) => return c.run(ctx).await,
            Self::Export(a) => export::run(ctx, a).await?,
            Self::Verify(a) => return verify::run(ctx, a).await,
            Self::Trust(c) => c.run(ctx)?,
        }
        Ok(ExitCode::SUCCESS)
    }
}
