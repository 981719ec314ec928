//! A local Anvil chain per test, JSON-RPC calls to it, and the ConsentRegistry deployed on it.

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::free_port;

/// A local Anvil chain for one test, killed on drop.
#[derive(Debug)]
pub struct Anvil {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Anvil's first development account: a public key pair that only ever holds test ether.
pub const ANVIL_KEY_0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Starts Anvil (`PRAMANA_ANVIL`, else `.tools/bin/anvil` as installed by `scripts/tools.sh`) on a
/// free port and waits until it answers.
pub async fn spawn_anvil() -> anyhow::Result<Anvil> {
    let bin = std::env::var("PRAMANA_ANVIL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin/anvil"));
    anyhow::ensure!(bin.exists(), "anvil not found at {} (run scripts/tools.sh)", bin.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = std::process::Command::new(&bin)
        .args(["--port", &port.to_string(), "--silent"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let anvil = Anvil { child, url: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        let ok = http
            .post(&anvil.url)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            return Ok(anvil);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("anvil did not answer on {}", anvil.url)
}

/// Anvil's second development account: the tests' anchorer (the first deploys and owns).
pub const ANVIL_KEY_1: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

impl Anvil {
    /// The port Anvil listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0)
    }

    /// Stops Anvil with SIGTERM (so `--dump-state` is written) and waits for it.
    pub fn stop_gracefully(&mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }

    /// A JSON-RPC call; panics on an RPC error.
    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        rpc_call(&self.url, method, params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
    }
}

/// A JSON-RPC call to `url`.
pub async fn rpc_call(url: &str, method: &str, params: Value) -> anyhow::Result<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let r: Value = reqwest::Client::new().post(url).json(&body).send().await?.json().await?;
    if let Some(e) = r.get("error") {
        anyhow::bail!("{e}");
    }
    Ok(r["result"].clone())
}

/// Starts Anvil with extra arguments on `port` (0: any free port).
pub async fn spawn_anvil_with(port: u16, args: &[&str]) -> anyhow::Result<Anvil> {
    let bin = std::env::var("PRAMANA_ANVIL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin/anvil"));
    anyhow::ensure!(bin.exists(), "anvil not found at {} (run scripts/tools.sh)", bin.display());
    let port = if port == 0 { free_port()? } else { port };
    let child = std::process::Command::new(&bin)
        .args(["--port", &port.to_string(), "--silent"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let anvil = Anvil { child, url: format!("http://127.0.0.1:{port}") };
    for _ in 0..200 {
        if rpc_call(&anvil.url, "eth_chainId", json!([])).await.is_ok() {
            return Ok(anvil);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("anvil did not answer on {}", anvil.url)
}

/// Deploys ConsentRegistry from `ANVIL_KEY_0` and makes `ANVIL_KEY_1`'s account an anchorer.
pub async fn deploy_registry(rpc_url: &str) -> anyhow::Result<alloy::primitives::Address> {
    use alloy::network::EthereumWallet;
    use alloy::providers::ProviderBuilder;
    use alloy::signers::local::PrivateKeySigner;
    let owner: PrivateKeySigner = ANVIL_KEY_0.parse()?;
    let anchorer: PrivateKeySigner = ANVIL_KEY_1.parse()?;
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(owner.clone())).connect_http(rpc_url.parse()?);
    let reg = pramana_core::chain::ConsentRegistry::deploy(&provider, owner.address()).await?;
    reg.setAnchorer(anchorer.address(), true).send().await?.get_receipt().await?;
    Ok(*reg.address())
}
