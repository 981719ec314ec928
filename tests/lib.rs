//! Test harness: spawns the real API on port 0 against a fresh Postgres database per test.
//!
//! Postgres comes from `PRAMANA_TEST_DATABASE_URL`, else `DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres`; each test creates its own database
//! `pramana_t_<uuid>` there (the test script drops old ones before a run).

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
    TestApp { base, http: reqwest::Client::new(), pool, database_url, storage_dir }
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
        (
            body["access_token"].as_str().expect("access").to_owned(),
            body["refresh_token"].as_str().expect("refresh").to_owned(),
        )
    }

    /// The bootstrap admin's access token.
    pub async fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await.0
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
    let r = app
        .post("/v1/keys", Some(token), &json!({"kind": "x25519", "public_key": hex::encode(id.recipient().0)}))
        .await;
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
