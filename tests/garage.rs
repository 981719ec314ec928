//! A throwaway single-node Garage (S3-compatible) server per test.

use anyhow::Context as _;

use crate::free_port;

/// A throwaway single-node Garage (S3-compatible) server for one test, killed on drop.
#[derive(Debug)]
pub struct Garage {
    child: std::process::Child,
    dir: std::path::PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bucket Garage created.
    pub bucket: String,
    /// Access key id.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
}

impl Garage {
    /// The `storage` settings that point the API at this server's bucket.
    pub fn storage_settings(&self) -> serde_json::Value {
        serde_json::json!({
            "backend": "s3",
            "s3_endpoint": self.endpoint,
            "s3_bucket": self.bucket,
            "s3_access_key_id": self.access_key,
            "s3_secret_access_key": self.secret_key,
        })
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn random_hex(n: usize) -> String {
    (0..n).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

/// Starts Garage (`PRAMANA_GARAGE`, else `.tools/garage/bin/garage` as installed by
/// `scripts/garage.sh`) with a fresh bucket and key, and waits until it answers.
pub async fn spawn_garage() -> anyhow::Result<Garage> {
    let bin = std::env::var("PRAMANA_GARAGE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/garage/bin/garage"));
    anyhow::ensure!(bin.exists(), "garage not found at {} (run scripts/garage.sh)", bin.display());
    let dir = std::env::temp_dir().join(format!("pramana-garage-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let (port, rpc) = (free_port()?, free_port()?);
    let config = format!(
        "metadata_dir = \"{d}/meta\"\ndata_dir = \"{d}/data\"\ndb_engine = \"sqlite\"\nreplication_factor = 1\n\
         rpc_bind_addr = \"127.0.0.1:{rpc}\"\nrpc_public_addr = \"127.0.0.1:{rpc}\"\nrpc_secret = \"{secret}\"\n\n\
         [s3_api]\ns3_region = \"us-east-1\"\napi_bind_addr = \"127.0.0.1:{port}\"\n",
        d = dir.display(),
        secret = random_hex(32)
    );
    std::fs::write(dir.join("garage.toml"), config)?;
    let access_key = format!("GK{}", random_hex(12));
    let secret_key = random_hex(32);
    let bucket = "pramana-test".to_owned();
    let log = std::fs::File::create(dir.join("server.log"))?;
    let child = std::process::Command::new(&bin)
        .arg("-c")
        .arg(dir.join("garage.toml"))
        .args(["server", "--single-node", "--default-bucket"])
        .env("GARAGE_DEFAULT_ACCESS_KEY", &access_key)
        .env("GARAGE_DEFAULT_SECRET_KEY", &secret_key)
        .env("GARAGE_DEFAULT_BUCKET", &bucket)
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let garage = Garage { child, dir, endpoint: format!("http://127.0.0.1:{port}"), bucket, access_key, secret_key };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(&garage.endpoint).send().await.is_ok() {
            // The default bucket and key appear once the node's layout is ready.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            return Ok(garage);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("garage did not answer on {}", garage.endpoint)
}
