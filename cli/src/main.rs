//! `pramana`: the client patients, hospitals and auditors run on their own machines. Keys never
//! leave it: documents are sealed and opened here, and only envelopes cross the network.

mod approve;
mod archive;
mod audit;
mod auditlog;
mod keystore;
mod trust;
mod verify;

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use futures::StreamExt as _;
use pramana_core::envelope::{self, Recipient, os_rng};
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(name = "pramana", version, about = "Pramana client: end-to-end encrypted medical documents")]
struct Cli {
    /// API base URL.
    #[arg(long, env = "PRAMANA_API", default_value = "http://127.0.0.1:8080", global = true)]
    api: String,
    /// Where the keystore, the session and the trust list live.
    #[arg(long, env = "PRAMANA_HOME", global = true)]
    home: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage the local keystore.
    #[command(subcommand)]
    Identity(IdentityCmd),
    /// Register as a patient (password from PRAMANA_PASSWORD or a prompt).
    Register {
        /// ABHA number, with or without hyphens.
        #[arg(long)]
        abha: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// ABHA addresses (repeatable).
        #[arg(long = "abha-address")]
        abha_addresses: Vec<String>,
    },
    /// Log in (password from PRAMANA_PASSWORD or a prompt) and publish this keystore's keys.
    Login {
        /// ABHA number, ABHA address, HFR id or username.
        #[arg(long)]
        login: String,
    },
    /// Encrypt and upload a file.
    Upload {
        /// The file.
        file: PathBuf,
        /// ABDM HI type, e.g. DiagnosticReport.
        #[arg(long = "type")]
        hi_type: String,
        /// Care date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
    },
    /// List your documents.
    Ls,
    /// Download, decrypt and check a document.
    Download {
        /// Document id.
        id: Uuid,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Delete a document (crypto-shredding).
    Delete {
        /// Document id.
        id: Uuid,
    },
    /// Save a document's proof bundle (available once its batch is anchored and confirmed).
    Proof {
        /// Document id.
        id: Uuid,
        /// Where to write the bundle (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Consents, read from the chain.
    #[command(subcommand)]
    Consent(ConsentCmd),
    /// Rebuild every consent's history from the chain's events, with each one's status now; no
    /// call to the platform unless `--token` asks to compare with it.
    Audit {
        /// Any Ethereum JSON-RPC endpoint of the contract's chain.
        #[arg(long, env = "PRAMANA_RPC")]
        rpc: String,
        /// The ConsentRegistry address you trust (else PRAMANA_CONTRACT, else your trust list's
        /// entry for the endpoint's chain: `pramana trust add`).
        #[arg(long)]
        contract: Option<String>,
        /// First block to read (the deployment block saves time on long chains).
        #[arg(long, default_value_t = 0)]
        from_block: u64,
        /// An auditor's access token: also compare with the platform at `--api` and list every
        /// discrepancy (exit status 1 when there is any).
        #[arg(long, env = "PRAMANA_AUDIT_TOKEN")]
        token: Option<String>,
    },
    /// The access log (docs/audit-log.md).
    #[command(subcommand)]
    AuditLog(AuditLogCmd),
    /// (Patient) download everything the platform holds for you as one archive (envelopes,
    /// metadata, proofs, consents; docs/export.md). Check it with `pramana verify --archive`.
    Export {
        /// Where to write the archive (a tar file).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Check a document against the chain with its proof bundle, or a whole export archive;
    /// no call to the platform. Exit status: 0 verified, 1 not verified, 2 could not check
    /// (bad input, RPC down).
    Verify {
        /// The document (its SHA-256 is computed here).
        #[arg(required_unless_present_any = ["sha256", "archive"], conflicts_with = "sha256")]
        file: Option<PathBuf>,
        /// The document's SHA-256 (64 hex digits), for a verifier that holds only the hash.
        #[arg(long)]
        sha256: Option<String>,
        /// The proof bundle (JSON, docs/proof.md).
        #[arg(long, required_unless_present = "archive")]
        proof: Option<PathBuf>,
        /// A patient's export archive (`pramana export`): every envelope, proof and consent in
        /// it is checked; with the patient's keystore (PRAMANA_HOME, PRAMANA_PASSPHRASE) the
        /// documents are decrypted and their content checked too.
        #[arg(long, conflicts_with_all = ["file", "sha256", "proof"])]
        archive: Option<PathBuf>,
        /// Any Ethereum JSON-RPC endpoint of the bundle's chain.
        #[arg(long, env = "PRAMANA_RPC")]
        rpc: String,
        /// The ConsentRegistry address you trust (else PRAMANA_CONTRACT, else your trust list's
        /// entry for the endpoint's chain: `pramana trust add`). The bundle's or archive's own
        /// address is only compared with it: a different one is not verified.
        #[arg(long)]
        contract: Option<String>,
    },
    /// The ConsentRegistry deployments you trust, one per chain (kept in PRAMANA_HOME): what
    /// `verify`, `audit` and `consent status` check against when `--contract` is not given.
    #[command(subcommand)]
    Trust(TrustCmd),
}

#[derive(Debug, Subcommand)]
enum TrustCmd {
    /// Trust a deployment: the address the operator publishes and its chain id, or the
    /// operator's published deployment record (`deployments/<chain id>.json`).
    Add {
        /// The ConsentRegistry address.
        #[arg(required_unless_present = "deployment")]
        address: Option<String>,
        /// The chain it is on (EIP-155 chain id).
        #[arg(long, required_unless_present = "deployment")]
        chain_id: Option<u64>,
        /// The operator's deployment record (JSON with `chain_id` and `address`).
        #[arg(long, conflicts_with_all = ["address", "chain_id"])]
        deployment: Option<PathBuf>,
    },
    /// The trusted deployments.
    List,
    /// Stop trusting the deployment of a chain.
    Remove {
        /// The chain id.
        #[arg(long)]
        chain_id: u64,
    },
}

#[derive(Debug, Subcommand)]
enum AuditLogCmd {
    /// (Auditor) check the platform's access log against the chain: every anchored tree head is
    /// on chain, the entries rebuild every head, consecutive heads are consistent; names the
    /// first entry that does not fit. Exit status: 0 verified, 1 not, 2 could not check.
    Verify {
        /// An auditor's access token for the platform at `--api`.
        #[arg(long, env = "PRAMANA_AUDIT_TOKEN")]
        token: String,
        /// Any Ethereum JSON-RPC endpoint of the contract's chain.
        #[arg(long, env = "PRAMANA_RPC")]
        rpc: String,
        /// The ConsentRegistry address you trust (else PRAMANA_CONTRACT, else your trust list's
        /// entry for the endpoint's chain).
        #[arg(long)]
        contract: Option<String>,
        /// A file remembering the largest head verified: the next run insists the log still
        /// extends it (written after a run that verifies).
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ConsentCmd {
    /// A consent's status now, read from the chain (unknown, active, not_yet_valid, expired,
    /// revoked).
    Status {
        /// The consent id (0x + 64 hex digits).
        id: String,
        /// The patient's account address (0x…): a consent is the patient's record under the id;
        /// the same id granted by anyone else is another consent.
        #[arg(long)]
        patient: String,
        /// Any Ethereum JSON-RPC endpoint of the contract's chain.
        #[arg(long, env = "PRAMANA_RPC")]
        rpc: String,
        /// The ConsentRegistry address you trust (else PRAMANA_CONTRACT, else your trust list's
        /// entry for the endpoint's chain).
        #[arg(long)]
        contract: Option<String>,
    },
    /// (Hospital) ask a patient for consent.
    Request {
        /// The patient's ABHA number.
        #[arg(long)]
        patient: String,
        /// Purpose: CAREMGT, BTG, PUBHLTH, HPAYMT, DSRCH or PATRQT.
        #[arg(long, default_value = "CAREMGT")]
        purpose: String,
        /// HI types, comma-separated (e.g. DiagnosticReport,Prescription).
        #[arg(long = "types", value_delimiter = ',')]
        hi_types: Vec<String>,
        /// VIEW, STORE, QUERY or STREAM.
        #[arg(long, default_value = "VIEW")]
        access: String,
        /// First care date in scope (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Last care date in scope (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// Days the grant would last (dataEraseAt).
        #[arg(long, default_value_t = 30)]
        days: i64,
        /// Days the patient has to answer.
        #[arg(long, default_value_t = 7)]
        answer_within: i64,
    },
    /// Your consent artefacts (a patient's, or those a hospital requested).
    List,
    /// One artefact.
    Show {
        /// Consent id.
        id: Uuid,
    },
    /// (Patient) grant an open request, for its whole scope or a narrower one: adds a stanza for
    /// the hospital to every document in the granted scope and signs the EIP-712 grant with this
    /// keystore.
    Approve {
        /// Consent id.
        id: Uuid,
        /// JSON-RPC endpoint to read your contract nonce from (default: the platform's public one).
        #[arg(long, env = "PRAMANA_RPC")]
        rpc: Option<String>,
        /// Grant only these of the requested HI types (comma-separated).
        #[arg(long, value_delimiter = ',')]
        types: Option<Vec<String>>,
        /// Grant only records from this care date (YYYY-MM-DD), inside the requested range.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Grant only records up to this care date (YYYY-MM-DD), inside the requested range.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// End the grant after this many days instead of at the requested dataEraseAt.
        #[arg(long)]
        days: Option<i64>,
    },
    /// (Patient) revoke a grant, signed with this keystore; the hospital's access ends at once.
    Revoke {
        /// Consent id.
        id: Uuid,
        /// JSON-RPC endpoint to read your contract nonce from (default: the platform's public one).
        #[arg(long, env = "PRAMANA_RPC")]
        rpc: Option<String>,
    },
    /// (Patient) sign again a grant or revocation the chain refused for good (its chain state is
    /// `failed`, e.g. after you called `incrementNonce` or its deadline passed), with your
    /// current contract nonce; a failed grant gives the hospital no access until then.
    Resign {
        /// Consent id.
        id: Uuid,
        /// JSON-RPC endpoint to read your contract nonce from (default: the platform's public one).
        #[arg(long, env = "PRAMANA_RPC")]
        rpc: Option<String>,
    },
    /// (Patient) refuse an open request.
    Deny {
        /// Consent id.
        id: Uuid,
    },
}

#[derive(Debug, Subcommand)]
enum IdentityCmd {
    /// Create keys (passphrase from PRAMANA_PASSPHRASE or a prompt).
    Create,
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
        /// JSON-RPC endpoint to read the account's contract nonce from (default: the platform's public one).
        #[arg(long, env = "PRAMANA_RPC")]
        rpc: Option<String>,
    },
}

struct Ctx {
    api: String,
    home: PathBuf,
    json: bool,
    http: reqwest::Client,
}

fn secret(env: &str, prompt: &str) -> anyhow::Result<String> {
    match std::env::var(env) {
        Ok(v) => Ok(v),
        Err(_) => rpassword::prompt_password(prompt).with_context(|| format!("no {env} and no terminal to ask")),
    }
}

/// Writes a file only the owner can read, atomically.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

impl Ctx {
    /// A byte progress bar on stderr (hidden for `--json` and when stderr is not a terminal).
    fn progress(&self, total: u64, what: &'static str) -> indicatif::ProgressBar {
        if self.json {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what);
        bar
    }

    fn keystore_path(&self) -> PathBuf {
        self.home.join("identity.json")
    }

    fn session(&self) -> anyhow::Result<Value> {
        let text =
            std::fs::read_to_string(self.home.join("session.json")).context("not logged in (run `pramana login`)")?;
        Ok(serde_json::from_str(&text)?)
    }

    fn token(&self) -> anyhow::Result<String> {
        Ok(self.session()?["access_token"].as_str().context("session has no token")?.to_owned())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api.trim_end_matches('/'))
    }

    fn print(&self, value: &Value, human: impl FnOnce() -> String) {
        if self.json {
            println!("{value}");
        } else {
            println!("{}", human());
        }
    }
}

async fn check(resp: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    bail!(
        "{} ({}): {}",
        body["code"].as_str().unwrap_or("error"),
        status.as_u16(),
        body["message"].as_str().unwrap_or("")
    )
}

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(run()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    let home = match cli.home {
        Some(h) => h,
        None => PathBuf::from(std::env::var("HOME").context("set PRAMANA_HOME or HOME")?).join(".pramana"),
    };
    let ctx = Ctx { api: cli.api, home, json: cli.json, http: reqwest::Client::new() };
    match cli.command {
        Command::Identity(IdentityCmd::Create) => {
            let pass = secret("PRAMANA_PASSPHRASE", "New keystore passphrase: ")?;
            let file = keystore::create(&ctx.keystore_path(), &pass)?;
            let v = json!({"x25519_public": file.x25519_public, "eth_address": file.eth_address});
            ctx.print(&v, || {
                format!(
                    "created {}\nx25519  {}\naddress {}",
                    ctx.keystore_path().display(),
                    file.x25519_public,
                    file.eth_address
                )
            });
        }
        Command::Identity(IdentityCmd::Show) => {
            let file = keystore::load(&ctx.keystore_path())?;
            let v = json!({"x25519_public": file.x25519_public, "eth_address": file.eth_address});
            ctx.print(&v, || format!("x25519  {}\naddress {}", file.x25519_public, file.eth_address));
        }
        Command::Identity(IdentityCmd::Check) => {
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
        Command::Identity(IdentityCmd::Rotate { old_keystore, rpc }) => {
            approve::rotate(&ctx, &old_keystore, rpc.as_deref()).await?;
        }
        Command::Register { abha, name, abha_addresses } => {
            let password = secret("PRAMANA_PASSWORD", "New password: ")?;
            let body =
                json!({"abha_number": abha, "name": name, "abha_addresses": abha_addresses, "password": password});
            let resp = check(ctx.http.post(ctx.url("/v1/auth/register")).json(&body).send().await?).await?;
            let v: Value = resp.json().await?;
            ctx.print(&v, || {
                format!("registered {} ({})", v["abha_number"].as_str().unwrap_or(""), v["id"].as_str().unwrap_or(""))
            });
        }
        Command::Login { login } => {
            let password = secret("PRAMANA_PASSWORD", "Password: ")?;
            let resp = check(
                ctx.http
                    .post(ctx.url("/v1/auth/login"))
                    .json(&json!({"login": login, "password": password}))
                    .send()
                    .await?,
            )
            .await?;
            let session: Value = resp.json().await?;
            std::fs::create_dir_all(&ctx.home)?;
            write_private(&ctx.home.join("session.json"), session.to_string().as_bytes())?;
            // Publish this keystore's keys if the account does not have them yet.
            let file = keystore::load(&ctx.keystore_path())?;
            let token = session["access_token"].as_str().context("no access token")?;
            let keys: Value =
                check(ctx.http.get(ctx.url("/v1/keys")).bearer_auth(token).send().await?).await?.json().await?;
            let active = |kind: &str| -> Option<String> {
                keys.as_array()?
                    .iter()
                    .find(|k| k["kind"] == kind && k["retired_at"].is_null())
                    .and_then(|k| k["public_key"].as_str().map(str::to_lowercase))
            };
            let mut note = String::new();
            for (kind, key) in
                [("x25519", file.x25519_public.to_lowercase()), ("ethereum", file.eth_address.to_lowercase())]
            {
                let current = active(kind);
                if kind == "ethereum" && session["role"] == "patient" && current.as_ref().is_some_and(|c| *c != key) {
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
                    check(
                        ctx.http
                            .post(ctx.url("/v1/keys"))
                            .bearer_auth(token)
                            .json(&json!({"kind": kind, "public_key": key, "password": password}))
                            .send()
                            .await?,
                    )
                    .await?;
                }
            }
            let v = json!({"role": session["role"], "subject_id": session["subject_id"]});
            ctx.print(&v, || {
                format!(
                    "logged in as {} {}{note}",
                    session["role"].as_str().unwrap_or(""),
                    session["subject_id"].as_str().unwrap_or("")
                )
            });
        }
        Command::Upload { file, hi_type, date } => upload(&ctx, &file, &hi_type, &date).await?,
        Command::Ls => {
            let token = ctx.token()?;
            let list: Value =
                check(ctx.http.get(ctx.url("/v1/documents")).bearer_auth(token).send().await?).await?.json().await?;
            ctx.print(&list, || {
                list.as_array()
                    .map(|docs| {
                        docs.iter()
                            .map(|d| {
                                format!(
                                    "{}  {:<20} {}  {:>12} bytes  {}",
                                    d["id"].as_str().unwrap_or(""),
                                    d["hi_type"].as_str().unwrap_or(""),
                                    d["care_date"].as_str().unwrap_or(""),
                                    d["plaintext_size"],
                                    d["anchor_state"].as_str().unwrap_or("")
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default()
            });
        }
        Command::Download { id, output } => download(&ctx, id, &output).await?,
        Command::Delete { id } => {
            let token = ctx.token()?;
            check(ctx.http.delete(ctx.url(&format!("/v1/documents/{id}"))).bearer_auth(token).send().await?).await?;
            ctx.print(&json!({"deleted": id}), || format!("deleted {id}"));
        }
        Command::Proof { id, output } => {
            let token = ctx.token()?;
            let resp =
                check(ctx.http.get(ctx.url(&format!("/v1/documents/{id}/proof"))).bearer_auth(token).send().await?)
                    .await?;
            let bundle = resp.text().await?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &bundle).with_context(|| format!("writing {}", path.display()))?;
                    ctx.print(&json!({"id": id, "proof": path}), || {
                        format!("saved the proof of {id} to {}", path.display())
                    });
                }
                None => println!("{bundle}"),
            }
        }
        Command::Consent(ConsentCmd::Status { id, patient, rpc, contract }) => {
            audit::status(&ctx, &id, &patient, &rpc, contract.as_deref()).await?;
        }
        Command::Consent(ConsentCmd::Request { patient, purpose, hi_types, access, from, to, days, answer_within }) => {
            let now = chrono::Utc::now();
            let body = json!({
                "patient_abha_number": patient, "purpose": purpose, "hi_types": hi_types, "access_mode": access,
                "date_range": {"from": from, "to": to},
                "data_erase_at": (now + chrono::Duration::days(days)).to_rfc3339(),
                "frequency": {"unit": "DAY", "value": 1, "repeats": 0},
                "expires_at": (now + chrono::Duration::days(answer_within)).to_rfc3339(),
            });
            let token = ctx.token()?;
            let v: Value = check(ctx.http.post(ctx.url("/v1/consents")).bearer_auth(token).json(&body).send().await?)
                .await?
                .json()
                .await?;
            ctx.print(&v, || consent_line(&v));
        }
        Command::Consent(ConsentCmd::List) => {
            let token = ctx.token()?;
            let v: Value =
                check(ctx.http.get(ctx.url("/v1/consents")).bearer_auth(token).send().await?).await?.json().await?;
            ctx.print(&v, || {
                v.as_array().map(|l| l.iter().map(consent_line).collect::<Vec<_>>().join("\n")).unwrap_or_default()
            });
        }
        Command::Consent(ConsentCmd::Show { id }) => {
            let token = ctx.token()?;
            let v: Value = check(ctx.http.get(ctx.url(&format!("/v1/consents/{id}"))).bearer_auth(token).send().await?)
                .await?
                .json()
                .await?;
            ctx.print(&v, || serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Command::Consent(ConsentCmd::Approve { id, rpc, types, from, to, days }) => {
            approve::run(&ctx, id, rpc.as_deref(), &approve::Narrowing { types, from, to, days }).await?;
        }
        Command::Consent(ConsentCmd::Revoke { id, rpc }) => approve::revoke(&ctx, id, rpc.as_deref()).await?,
        Command::Consent(ConsentCmd::Resign { id, rpc }) => approve::resign(&ctx, id, rpc.as_deref()).await?,
        Command::Consent(ConsentCmd::Deny { id }) => {
            let token = ctx.token()?;
            let url = ctx.url(&format!("/v1/consents/{id}/deny"));
            let v: Value =
                check(ctx.http.post(url).bearer_auth(token).json(&json!({})).send().await?).await?.json().await?;
            ctx.print(&v, || consent_line(&v));
        }
        Command::Audit { rpc, contract, from_block, token } => {
            return audit::run(&ctx, &rpc, contract.as_deref(), from_block, token.as_deref()).await;
        }
        Command::Trust(TrustCmd::Add { address, chain_id, deployment }) => {
            trust::add(&ctx, address.as_deref(), chain_id, deployment.as_deref())?;
        }
        Command::Trust(TrustCmd::List) => trust::list(&ctx)?,
        Command::Trust(TrustCmd::Remove { chain_id }) => trust::remove(&ctx, chain_id)?,
        Command::AuditLog(AuditLogCmd::Verify { token, rpc, contract, state }) => {
            return auditlog::verify(&ctx, &token, &rpc, contract.as_deref(), state.as_deref()).await;
        }
        Command::Export { output } => archive::download(&ctx, &output).await?,
        Command::Verify { archive: Some(path), rpc, contract, .. } => {
            return archive::verify(&ctx, &path, &rpc, contract.as_deref()).await;
        }
        Command::Verify { file, sha256, proof, rpc, contract, archive: None } => {
            let proof = proof.context("--proof is required")?;
            return verify::run(&ctx, file.as_deref(), sha256.as_deref(), &proof, &rpc, contract.as_deref()).await;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// One line about a consent artefact.
fn consent_line(c: &Value) -> String {
    let s = |k: &str| c[k].as_str().unwrap_or("").to_owned();
    format!(
        "{}  {:<9} {} {:?} care {}..{} until {}",
        s("id"),
        s("status"),
        s("purpose"),
        c["hi_types"].as_array().map(|t| t.iter().filter_map(Value::as_str).collect::<Vec<_>>()).unwrap_or_default(),
        c["date_range"]["from"].as_str().unwrap_or(""),
        c["date_range"]["to"].as_str().unwrap_or(""),
        s("data_erase_at")
    ) + &chain_failures(c)
}

/// What the patient must do about a signed message the chain refused for good.
fn chain_failures(c: &Value) -> String {
    let mut out = String::new();
    for (kind, meaning) in [
        ("grant", "the hospital has no access until you sign it again"),
        ("revoke", "access has ended here, but the chain still shows the consent active"),
    ] {
        if c["chain"][kind]["state"] == "failed" {
            let reason = c["chain"][kind]["failure"].as_str().unwrap_or("refused");
            let id = c["id"].as_str().unwrap_or("");
            out += &format!(
                "\n    ! the chain refused this {kind} ({reason}): {meaning}; run `pramana consent resign {id}`"
            );
        }
    }
    out
}

/// Seals `file` into a temporary envelope (constant memory), then streams it up.
/// The X25519 keys of the hospitals whose active grant covers a document of `hi_type` and care
/// date `date`: a new document in a granted scope is sealed to them too, as a grant would have
/// done had the document existed then.
async fn granted_recipients(ctx: &Ctx, token: &str, hi_type: &str, date: &str) -> anyhow::Result<Vec<Recipient>> {
    let consents: Value =
        check(ctx.http.get(ctx.url("/v1/consents")).bearer_auth(token).send().await?).await?.json().await?;
    let mut out = Vec::new();
    for c in consents.as_array().into_iter().flatten() {
        let covers = c["status"] == "GRANTED"
            && c["hi_types"].as_array().is_some_and(|t| t.iter().any(|t| t == hi_type))
            && c["date_range"]["from"].as_str().is_some_and(|f| f <= date)
            && c["date_range"]["to"].as_str().is_some_and(|t| date <= t);
        if !covers {
            continue;
        }
        let id = c["id"].as_str().unwrap_or("");
        let url = ctx.url(&format!("/v1/consents/{id}/grantee-keys"));
        let keys: Value = check(ctx.http.get(url).bearer_auth(token).send().await?).await?.json().await?;
        let mut pk = [0u8; 32];
        if let Some(hex_key) = keys["x25519_public_key"].as_str()
            && hex::decode_to_slice(hex_key, &mut pk).is_ok()
            && !out.contains(&Recipient(pk))
        {
            out.push(Recipient(pk));
        }
    }
    Ok(out)
}

async fn upload(ctx: &Ctx, file: &Path, hi_type: &str, date: &str) -> anyhow::Result<()> {
    let token = ctx.token()?;
    let keys = keystore::load(&ctx.keystore_path())?;
    let mut pk = [0u8; 32];
    hex::decode_to_slice(&keys.x25519_public, &mut pk).context("keystore public key")?;
    let mut recipients = vec![Recipient(pk)];
    recipients.extend(granted_recipients(ctx, &token, hi_type, date).await?);
    let shared = recipients.len() - 1;
    let id = Uuid::new_v4();
    let tmp = ctx.home.join(format!("upload-{id}.env"));
    let src = file.to_path_buf();
    let dst = tmp.clone();
    let sealed = tokio::task::spawn_blocking(move || -> anyhow::Result<envelope::SealOutput> {
        let input = BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(&src).with_context(|| format!("reading {}", src.display()))?,
        );
        let output = BufWriter::with_capacity(1 << 20, std::fs::File::create(&dst)?);
        Ok(envelope::seal(id.as_bytes(), &recipients, &mut os_rng(), input, output)?)
    })
    .await??;
    let result = async {
        let len = tokio::fs::metadata(&tmp).await?.len();
        let bar = ctx.progress(len, "uploading");
        let sent = bar.clone();
        let stream = tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::open(&tmp).await?, 1 << 20).inspect(
            move |chunk| {
                if let Ok(c) = chunk {
                    sent.inc(c.len() as u64);
                }
            },
        );
        let body = reqwest::Body::wrap_stream(stream);
        let url = ctx.url(&format!(
            "/v1/documents/{id}?hi_type={hi_type}&care_date={date}&plaintext_sha256={}&salt={}&payload_sha256={}",
            hex::encode(sealed.plaintext_sha256),
            hex::encode(sealed.salt),
            hex::encode(sealed.payload_sha256)
        ));
        let resp = ctx
            .http
            .put(url)
            .bearer_auth(&token)
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body)
            .send()
            .await?;
        let doc = check(resp).await?.json::<Value>().await.map_err(anyhow::Error::from);
        bar.finish_and_clear();
        doc
    }
    .await;
    let _ = tokio::fs::remove_file(&tmp).await;
    let doc = result?;
    ctx.print(&doc, || {
        format!(
            "uploaded {id}\nsha256 {}\nsize   {} bytes\nshared with {shared} hospital(s) holding an active grant for it",
            hex::encode(sealed.plaintext_sha256),
            sealed.plaintext_len
        )
    });
    Ok(())
}

/// Streams the envelope to a temporary file, opens it, checks the SHA-256 against the
/// metadata, and only then moves the plaintext into place.
async fn download(ctx: &Ctx, id: Uuid, output: &Path) -> anyhow::Result<()> {
    let token = ctx.token()?;
    let meta: Value = check(ctx.http.get(ctx.url(&format!("/v1/documents/{id}"))).bearer_auth(&token).send().await?)
        .await?
        .json()
        .await?;
    let expected = meta["plaintext_sha256"].as_str().context("metadata has no sha256")?.to_owned();
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let keys = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;

    let env_tmp = ctx.home.join(format!("download-{id}.env"));
    let mut resp =
        check(ctx.http.get(ctx.url(&format!("/v1/documents/{id}/content"))).bearer_auth(&token).send().await?).await?;
    {
        use tokio::io::AsyncWriteExt as _;
        let bar = ctx.progress(resp.content_length().unwrap_or(0), "downloading");
        let mut f = tokio::fs::File::create(&env_tmp).await?;
        while let Some(chunk) = resp.chunk().await? {
            f.write_all(&chunk).await?;
            bar.inc(chunk.len() as u64);
        }
        f.flush().await?;
        bar.finish_and_clear();
    }
    let out_tmp = output.with_extension("pramana-part");
    let (env_path, out_path) = (env_tmp.clone(), out_tmp.clone());
    let opened = tokio::task::spawn_blocking(move || -> anyhow::Result<envelope::OpenOutput> {
        let input = BufReader::with_capacity(1 << 20, std::fs::File::open(&env_path)?);
        let output = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out_path)?);
        Ok(envelope::open(id.as_bytes(), &keys.identity, input, output)?)
    })
    .await?;
    let _ = tokio::fs::remove_file(&env_tmp).await;
    let opened = match opened {
        Ok(o) => o,
        Err(e) => {
            let _ = tokio::fs::remove_file(&out_tmp).await;
            return Err(e);
        }
    };
    if hex::encode(opened.plaintext_sha256) != expected {
        let _ = tokio::fs::remove_file(&out_tmp).await;
        bail!("the decrypted document does not match its recorded SHA-256");
    }
    tokio::fs::rename(&out_tmp, output).await?;
    let v = json!({"id": id, "output": output, "sha256": expected, "size": opened.plaintext_len});
    ctx.print(&v, || format!("downloaded {id} to {} (sha256 {expected} verified)", output.display()));
    Ok(())
}
