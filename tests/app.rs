//! The API under test: a fresh database per test, the real `Application` on port 0, a typed
//! client for it (`TestApp::client`, `client_as`) and raw requests for what a client would never
//! send (`post`, `get`, `patch`, `http`).

use anyhow::Context as _;
use pramana_api::{Application, Settings};
use pramana_client::Client;
use pramana_core::AbhaNumber;
use pramana_wire::{AbhaVerifyRequest, AuditorCreate, HospitalCreate, LoginRequest, RegisterRequest};
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
    /// A hospital desk that verifies the ABHA numbers of patients [`TestApp::new_patient`]
    /// makes (registered on first use): its access token.
    desk: tokio::sync::OnceCell<String>,
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
    spawn_app_on(database_url, storage_dir, overrides).await
}

/// Spawns the API on an existing database and object store directory.
async fn spawn_app_on(database_url: String, storage_dir: std::path::PathBuf, overrides: Value) -> TestApp {
    let mut config = json!({
        "storage": {"local_dir": storage_dir},
        "server": {"host": "127.0.0.1", "port": 0, "web_dir": concat!(env!("CARGO_MANIFEST_DIR"), "/../web/dist")},
        "database": {"url": database_url, "max_connections": 5},
        "auth": {
            "jwt_secret": JWT_SECRET,
            "admin_password": ADMIN_PASSWORD,
            "argon2_memory_kib": 8192,
            "argon2_iterations": 1,
        },
        // Limits no test reaches unless it sets its own (tests/e2e/limits.rs).
        "rate_limit": {
            "login_per_account_per_minute": 10000,
            "login_per_account_burst": 10000,
            "auth_per_ip_per_minute": 10000,
            "auth_per_ip_burst": 10000,
            "per_subject_per_minute": 100000,
            "per_subject_burst": 100000,
            "per_ip_per_minute": 100000,
            "per_ip_burst": 100000,
        },
        "telemetry": {"log_filter": "warn"},
    });
    merge(&mut config, overrides);
    let settings = Settings::from_overrides(config).expect("test settings");
    let app = Application::build(settings).await.expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let pool = app.state().pool.clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        base,
        http: reqwest::Client::new(),
        pool,
        database_url,
        storage_dir,
        passwords: Default::default(),
        desk: Default::default(),
    }
}

/// Merges `from` into `into`, object by object.
pub(crate) fn merge(into: &mut Value, from: Value) {
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
    /// Another API on this one's database and object store, with `overrides`: what a restart
    /// (or a second replica) finds. Its own start-up runs (migrations, the staging sweep).
    pub async fn restart_with(&self, overrides: Value) -> TestApp {
        spawn_app_on(self.database_url.clone(), self.storage_dir.clone(), overrides).await
    }

    /// A typed client of this API, not signed in.
    pub fn client(&self) -> Client {
        Client::with_http(self.http.clone(), &self.base)
    }

    /// A typed client of this API signed in with `token`.
    pub fn client_as(&self, token: &str) -> Client {
        self.client().authed(token)
    }

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

    /// Registers and logs in a new patient whose ABHA number is verified (by a hospital desk the
    /// harness registers once), so consent and link requests reach them.
    pub async fn new_patient(&self) -> Patient {
        let patient = self.new_claimed_patient().await;
        let code =
            self.client_as(&patient.access).abha_code_create().await.unwrap_or_else(|e| panic!("abha code: {e}"));
        self.desk_verify(&patient.abha, &code.code).await;
        patient
    }

    /// Staff at the harness's hospital desk (registered on first use) enter `code` for `abha`.
    pub async fn desk_verify(&self, abha: &AbhaNumber, code: &str) {
        let desk = self
            .desk
            .get_or_init(|| async {
                let hfr = format!("IN99{:08}", rand::thread_rng().gen_range(0..100_000_000u32));
                self.new_hospital(&hfr).await.0
            })
            .await;
        let body = AbhaVerifyRequest { abha_number: abha.hyphenated(), code: code.to_owned() };
        self.client_as(desk).abha_verify(&body).await.unwrap_or_else(|e| panic!("abha verify: {e}"));
    }

    /// Registers and logs in a new patient whose ABHA number is only claimed.
    pub async fn new_claimed_patient(&self) -> Patient {
        let abha = random_abha();
        let body = RegisterRequest {
            abha_number: abha.hyphenated(),
            abha_addresses: Vec::new(),
            name: "Asha Rao".to_owned(),
            password: PATIENT_PASSWORD.to_owned(),
        };
        let created = self.client().register(&body).await.unwrap_or_else(|e| panic!("register: {e}"));
        let id = created.id.to_string();
        let tokens = self.login(abha.as_digits(), PATIENT_PASSWORD).await;
        Patient { id, abha, access: tokens.0, refresh: tokens.1 }
    }

    /// Logs in; panics unless it succeeds. Returns (access, refresh).
    pub async fn login(&self, login: &str, password: &str) -> (String, String) {
        let body = LoginRequest { login: login.to_owned(), password: password.to_owned(), refresh_cookie: false };
        let tokens = self.client().login(&body).await.unwrap_or_else(|e| panic!("login: {e}"));
        self.passwords.lock().expect("passwords").insert(tokens.access_token.clone(), password.to_owned());
        (tokens.access_token, tokens.refresh_token.expect("a refresh token in the body"))
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
        let admin = self.client_as(&self.admin_token().await);
        let body = HospitalCreate { hfr_id: hfr_id.to_owned(), name: "City Hospital".to_owned() };
        let h = admin.hospital_create(&body).await.unwrap_or_else(|e| panic!("register hospital: {e}"));
        let (token, _) = self.login(hfr_id, &h.api_secret).await;
        (token, h.hospital.id.to_string())
    }

    /// Links hospital `hospital` (its access token) to `patient`'s record: the hospital asks, the
    /// patient approves. Returns the link's id.
    pub async fn link(&self, hospital: &str, patient: &Patient) -> String {
        let r = self
            .post("/v1/links", Some(hospital), &serde_json::json!({"patient_abha_number": patient.abha.as_digits()}))
            .await;
        assert_eq!(r.status(), 201, "link requested");
        let link: serde_json::Value = r.json().await.expect("link");
        let id = link["id"].as_str().expect("link id").to_owned();
        let r = self.post(&format!("/v1/links/{id}/approve"), Some(&patient.access), &serde_json::json!({})).await;
        assert_eq!(r.status(), 200, "link approved");
        id
    }

    /// The bootstrap admin's access token.
    pub async fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await.0
    }

    /// Creates an auditor account (as the operator) named `username` and logs it in; returns its
    /// access token.
    pub async fn new_auditor(&self, username: &str) -> String {
        let admin = self.client_as(&self.admin_token().await);
        let body = AuditorCreate { username: username.to_owned(), name: "Auditor".to_owned() };
        let created = admin.auditor_create(&body).await.expect("auditor created");
        self.login(username, &created.password).await.0
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

    /// Row counts of every table in the schema (read from the catalogue, so a new table is
    /// counted too), and of revoked sessions, to prove a refused request changed nothing.
    pub async fn table_counts(&self) -> Vec<(String, i64)> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables
              WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        )
        .fetch_all(&self.pool)
        .await
        .expect("tables");
        let mut out = Vec::with_capacity(tables.len() + 1);
        for table in tables {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\""))
                .fetch_one(&self.pool)
                .await
                .expect("count");
            out.push((table, n));
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

/// The upload query for a sealed document, typed.
pub fn upload_params(
    info: &pramana_core::envelope::SealOutput,
    hi_type: &str,
    care_date: &str,
) -> pramana_wire::UploadQuery {
    pramana_wire::UploadQuery {
        hi_type: hi_type.to_owned(),
        care_date: care_date.to_owned(),
        plaintext_sha256: hex::encode(info.plaintext_sha256),
        salt: hex::encode(info.salt),
        payload_sha256: hex::encode(info.payload_sha256),
        patient_id: None,
    }
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

/// Asserts a typed call was refused: status, `code`, a message, and a non-empty `request_id`
/// equal to the `x-request-id` header (what [`assert_error`] checks of a raw response).
pub fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, pramana_client::ClientError>,
    status: u16,
    code: &str,
) -> pramana_wire::ErrorBody {
    match result {
        Err(pramana_client::ClientError::Api { status: got, body, request_id }) => {
            assert_eq!(got.as_u16(), status, "status of {body:?}");
            assert_eq!(body.code, code, "code in {body:?}");
            assert!(!body.message.is_empty(), "message in {body:?}");
            assert!(!body.request_id.is_empty(), "request_id in {body:?}");
            assert_eq!(Some(&body.request_id), request_id.as_ref(), "request_id matches the header");
            body
        }
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}
