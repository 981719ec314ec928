//! What every command shares: the global options, the API client, the home directory (keystore,
//! session, trust list), output in human or `--json` form, and secrets from the environment or a
//! prompt.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use pramana_client::Client;
use serde::Serialize;

/// Options every command takes (`--api`, `--home`, `--json`), anywhere on the command line.
#[derive(Debug, clap::Args)]
pub struct GlobalOpts {
    /// API base URL.
    #[arg(long, env = "PRAMANA_API", default_value = "http://127.0.0.1:8080", global = true)]
    pub api: String,
    /// Where the keystore, the session and the trust list live.
    #[arg(long, env = "PRAMANA_HOME", global = true)]
    pub home: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
}

/// A chain to read and the contract to trust on it: what every verifier takes.
#[derive(Debug, Clone, clap::Args)]
pub struct RpcOpts {
    /// Any Ethereum JSON-RPC endpoint of the contract's chain.
    #[arg(long, env = "PRAMANA_RPC")]
    pub rpc: String,
    /// The ConsentRegistry address you trust (else PRAMANA_CONTRACT, else your trust list's
    /// entry for the endpoint's chain: `pramana trust add`). An address named by the evidence
    /// itself is only compared with it.
    #[arg(long)]
    pub contract: Option<String>,
}

/// Where a patient's signature reads its contract nonce from.
#[derive(Debug, Clone, clap::Args)]
pub struct NonceRpcOpts {
    /// JSON-RPC endpoint to read your contract nonce from (default: the platform's public one).
    #[arg(long, env = "PRAMANA_RPC")]
    pub rpc: Option<String>,
}

/// The state of one run.
#[derive(Debug)]
pub struct Ctx {
    /// The API, not signed in (`authed` adds the session's token).
    pub client: Client,
    /// `PRAMANA_HOME`.
    pub home: PathBuf,
    /// `--json`.
    pub json: bool,
}

impl Ctx {
    /// From the global options (`PRAMANA_HOME`, else `~/.pramana`).
    pub fn new(opts: GlobalOpts) -> anyhow::Result<Self> {
        let home = match opts.home {
            Some(h) => h,
            None => PathBuf::from(std::env::var("HOME").context("set PRAMANA_HOME or HOME")?).join(".pramana"),
        };
        Ok(Self { client: Client::new(opts.api), home, json: opts.json })
    }

    /// A byte progress bar on stderr (hidden for `--json` and when stderr is not a terminal).
    pub fn progress(&self, total: u64, what: &'static str) -> indicatif::ProgressBar {
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

    /// The keystore file.
    pub fn keystore_path(&self) -> PathBuf {
        self.home.join("identity.json")
    }

    /// The access token of the session `pramana login` saved (a `TokenResponse`; only the token
    /// is read).
    pub fn token(&self) -> anyhow::Result<String> {
        #[derive(serde::Deserialize)]
        struct Saved {
            access_token: String,
        }
        let text =
            std::fs::read_to_string(self.home.join("session.json")).context("not logged in (run `pramana login`)")?;
        Ok(serde_json::from_str::<Saved>(&text).context("session has no token")?.access_token)
    }

    /// The client signed in with the saved session's access token.
    pub fn authed(&self) -> anyhow::Result<Client> {
        Ok(self.client.authed(self.token()?))
    }

    /// Prints `value` as one line of JSON (`--json`), else `human()`.
    pub fn print(&self, value: &impl Serialize, human: impl FnOnce() -> String) {
        if self.json {
            // Through `Value`, whose keys print sorted: the same bytes whatever the type.
            println!("{}", serde_json::to_value(value).unwrap_or_default());
        } else {
            println!("{}", human());
        }
    }
}

/// A secret from `env`, else asked on the terminal.
pub fn secret(env: &str, prompt: &str) -> anyhow::Result<String> {
    match std::env::var(env) {
        Ok(v) => Ok(v),
        Err(_) => rpassword::prompt_password(prompt).with_context(|| format!("no {env} and no terminal to ask")),
    }
}

/// Writes a file only the owner can read, atomically.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// `calling the API` as the context of a failure to reach it (a refusal speaks for itself).
pub trait CallingTheApi<T> {
    /// The result, with that context on a transport failure.
    fn calling_the_api(self) -> anyhow::Result<T>;
}

impl<T> CallingTheApi<T> for Result<T, pramana_client::ClientError> {
    fn calling_the_api(self) -> anyhow::Result<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e @ pramana_client::ClientError::Transport(_)) => {
                Err(anyhow::Error::from(e).context("calling the API"))
            }
            Err(e) => Err(e.into()),
        }
    }
}
