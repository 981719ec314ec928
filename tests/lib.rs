//! Test harness: spawns the real API on port 0 against a fresh Postgres database per test.
//!
//! Postgres comes from `PRAMANA_TEST_DATABASE_URL`, else `DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres`; each test creates its own database
//! `pramana_t_<uuid>` there (the test script drops old ones before a run).

pub mod consent;

use anyhow::Context as _;
use pramana_api::{Application, Settings};
use pramana_core::AbhaNumber;
use rand::Rng as _;
use serde_json::{Value, json};
use sqlx::{Connection as _, PgConnection, PgPool};

/// Password the harness configures for the bootstrap admin.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// JWT secret the harness configures (tests forge tokens with it).
pub const JWT_SECRET: &str = "test-jwt-secret-that-is-long-enough-0123456789";
/// Password the harness uses for patients it registers.
pub const PATIENT_PASSWORD: &str = "correct horse battery staple";

/// A running API and a handle on its database.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// HTTP client.
    pub http: reqwest::Client,
    /// Direct access to the test's database (for assertions and tampering).
    pub pool: PgPool,
    /// The test database's URL.
    pub database_url: String,
    /// The local object store's directory.
    pub storage_dir: std::path::PathBuf,
    /// The password (or API secret) each access token was obtained with: registering a key asks
    /// for it again.
    passwords: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// A registered, logged-in patient.
#[derive(Debug, Clone)]
pub struct Patient {
    /// Patient id.
    pub id: String,
    /// Their ABHA number.
    pub abha: AbhaNumber,
    /// Access token.
    pub access: String,
    /// Refresh token.
    pub refresh: String,
}

fn server_url() -> String {
    std::env::var("PRAMANA_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates a fresh database and returns its URL.
pub async fn fresh_database() -> anyhow::Result<String> {
    let server = server_url();
    let name = format!("pramana_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&server)
        .await
        .with_context(|| "connecting to the test Postgres server (set PRAMANA_TEST_DATABASE_URL)")?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    let (base, _) = server.rsplit_once('/').context("database URL has no path")?;
    let query = server.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    Ok(format!("{base}/{name}{query}"))
}

/// A random valid ABHA number.
pub fn random_abha() -> AbhaNumber {
    let mut body = [b'0'; 13];
    let mut rng = rand::thread_rng();
    body[0] = b'9';
    body[1] = b'1';
    for d in &mut body[2..] {
        *d = b'0' + rng.gen_range(0..10);
    }
    AbhaNumber::from_body(&body).expect("13 ASCII digits")
}

/// Spawns the API with test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(json!({})).await
}

/// Spawns the API with test settings plus `overrides` (merged per section).
pub async fn spawn_app_with(overrides: Value) -> TestApp {
    let database_url = fresh_database().await.expect("fresh database");
    let storage_dir = std::env::temp_dir().join(format!("pramana-objects-{}", uuid::Uuid::new_v4()));
    let mut config = json!({
        "storage": {"local_dir": storage_dir},
        "server": {"host": "127.0.0.1", "port": 0},
        "database": {"url": database_url, "max_connections": 5},
        "auth": {
            "jwt_secret": JWT_SECRET,
            "admin_password": ADMIN_PASSWORD,
            "rate_limit_per_minute": 10000,
            "rate_limit_burst": 10000,
            "argon2_memory_kib": 8192,
            "argon2_iterations": 1,
        },
        "telemetry": {"log_filter": "warn"},
    });
    merge(&mut config, overrides);
    let settings = Settings::from_overrides(config).expect("test settings");
    let app = Application::build(settings).await.expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let pool = app.state().pool.clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp { base, http: reqwest::Client::new(), pool, database_url, storage_dir, passwords: Default::default() }
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

impl TestApp {
    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POST JSON, optionally with a bearer token.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    /// GET, optionally with a bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    /// PATCH JSON with a bearer token.
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.http.patch(self.url(path)).bearer_auth(token).json(body).send().await.expect("request")
    }

    /// Registers and logs in a new patient.
    pub async fn new_patient(&self) -> Patient {
        let abha = random_abha();
        let r = self
            .post(
                "/v1/auth/register",
                None,
                &json!({"abha_number": abha.hyphenated(), "name": "Asha Rao", "password": PATIENT_PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), 201, "register: {}", r.text().await.unwrap_or_default());
        let body: Value = r.json().await.expect("json");
        let id = body["id"].as_str().expect("id").to_owned();
        let tokens = self.login(abha.as_digits(), PATIENT_PASSWORD).await;
        Patient { id, abha, access: tokens.0, refresh: tokens.1 }
    }

    /// Logs in; panics unless it succeeds. Returns (access, refresh).
    pub async fn login(&self, login: &str, password: &str) -> (String, String) {
        let r = self.post("/v1/auth/login", None, &json!({"login": login, "password": password})).await;
        assert_eq!(r.status(), 200, "login: {}", r.text().await.unwrap_or_default());
        let body: Value = r.json().await.expect("json");
        let access = body["access_token"].as_str().expect("access").to_owned();
        self.passwords.lock().expect("passwords").insert(access.clone(), password.to_owned());
        (access, body["refresh_token"].as_str().expect("refresh").to_owned())
    }

    /// The password (or hospital API secret) `token` was logged in with.
    pub fn password_of(&self, token: &str) -> String {
        self.passwords.lock().expect("passwords").get(token).cloned().expect("a token this harness logged in")
    }

    /// Registers `public_key` of `kind` (`x25519` or `ethereum`) for the holder of `token`, with
    /// its password; the response.
    pub async fn post_key(&self, token: &str, kind: &str, public_key: &str) -> reqwest::Response {
        let body = json!({"kind": kind, "public_key": public_key, "password": self.password_of(token)});
        self.post("/v1/keys", Some(token), &body).await
    }

    /// Registers a hospital with `hfr_id` (as the operator) and logs it in: (access token, id).
    pub async fn new_hospital(&self, hfr_id: &str) -> (String, String) {
        let admin = self.admin_token().await;
        let r =
            self.post("/v1/admin/hospitals", Some(&admin), &json!({"hfr_id": hfr_id, "name": "City Hospital"})).await;
        assert_eq!(r.status(), 201, "register hospital");
        let h: Value = r.json().await.expect("json");
        let (token, _) = self.login(hfr_id, h["api_secret"].as_str().expect("api secret")).await;
        (token, h["hospital"]["id"].as_str().expect("id").to_owned())
    }

    /// The bootstrap admin's access token.
    pub async fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await.0
    }

    /// Creates an auditor account (as the operator) named `username` and logs it in; returns its
    /// access token.
    pub async fn new_auditor(&self, username: &str) -> String {
        let admin = self.admin_token().await;
        let created: Value = self
            .post("/v1/admin/auditors", Some(&admin), &json!({"username": username, "name": "Auditor"}))
            .await
            .json()
            .await
            .expect("auditor created");
        let password = created["password"].as_str().expect("auditor password");
        self.login(username, password).await.0
    }

    /// Number of stored objects and staged (unfinished) uploads.
    pub fn object_counts(&self) -> (usize, usize) {
        let count = |dir: std::path::PathBuf| walk(&dir);
        fn walk(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries.filter_map(Result::ok).map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum()
            })
        }
        (count(self.storage_dir.join("objects")), count(self.storage_dir.join("tmp")))
    }

    /// Row counts of every table, to prove a refused request changed nothing.
    pub async fn table_counts(&self) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        for table in [
            "patients",
            "patient_abha_addresses",
            "hospitals",
            "auditors",
            "credentials",
            "sessions",
            "refresh_tokens",
            "public_keys",
            "audit_log",
            "documents",
            "document_stanzas",
            "anchor_jobs",
            "consents",
            "webhook_endpoints",
            "webhook_events",
            "webhook_attempts",
        ] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&self.pool)
                .await
                .expect("count");
            out.push((table.to_owned(), n));
        }
        let revoked: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL")
            .fetch_one(&self.pool)
            .await
            .expect("count");
        out.push(("sessions_revoked".to_owned(), revoked));
        out
    }
}

/// Asserts an error response: status, `code`, and a non-empty `request_id` equal to the header.
pub async fn assert_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let header_id = r.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body: Value = r.json().await.expect("error body is JSON");
    assert_eq!(body["code"], code, "code in {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "message in {body}");
    let id = body["request_id"].as_str().expect("request_id");
    assert!(!id.is_empty());
    assert_eq!(Some(id.to_owned()), header_id, "request_id matches the header");
    body
}

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

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
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

/// Registers a fresh X25519 identity for the holder of `token` and returns it.
pub async fn register_x25519(app: &TestApp, token: &str) -> pramana_core::envelope::Identity {
    let id = pramana_core::envelope::Identity::generate(&mut pramana_core::envelope::os_rng());
    let r = app.post_key(token, "x25519", &hex::encode(id.recipient().0)).await;
    assert_eq!(r.status(), 201, "register key");
    id
}

/// Seals `data` for document `doc` to `to`, as a client would.
pub fn seal_document(
    doc: uuid::Uuid,
    to: &[pramana_core::envelope::Recipient],
    data: &[u8],
) -> (Vec<u8>, pramana_core::envelope::SealOutput) {
    let mut out = Vec::new();
    let info = pramana_core::envelope::seal(doc.as_bytes(), to, &mut pramana_core::envelope::os_rng(), data, &mut out)
        .expect("seal");
    (out, info)
}

/// The upload query for a sealed document.
pub fn upload_query(info: &pramana_core::envelope::SealOutput, hi_type: &str, care_date: &str) -> String {
    format!(
        "hi_type={hi_type}&care_date={care_date}&plaintext_sha256={}&salt={}&payload_sha256={}",
        hex::encode(info.plaintext_sha256),
        hex::encode(info.salt),
        hex::encode(info.payload_sha256)
    )
}

// ------------------------------------------------------------------ chain and anchoring

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

/// An API and an Anvil chain with ConsentRegistry deployed, the API configured for it.
#[derive(Debug)]
pub struct Platform {
    /// The API.
    pub app: TestApp,
    /// The chain.
    pub anvil: Anvil,
    /// The contract.
    pub contract: alloy::primitives::Address,
}

/// Spawns Anvil, deploys the contract and spawns the API pointed at both.
pub async fn spawn_platform() -> Platform {
    let anvil = spawn_anvil().await.expect("anvil");
    let contract = deploy_registry(&anvil.url).await.expect("deploy");
    let app = spawn_app_with(json!({"chain": {
        "rpc_url": anvil.url, "public_rpc_url": anvil.url, "contract_address": contract.to_string(),
    }}))
    .await;
    Platform { app, anvil, contract }
}

impl Platform {
    /// Worker settings for this platform (`rpc_url` may point at a proxy) plus `overrides`:
    /// anchorer `ANVIL_KEY_1`, one confirmation, no batch wait, health on port 0.
    pub fn worker_settings(&self, rpc_url: &str, overrides: Value) -> Settings {
        let mut config = json!({
            "database": {"url": self.app.database_url, "max_connections": 4},
            "auth": {"jwt_secret": JWT_SECRET},
            "telemetry": {"log_filter": "warn"},
            "worker": {"health_port": 0, "poll_interval_ms": 20, "batch_max_wait_ms": 0},
            "chain": {
                "rpc_url": rpc_url,
                "contract_address": self.contract.to_string(),
                "signer_key": ANVIL_KEY_1,
                "confirmations": 1,
                "stuck_after_secs": 3600,
                "rpc_timeout_secs": 5,
            },
        });
        merge(&mut config, overrides);
        Settings::from_overrides(config).expect("worker settings")
    }

    /// A hospital (HFR id `IN2710000001`) with an Ethereum address (`0x4242…42`) and an X25519
    /// key registered, as a consent needs: its access token and its address.
    pub async fn hospital_with_keys(&self) -> (String, alloy::primitives::Address) {
        let (hospital, _) = self.app.new_hospital("IN2710000001").await;
        let address = alloy::primitives::Address::repeat_byte(0x42);
        consent::register_eth(&self.app, &hospital, address).await;
        register_x25519(&self.app, &hospital).await;
        (hospital, address)
    }

    /// A worker on this platform's chain.
    pub async fn worker(&self, overrides: Value) -> pramana_anchor_worker::Worker {
        pramana_anchor_worker::Worker::build(&self.worker_settings(&self.anvil.url, overrides)).await.expect("worker")
    }

    /// Uploads `n` small documents for `patient` (who has registered `key`), `concurrency` at
    /// a time. Returns each document's id and plaintext.
    pub async fn upload_many(
        &self,
        patient: &Patient,
        key: &pramana_core::envelope::Identity,
        n: usize,
        concurrency: usize,
    ) -> Vec<(uuid::Uuid, Vec<u8>)> {
        use futures::StreamExt as _;
        let recipient = key.recipient();
        futures::stream::iter(0..n)
            .map(|_| async move {
                let doc = uuid::Uuid::new_v4();
                let body = format!("lab report {doc}: haemoglobin {} g/dL", rand::random::<u8>()).into_bytes();
                let (env, info) = seal_document(doc, &[recipient], &body);
                let q = upload_query(&info, "DiagnosticReport", "2026-01-10");
                let r = self
                    .app
                    .http
                    .put(self.app.url(&format!("/v1/documents/{doc}?{q}")))
                    .bearer_auth(&patient.access)
                    .body(env)
                    .send()
                    .await
                    .expect("upload");
                assert_eq!(r.status(), 201, "upload: {}", r.text().await.unwrap_or_default());
                (doc, body)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await
    }
}

/// Steps the worker until nothing is pending or in flight, mining a block whenever a batch
/// waits for confirmations or sits in the pool (automine may be off). Step errors (injected
/// faults) are retried. Returns every outcome.
pub async fn run_worker_until_idle(
    worker: &pramana_anchor_worker::Worker,
    anvil_url: &str,
) -> Vec<pramana_anchor_worker::StepOutcome> {
    use pramana_anchor_worker::StepOutcome;
    let mut outcomes = Vec::new();
    let mut errors = 0;
    for _ in 0..20_000 {
        match worker.step().await {
            Ok(StepOutcome::Idle) => return outcomes,
            Ok(o) => {
                // Confirming, waiting in the pool, or consent messages waiting for their event's
                // block to be deep enough: a new block moves each on.
                if matches!(
                    o,
                    StepOutcome::Confirming { .. } | StepOutcome::Waiting { .. } | StepOutcome::Checked { .. }
                ) {
                    let _ = rpc_call(anvil_url, "evm_mine", json!([])).await;
                }
                if matches!(o, StepOutcome::Contended { .. }) {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                outcomes.push(o);
            }
            Err(e) => {
                errors += 1;
                assert!(errors < 2_000, "the worker keeps failing: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
    panic!("the worker did not become idle: last outcomes {:?}", &outcomes[outcomes.len().saturating_sub(10)..]);
}

/// Checks the anchoring invariants: every anchor job is in exactly one confirmed batch, every
/// confirmed root is on chain exactly once with its leaf count, there is no other root, and
/// every document's proof bundle verifies against the chain with the CLI's verification code.
/// `docs` are the expected documents with their plaintexts.
pub async fn assert_all_anchored_once(platform: &Platform, docs: &[(uuid::Uuid, Vec<u8>)]) {
    assert_anchored_once(platform, docs.len(), docs).await;
}

/// [`assert_all_anchored_once`] for `total` documents, verifying the proofs of `docs` only.
#[allow(clippy::unwrap_used, reason = "an assertion helper: any failure is a test failure")]
pub async fn assert_anchored_once(platform: &Platform, total: usize, docs: &[(uuid::Uuid, Vec<u8>)]) {
    use alloy::providers::{Provider, RootProvider};
    use alloy::rpc::types::Filter;
    use alloy::sol_types::SolEvent as _;
    use pramana_core::chain::ConsentRegistry;
    use sha2::Digest as _;
    let pool = &platform.app.pool;
    let unanchored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM anchor_jobs WHERE anchored_at IS NULL").fetch_one(pool).await.unwrap();
    assert_eq!(unanchored, 0, "every job anchored");
    let jobs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM anchor_jobs WHERE kind = 'document'").fetch_one(pool).await.unwrap();
    assert_eq!(jobs as usize, total, "one job per document");
    // A worker that runs its loop also anchors the access log's tree heads, one leaf each.
    let heads: Vec<Value> =
        sqlx::query_scalar("SELECT proof FROM anchor_jobs WHERE kind = 'audit_head'").fetch_all(pool).await.unwrap();
    let batches: Vec<(Vec<u8>, i32)> = sqlx::query_as(
        "SELECT root, leaf_count FROM anchor_batches WHERE status = 'confirmed' AND kind = 'anchor' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM anchor_batches WHERE status = 'pending'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(pending, 0, "no batch left in flight");
    let docs_total = total;
    let total: i64 = batches.iter().map(|(_, n)| i64::from(*n)).sum();
    assert_eq!(total as usize, docs_total + heads.len(), "batches hold every document (and head) exactly once");
    for head in &heads {
        let anchor: pramana_core::auditlog::HeadAnchor = serde_json::from_value(head.clone()).unwrap();
        let root = anchor.check_offline().unwrap();
        assert!(batches.iter().any(|(r, _)| r[..] == root[..]), "head {} in a confirmed batch", anchor.tree_size);
    }

    let provider = RootProvider::new_http(platform.anvil.url.parse().unwrap());
    let filter = Filter::new()
        .address(platform.contract)
        .event_signature(ConsentRegistry::RootAnchored::SIGNATURE_HASH)
        .from_block(0);
    let logs = provider.get_logs(&filter).await.unwrap();
    let mut on_chain: Vec<(Vec<u8>, u64)> = logs
        .iter()
        .map(|l| {
            let e = ConsentRegistry::RootAnchored::decode_log(&l.inner).unwrap();
            (e.root.to_vec(), e.leafCount)
        })
        .collect();
    let mut expected: Vec<(Vec<u8>, u64)> = batches.iter().map(|(r, n)| (r.clone(), *n as u64)).collect();
    on_chain.sort();
    expected.sort();
    assert_eq!(on_chain, expected, "each confirmed root anchored exactly once on chain, and nothing else");

    for (id, body) in docs {
        let proof: Value = sqlx::query_scalar("SELECT proof FROM anchor_jobs WHERE document_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
        let bundle = pramana_core::proof::ProofBundle::from_json(&proof.to_string()).unwrap();
        let sha: [u8; 32] = sha2::Sha256::digest(body).into();
        let v = bundle.verify_on_chain(&provider, &sha, platform.contract).await.unwrap();
        assert!(v.verified, "document {id}: {:?}", v.problems);
    }
}

/// Spawns the API pointed at `anvil`, after deploying the contract there.
pub async fn spawn_platform_on(anvil: Anvil) -> Platform {
    let contract = deploy_registry(&anvil.url).await.expect("deploy");
    let app = spawn_app_with(json!({"chain": {
        "rpc_url": anvil.url, "public_rpc_url": anvil.url, "contract_address": contract.to_string(),
    }}))
    .await;
    Platform { app, anvil, contract }
}

/// A JSON-RPC proxy in front of a node that fails every `n`-th request (0: none) with HTTP 503:
/// alternately before forwarding it and after (the node acted, the answer is lost); and, when
/// asked, every request that carries a given string (one message's calls, say), before
/// forwarding it.
#[derive(Debug, Clone)]
pub struct FaultyRpc {
    /// The proxy's URL.
    pub url: String,
    fail_every: std::sync::Arc<std::sync::atomic::AtomicU64>,
    fail_containing: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    /// Faults injected so far.
    pub injected: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl FaultyRpc {
    /// Fails every `n`-th request from now on (0: none).
    pub fn fail_every(&self, n: u64) {
        self.fail_every.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Fails every request whose body contains `needle` from now on (`None`: none).
    pub fn fail_containing(&self, needle: Option<&str>) {
        if let Ok(mut n) = self.fail_containing.lock() {
            *n = needle.map(str::to_owned);
        }
    }
}

/// Starts a [`FaultyRpc`] in front of `upstream`.
pub async fn spawn_faulty_rpc(upstream: &str) -> FaultyRpc {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let fail_every = Arc::new(AtomicU64::new(0));
    let fail_containing = Arc::new(std::sync::Mutex::new(None::<String>));
    let injected = Arc::new(AtomicU64::new(0));
    let count = Arc::new(AtomicU64::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (upstream, every, inj, containing) =
        (upstream.to_owned(), fail_every.clone(), injected.clone(), fail_containing.clone());
    let client = reqwest::Client::new();
    const JSON: [(axum::http::HeaderName, &str); 1] = [(axum::http::header::CONTENT_TYPE, "application/json")];
    let handler = move |body: axum::body::Bytes| {
        let (upstream, every, inj, count, client) =
            (upstream.clone(), every.clone(), inj.clone(), count.clone(), client.clone());
        let needle = containing.lock().ok().and_then(|n| n.clone());
        async move {
            if needle.is_some_and(|n| String::from_utf8_lossy(&body).contains(&n)) {
                return (axum::http::StatusCode::SERVICE_UNAVAILABLE, JSON, "injected fault for this call".to_owned());
            }
            let n = every.load(Ordering::SeqCst);
            let i = count.fetch_add(1, Ordering::SeqCst) + 1;
            let fault = n > 0 && i % n == 0;
            let fault_after = fault && inj.fetch_add(1, Ordering::SeqCst) % 2 == 1;
            if fault && !fault_after {
                return (axum::http::StatusCode::SERVICE_UNAVAILABLE, JSON, "injected fault".to_owned());
            }
            let answer = client.post(&upstream).header("content-type", "application/json").body(body).send().await;
            let text = match answer {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(_) => return (axum::http::StatusCode::BAD_GATEWAY, JSON, "upstream down".to_owned()),
            };
            if fault_after {
                return (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    JSON,
                    "injected fault after forwarding".to_owned(),
                );
            }
            (axum::http::StatusCode::OK, JSON, text)
        }
    };
    let router = axum::Router::new().route("/", axum::routing::post(handler));
    tokio::spawn(async move { axum::serve(listener, router).await });
    FaultyRpc { url, fail_every, fail_containing, injected }
}
