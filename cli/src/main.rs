//! `pramana`: the client patients, hospitals and auditors run on their own machines. Keys never
//! leave it: documents are sealed and opened here, and only envelopes cross the network.
//!
//! One command per file under `cmd/`; what they share is in `ctx` (options, the API client,
//! output) and `signing` (the patient's EIP-712 signatures); `archive`, `audit`, `auditlog`,
//! `trust` and `verify` are the checks the verifying commands run.

mod archive;
mod audit;
mod auditlog;
mod cmd;
mod ctx;
mod fhir;
mod grants;
mod keystore;
mod phrase;
mod signing;
mod trust;
mod verify;

use std::process::ExitCode;

use clap::Parser;

pub(crate) use ctx::Ctx;

#[derive(Debug, Parser)]
#[command(name = "pramana", version, about = "Pramana client: end-to-end encrypted medical documents")]
struct Cli {
    #[command(flatten)]
    global: ctx::GlobalOpts,
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse();
    let run = async {
        let ctx = Ctx::new(cli.global)?;
        cli.command.run(&ctx).await
    };
    match runtime.block_on(run) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
