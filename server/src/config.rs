//! Typed configuration: built-in defaults, then an optional TOML file (`PRAMANA_CONFIG`, else
//! `pramana.toml` if present), then `PRAMANA_<SECTION>__<KEY>` environment variables. Validated
//! once at start-up; secrets are redacted in `Debug` output.

use std::net::IpAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use pramana_core::EthAddress;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Everything the API and the worker need to start.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// HTTP listener and request limits.
    pub server: ServerSettings,
    /// Postgres.
    pub database: DatabaseSettings,
    /// Tokens, passwords and the bootstrap admin.
    pub auth: AuthSettings,
    /// Logging.
    pub telemetry: TelemetrySettings,
    /// The anchor worker.
    pub worker: WorkerSettings,
    /// The chain and the ConsentRegistry deployment.
    pub chain: ChainSettings,
    /// Where encrypted payloads are kept, and how much.
    pub storage: StorageSettings,
    /// Consent webhooks: who may register what, and how the worker delivers.
    pub webhooks: WebhookSettings,
    /// The API's request rate limits.
    pub rate_limit: RateLimitSettings,
    /// ABDM's own ABHA verification (off by default; untested against ABDM).
    pub abdm: AbdmSettings,
    /// Notification mail to patients over SMTP (off unless a host is set).
    pub smtp: SmtpSettings,
}

/// How the worker sends notification mail (docs/notifications.md). Off while `host` is empty:
/// notifications are still recorded in the portal, and mail stays queued until a host is set.
#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    /// The SMTP server; empty: no mail is sent.
    pub host: String,
    /// Its port (587 for STARTTLS, 465 for TLS, 25 or a local test port for plain).
    pub port: u16,
    /// `starttls` (upgrade the connection), `tls` (TLS from the start) or `none` (plain SMTP,
    /// for a server on localhost only).
    pub tls: SmtpTls,
    /// The sender, e.g. `Pramana <no-reply@example.org>`.
    pub from: String,
    /// User name for SMTP AUTH; empty: no authentication.
    pub username: String,
    /// Password for SMTP AUTH.
    pub password: Option<SecretString>,
    /// The portal's address, linked from every mail.
    pub portal_url: String,
    /// Time allowed for one delivery, in seconds.
    pub timeout_secs: u64,
    /// First retry delay in milliseconds; each later one doubles, with jitter.
    pub backoff_base_ms: u64,
    /// Longest delay between two attempts, in seconds.
    pub backoff_cap_secs: u64,
    /// Attempts before a mail is given up as `failed`.
    pub max_attempts: u32,
    /// How often the worker looks for due mail and expiring grants when idle, in milliseconds.
    pub poll_interval_ms: u64,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// STARTTLS, required.
    Starttls,
    /// TLS from the first byte.
    Tls,
    /// No TLS (localhost only).
    None,
}

/// ABDM's ABHA verification by OTP (`api::abdm`). Off by default: the adapter follows ABDM's
/// published API but has never talked to ABDM (no sandbox is reachable here).
#[derive(Debug, Clone, Deserialize)]
pub struct AbdmSettings {
    /// Offer `POST /v1/patients/me/abha-verification/abdm`.
    pub enabled: bool,
    /// ABDM gateway, e.g. `https://dev.abdm.gov.in` (sandbox).
    pub gateway_url: String,
    /// ABHA service, e.g. `https://abhasbx.abdm.gov.in` (sandbox).
    pub abha_url: String,
    /// The consent manager id sent as `X-CM-ID` (`sbx` in the sandbox).
    pub cm_id: String,
    /// The gateway client id ABDM issued.
    pub client_id: String,
    /// Its secret.
    pub client_secret: Option<SecretString>,
}

/// The API's request rate limits (GCRA: a steady rate per minute and a burst). Each API
/// replica keeps its own counters, so with N replicas behind a balancer a client gets up to N
/// times these; put a shared limit in the proxy if that matters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateLimitSettings {
    /// Login attempts per account (successful or not), whichever address they come from.
    pub login_per_account_per_minute: u32,
    /// Burst of login attempts per account.
    pub login_per_account_burst: u32,
    /// Requests to `/v1/auth/*` per client IP (IPv6: per /64): loose, since one hospital's
    /// staff may share one NAT address, but it slows one address spraying many accounts.
    pub auth_per_ip_per_minute: u32,
    /// Burst of `/v1/auth/*` requests per client IP.
    pub auth_per_ip_burst: u32,
    /// Other requests with a valid access token, per subject (patient, hospital, ...).
    pub per_subject_per_minute: u32,
    /// Burst per subject.
    pub per_subject_burst: u32,
    /// Other requests without a valid access token, per client IP (IPv6: per /64).
    pub per_ip_per_minute: u32,
    /// Burst per client IP.
    pub per_ip_burst: u32,
    /// ABHA verifications (codes entered at a desk) per hospital: slows guessing codes.
    pub abha_verify_per_hospital_per_minute: u32,
    /// Burst of ABHA verifications per hospital.
    pub abha_verify_per_hospital_burst: u32,
    /// Most keys (accounts, addresses, subjects) one limiter tracks; beyond it, requests share
    /// one overflow bucket until idle keys are dropped (every minute).
    pub max_keys: usize,
}

/// Consent webhooks (docs/webhooks.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookSettings {
    /// Accept `http://` endpoints and loopback, private and link-local IP addresses (local
    /// development and tests only); otherwise only `https://` to other hosts.
    pub allow_http: bool,
    /// Time allowed for one delivery (connect, send, answer), in seconds.
    pub timeout_secs: u64,
    /// First retry delay in milliseconds; each later one doubles, with jitter.
    pub backoff_base_ms: u64,
    /// Longest delay between two attempts, in seconds.
    pub backoff_cap_secs: u64,
    /// Attempts before a delivery is given up as `failed`.
    pub max_attempts: u32,
    /// Deliveries one worker sends at once.
    pub concurrency: u32,
    /// How often the worker looks for due deliveries and expired grants when idle, in milliseconds.
    pub poll_interval_ms: u64,
}

/// Where encrypted payloads are kept, and how much.
#[derive(Debug, Clone, Deserialize)]
pub struct StorageSettings {
    /// `local` (the only backend so far).
    pub backend: StorageBackend,
    /// Directory for the local backend.
    pub local_dir: PathBuf,
    /// Largest accepted envelope (header and payload), in bytes.
    pub max_document_bytes: u64,
    /// Total payload bytes a patient's record may hold, counting uploads in flight.
    pub quota_bytes_per_patient: u64,
    /// Payload bytes one linked hospital may put into one patient's record (its live uploads
    /// there and those in flight), inside the patient's own quota.
    pub quota_bytes_per_link: u64,
    /// At start-up the API removes staged uploads (staging files, S3 staging objects and
    /// unfinished multipart uploads, quota reservations) older than this many seconds: what a
    /// crash left behind. Must be longer than any upload takes, since other replicas' uploads
    /// in flight look the same.
    pub staging_max_age_secs: u64,
    /// A resumable (tus) upload not finished this many seconds after its creation expires:
    /// its staged bytes are removed and its quota reservation released. At most
    /// `staging_max_age_secs`, which treats older reservations as a crash's leftovers.
    pub upload_expiry_secs: u64,
    /// S3 endpoint URL (Garage, MinIO, …); empty for AWS itself.
    pub s3_endpoint: String,
    /// S3 bucket.
    pub s3_bucket: Option<String>,
    /// S3 region.
    pub s3_region: String,
    /// S3 access key id.
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key.
    pub s3_secret_access_key: Option<SecretString>,
    /// Kubo RPC API URL for backend = ipfs.
    pub ipfs_api_url: String,
}

/// Storage backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// Files under `storage.local_dir`.
    Local,
    /// An S3-compatible bucket (`storage.s3_*`).
    S3,
    /// A Kubo node's RPC API (`storage.ipfs_api_url`), staging under `storage.local_dir`.
    Ipfs,
}

/// HTTP listener and request limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerSettings {
    /// Address to bind.
    pub host: IpAddr,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// Largest JSON request body, in bytes.
    pub max_json_body_bytes: usize,
    /// Time allowed for a request before it is answered 503 — except a document upload, whose
    /// body may take as long as it keeps arriving (see `body_idle_timeout_secs`).
    pub request_timeout_secs: u64,
    /// A document upload whose body sends no bytes for this many seconds is answered 408
    /// `body_idle_timeout` and its staged bytes are removed.
    pub body_idle_timeout_secs: u64,
    /// Seconds to let in-flight requests finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// The built web portal (`npm run build` in `web/`), served at `/`.
    pub web_dir: PathBuf,
}

/// Postgres.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Connection URL; may hold a password, so it is redacted.
    pub url: SecretString,
    /// Pool size.
    pub max_connections: u32,
    /// Apply pending migrations at start-up (the API only; the worker only checks).
    pub run_migrations: bool,
}

/// Tokens, passwords and the bootstrap admin.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HMAC key for access tokens (HS256 only); at least 32 bytes.
    pub jwt_secret: SecretString,
    /// `iss` claim written and required.
    pub issuer: String,
    /// `aud` claim written and required.
    pub audience: String,
    /// Access-token lifetime.
    pub access_token_ttl_secs: u64,
    /// Refresh-token (and session) lifetime.
    pub refresh_token_ttl_secs: u64,
    /// Bootstrap admin login; created or updated at start-up when a password is set.
    pub admin_username: String,
    /// Bootstrap admin password; no admin account exists while this is unset.
    pub admin_password: Option<SecretString>,
    /// Key material that seals TOTP secrets at rest (docs/two-factor.md); at least 32 bytes.
    /// Unset: derived from `jwt_secret` (so rotating that secret needs this set to the old one).
    #[serde(default)]
    pub second_factor_key: Option<SecretString>,
    /// Argon2id memory cost in KiB (OWASP minimum: 19456).
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// Operators (the `admin` role) must have a second factor (TOTP) on: without one, a
    /// signed-in operator may only enrol one (`second_factor_enrolment_required` elsewhere).
    pub require_operator_second_factor: bool,
    /// Hospital staff members (docs/staff.md) must have a second factor on, as operators do
    /// under `require_operator_second_factor`. The hospital's API secret (a machine client) is
    /// not affected.
    pub require_staff_second_factor: bool,
    /// The portal's origin as browsers see it (`https://portal.example.org`): passkey
    /// (WebAuthn) ceremonies from any other origin are refused.
    pub passkey_origin: String,
    /// The WebAuthn relying-party id passkeys are bound to: the origin's host (empty) or a
    /// registrable suffix of it. Changing it later orphans every registered passkey.
    pub passkey_rp_id: String,
}

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TelemetrySettings {
    /// `pretty` for humans, `json` for log collectors.
    pub log_format: LogFormat,
    /// Default `tracing` filter when `RUST_LOG` is unset.
    pub log_filter: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The anchor worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerSettings {
    /// Address for the worker's `/healthz`, `/readyz` and `/metrics`.
    pub health_host: IpAddr,
    /// Port for the worker's health endpoints.
    pub health_port: u16,
    /// How often the worker looks for work when idle, in milliseconds.
    pub poll_interval_ms: u64,
    /// Most documents in one anchored batch (one transaction).
    pub batch_max_size: u32,
    /// Longest a pending document waits for its batch to fill before the batch is sent anyway.
    /// Under load batches fill while the previous one confirms, so they grow on their own.
    pub batch_max_wait_ms: u64,
    /// First delay before a consent message the worker could not settle (its dry run failed,
    /// or its event was not found) is checked again; each later one doubles.
    pub relay_retry_base_secs: u64,
    /// Longest delay between two checks of such a message.
    pub relay_retry_cap_secs: u64,
    /// The access log's sequencer makes a tree head at most this often (milliseconds), unless
    /// `audit_batch_max_size` entries are waiting. Each head is anchored as one more leaf of the
    /// next batch.
    pub audit_head_interval_ms: u64,
    /// Most access-log entries integrated into the tree per head.
    pub audit_batch_max_size: u32,
}

/// The chain and the ConsentRegistry deployment.
#[derive(Debug, Clone, Deserialize)]
pub struct ChainSettings {
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// A JSON-RPC endpoint clients may use to read the chain (a patient's nonce, proofs),
    /// published at `/v1/chain`; none by default (`rpc_url` is often private to the operator).
    pub public_rpc_url: Option<String>,
    /// Chain id the deployment and EIP-712 signatures are for.
    pub chain_id: u64,
    /// ConsentRegistry address; when unset, read from `<deployments_dir>/<chain_id>.json`
    /// (written by `scripts/deploy.sh`).
    pub contract_address: Option<String>,
    /// Where deployment records live.
    pub deployments_dir: PathBuf,
    /// The anchoring account's private key (hex); or use `signer_keystore`.
    pub signer_key: Option<SecretString>,
    /// An encrypted JSON (V3) keystore file holding the anchoring key, e.g. from
    /// `cast wallet import`; its password is `signer_keystore_password`.
    pub signer_keystore: Option<PathBuf>,
    /// Password of `signer_keystore`.
    pub signer_keystore_password: Option<SecretString>,
    /// Blocks, counting the one that includes it, before an anchor is final.
    pub confirmations: u64,
    /// Gas limit of an `anchor(root, leafCount)` transaction (its cost does not depend on the
    /// batch size; about 48,000 is used).
    pub anchor_gas_limit: u64,
    /// The most the worker will bid per gas, in gwei, however long a transaction is stuck.
    pub max_fee_per_gas_gwei: u64,
    /// A transaction not mined after this many seconds is replaced with higher fees.
    pub stuck_after_secs: u64,
    /// Fee increase of a replacement, in percent (at least 10, what nodes require).
    pub fee_bump_percent: u64,
    /// Time allowed for one JSON-RPC request.
    pub rpc_timeout_secs: u64,
    /// How far back from the head, in blocks, the worker looks for the event of a consent
    /// message someone else relayed (the RPC endpoint must serve logs that old).
    pub log_lookback_blocks: u64,
}

impl ChainSettings {
    /// The configured contract address, else the one recorded by the deploy script; `None`
    /// when neither exists.
    pub fn resolve_contract(&self) -> Result<Option<EthAddress>, ConfigError> {
        let raw = match &self.contract_address {
            Some(a) if !a.trim().is_empty() => a.clone(),
            _ => {
                let path = self.deployments_dir.join(format!("{}.json", self.chain_id));
                let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
                let record: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?;
                if record["chain_id"].as_u64() != Some(self.chain_id) {
                    return Err(ConfigError::Invalid(format!(
                        "{}: chain_id does not match chain.chain_id",
                        path.display()
                    )));
                }
                record["address"]
                    .as_str()
                    .ok_or_else(|| ConfigError::Invalid(format!("{}: no address", path.display())))?
                    .to_owned()
            }
        };
        EthAddress::parse(&raw).map(Some).map_err(|e| ConfigError::Invalid(format!("chain.contract_address: {e}")))
    }
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or environment could not be parsed into [`Settings`].
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// A value parsed but is not acceptable.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// The default configuration as TOML; `.env.example` mirrors it.
pub const DEFAULTS_TOML: &str = r#"
[server]
host = "127.0.0.1"
port = 8080
max_json_body_bytes = 65536
request_timeout_secs = 30
body_idle_timeout_secs = 30
shutdown_grace_secs = 10
web_dir = "web/dist"

[database]
url = "postgres://postgres@127.0.0.1:5432/pramana"
max_connections = 10
run_migrations = true

[auth]
issuer = "pramana"
audience = "pramana-api"
access_token_ttl_secs = 900
refresh_token_ttl_secs = 2592000
admin_username = "admin"
argon2_memory_kib = 19456
argon2_iterations = 2
require_operator_second_factor = false
require_staff_second_factor = false
passkey_origin = "http://localhost:8080"
passkey_rp_id = ""

[rate_limit]
login_per_account_per_minute = 5
login_per_account_burst = 10
auth_per_ip_per_minute = 120
auth_per_ip_burst = 60
per_subject_per_minute = 600
per_subject_burst = 300
per_ip_per_minute = 300
per_ip_burst = 100
abha_verify_per_hospital_per_minute = 30
abha_verify_per_hospital_burst = 30
max_keys = 100000

[telemetry]
log_format = "pretty"
log_filter = "info,pramana=debug,tower_http=info,sqlx=warn"

[worker]
health_host = "127.0.0.1"
health_port = 8081
poll_interval_ms = 500
batch_max_size = 1024
batch_max_wait_ms = 1000
relay_retry_base_secs = 30
relay_retry_cap_secs = 3600
audit_head_interval_ms = 10000
audit_batch_max_size = 10000

[storage]
backend = "local"
local_dir = ".local/objects"
max_document_bytes = 1100000000
quota_bytes_per_patient = 10737418240
quota_bytes_per_link = 2147483648
staging_max_age_secs = 86400
upload_expiry_secs = 86400
s3_endpoint = ""
s3_region = "us-east-1"
ipfs_api_url = "http://127.0.0.1:5001"

[webhooks]
allow_http = false
timeout_secs = 10
backoff_base_ms = 1000
backoff_cap_secs = 3600
max_attempts = 20
concurrency = 8
poll_interval_ms = 1000

[smtp]
host = ""
port = 587
tls = "starttls"
from = "no-reply@localhost"
username = ""
portal_url = "http://localhost:8080"
timeout_secs = 15
backoff_base_ms = 30000
backoff_cap_secs = 3600
max_attempts = 20
poll_interval_ms = 1000

[abdm]
enabled = false
gateway_url = "https://dev.abdm.gov.in"
abha_url = "https://abhasbx.abdm.gov.in"
cm_id = "sbx"
client_id = ""

[chain]
rpc_url = "http://127.0.0.1:8545"
chain_id = 31337
deployments_dir = "deployments"
confirmations = 2
anchor_gas_limit = 100000
max_fee_per_gas_gwei = 500
stuck_after_secs = 60
fee_bump_percent = 15
rpc_timeout_secs = 10
log_lookback_blocks = 1000000
"#;

impl Settings {
    /// Loads defaults, the config file, then `PRAMANA_*` variables, and validates the result.
    pub fn load() -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS_TOML));
        let file = std::env::var_os("PRAMANA_CONFIG")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("pramana.toml")).filter(|p| p.exists()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("PRAMANA_").ignore(&["CONFIG"]).split("__"));
        Self::from_figment(&figment)
    }

    /// Builds settings from defaults plus explicit overrides (used by tests and tools).
    pub fn from_overrides(overrides: impl Serialize) -> Result<Self, ConfigError> {
        let figment = Figment::from(Toml::string(DEFAULTS_TOML)).merge(Serialized::defaults(overrides));
        Self::from_figment(&figment)
    }

    fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        // Replaced settings are an error rather than silently ignored.
        for (old, new) in [
            ("auth.rate_limit_per_minute", "rate_limit.auth_per_ip_per_minute"),
            ("auth.rate_limit_burst", "rate_limit.auth_per_ip_burst"),
        ] {
            if figment.find_value(old).is_ok() {
                return Err(ConfigError::Invalid(format!("{old} was replaced by {new} (see the rate_limit section)")));
            }
        }
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what the types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.auth.jwt_secret.expose_secret().len() < 32 {
            return invalid("auth.jwt_secret must be at least 32 bytes (set PRAMANA_AUTH__JWT_SECRET)");
        }
        match url::Url::parse(&self.auth.passkey_origin) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && u.path() == "/" => {}
            _ => return invalid("auth.passkey_origin must be an origin such as https://portal.example.org"),
        }
        if self.abdm.enabled
            && (self.abdm.client_id.is_empty()
                || self.abdm.client_secret.is_none()
                || !self.abdm.gateway_url.starts_with("https://")
                || !self.abdm.abha_url.starts_with("https://"))
        {
            return invalid("abdm.enabled needs abdm.client_id, abdm.client_secret and https gateway_url and abha_url");
        }
        if self.auth.access_token_ttl_secs == 0 || self.auth.access_token_ttl_secs > 3600 {
            return invalid("auth.access_token_ttl_secs must be between 1 and 3600");
        }
        if self.auth.refresh_token_ttl_secs < self.auth.access_token_ttl_secs {
            return invalid("auth.refresh_token_ttl_secs must not be shorter than the access token's");
        }
        if let Some(p) = &self.auth.admin_password
            && p.expose_secret().len() < 12
        {
            return invalid("auth.admin_password must be at least 12 characters");
        }
        if let Some(k) = &self.auth.second_factor_key
            && k.expose_secret().len() < 32
        {
            return invalid("auth.second_factor_key must be at least 32 bytes (set PRAMANA_AUTH__SECOND_FACTOR_KEY)");
        }
        let r = &self.rate_limit;
        if [
            r.login_per_account_per_minute,
            r.login_per_account_burst,
            r.auth_per_ip_per_minute,
            r.auth_per_ip_burst,
            r.per_subject_per_minute,
            r.per_subject_burst,
            r.per_ip_per_minute,
            r.per_ip_burst,
        ]
        .contains(&0)
            || r.max_keys == 0
        {
            return invalid("every rate_limit setting must be positive");
        }
        if self.auth.argon2_memory_kib < 8 * 1024 || self.auth.argon2_iterations == 0 {
            return invalid("auth.argon2_memory_kib must be at least 8192 and argon2_iterations at least 1");
        }
        if self.server.request_timeout_secs == 0 || self.server.body_idle_timeout_secs == 0 {
            return invalid("server.request_timeout_secs and server.body_idle_timeout_secs must be positive");
        }
        if self.server.max_json_body_bytes < 1024 {
            return invalid("server.max_json_body_bytes must be at least 1024");
        }
        if self.storage.quota_bytes_per_link == 0 {
            return invalid("storage.quota_bytes_per_link must be positive");
        }
        if self.storage.max_document_bytes < 1024
            || self.storage.quota_bytes_per_patient < self.storage.max_document_bytes
        {
            return invalid(
                "storage.max_document_bytes must be at least 1024 and not above storage.quota_bytes_per_patient",
            );
        }
        if self.storage.upload_expiry_secs == 0 || self.storage.upload_expiry_secs > self.storage.staging_max_age_secs {
            return invalid("storage.upload_expiry_secs must be positive and not above storage.staging_max_age_secs");
        }
        if self.storage.backend == StorageBackend::S3
            && (self.storage.s3_bucket.is_none()
                || self.storage.s3_access_key_id.is_none()
                || self.storage.s3_secret_access_key.is_none())
        {
            return invalid("storage.backend = s3 needs storage.s3_bucket, s3_access_key_id and s3_secret_access_key");
        }
        if self.chain.chain_id == 0 {
            return invalid("chain.chain_id must be positive");
        }
        let is_http = |u: &str| u.starts_with("http://") || u.starts_with("https://");
        if !is_http(&self.chain.rpc_url) {
            return invalid("chain.rpc_url must be an http(s) URL");
        }
        if self.chain.public_rpc_url.as_deref().is_some_and(|u| !u.trim().is_empty() && !is_http(u)) {
            return invalid("chain.public_rpc_url must be an http(s) URL");
        }
        self.chain.resolve_contract()?;
        if self.chain.confirmations == 0 {
            return invalid("chain.confirmations must be at least 1");
        }
        if self.chain.fee_bump_percent < 10 {
            return invalid("chain.fee_bump_percent must be at least 10 (nodes refuse smaller replacements)");
        }
        if self.chain.max_fee_per_gas_gwei == 0 || self.chain.anchor_gas_limit < 30_000 {
            return invalid("chain.max_fee_per_gas_gwei must be positive and chain.anchor_gas_limit at least 30000");
        }
        if self.chain.rpc_timeout_secs == 0 {
            return invalid("chain.rpc_timeout_secs must be positive");
        }
        if self.chain.signer_key.is_some() && self.chain.signer_keystore.is_some() {
            return invalid("set chain.signer_key or chain.signer_keystore, not both");
        }
        if self.worker.batch_max_size == 0 || self.worker.batch_max_size > 65_536 {
            return invalid("worker.batch_max_size must be between 1 and 65536");
        }
        if self.worker.relay_retry_base_secs == 0
            || self.worker.relay_retry_cap_secs < self.worker.relay_retry_base_secs
        {
            return invalid("worker.relay_retry_base_secs must be positive and not above worker.relay_retry_cap_secs");
        }
        if self.chain.log_lookback_blocks == 0 {
            return invalid("chain.log_lookback_blocks must be positive");
        }
        if self.worker.audit_batch_max_size == 0 || self.worker.audit_batch_max_size > 1_000_000 {
            return invalid("worker.audit_batch_max_size must be between 1 and 1000000");
        }
        let w = &self.webhooks;
        if w.timeout_secs == 0 || w.max_attempts == 0 || w.concurrency == 0 || w.backoff_cap_secs == 0 {
            return invalid("webhooks.timeout_secs, max_attempts, concurrency and backoff_cap_secs must be positive");
        }
        let m = &self.smtp;
        if m.timeout_secs == 0 || m.max_attempts == 0 || m.backoff_cap_secs == 0 {
            return invalid("smtp.timeout_secs, max_attempts and backoff_cap_secs must be positive");
        }
        if !m.host.is_empty() && m.tls == SmtpTls::None && !matches!(m.host.as_str(), "localhost" | "127.0.0.1" | "::1")
        {
            return invalid("smtp.tls = \"none\" is for a server on localhost only");
        }
        if self.database.max_connections == 0 {
            return invalid("database.max_connections must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_only_a_jwt_secret() {
        let err = Settings::from_overrides(serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("jwt_secret"), "{err}");
        let s = Settings::from_overrides(serde_json::json!({"auth": {"jwt_secret": "x".repeat(32)}})).unwrap();
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.telemetry.log_format, LogFormat::Pretty);
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = Settings::from_overrides(serde_json::json!({
            "auth": {"jwt_secret": "super-secret-value-that-is-long-enough", "admin_password": "another-secret-pw"},
            "database": {"url": "postgres://u:dbpassword@h/db"}
        }))
        .unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("super-secret"));
        assert!(!dbg.contains("another-secret"));
        assert!(!dbg.contains("dbpassword"));
    }

    #[test]
    fn contract_address_from_config_or_deployments_file() {
        let dir = std::env::temp_dir().join(format!("pramana-deploy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = serde_json::json!({"auth": {"jwt_secret": "x".repeat(32)}, "chain": {"deployments_dir": dir}});
        let s = Settings::from_overrides(&base).unwrap();
        assert_eq!(s.chain.resolve_contract().unwrap(), None, "no file, no setting");
        std::fs::write(
            dir.join("31337.json"),
            r#"{"chain_id": 31337, "address": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}"#,
        )
        .unwrap();
        let s = Settings::from_overrides(&base).unwrap();
        assert_eq!(
            s.chain.resolve_contract().unwrap().unwrap().to_checksum(),
            "0x5FbDB2315678afecb367f032d93F642f64180aa3"
        );
        let mut with_setting = base;
        with_setting["chain"]["contract_address"] = "0xa460FC9fee404671be62c835d1aa4384EA9Dfc9A".into();
        let s = Settings::from_overrides(&with_setting).unwrap();
        assert_eq!(
            s.chain.resolve_contract().unwrap().unwrap().to_checksum(),
            "0xa460FC9fee404671be62c835d1aa4384EA9Dfc9A"
        );
        with_setting["chain"]["contract_address"] = "0x1234".into();
        assert!(Settings::from_overrides(&with_setting).is_err(), "a bad address stops start-up");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rejects_bad_values() {
        let r = Settings::from_overrides(
            serde_json::json!({"auth": {"jwt_secret": "x".repeat(32), "access_token_ttl_secs": 0}}),
        );
        assert!(r.is_err());
        let r = Settings::from_overrides(
            serde_json::json!({"auth": {"jwt_secret": "x".repeat(32)}, "server": {"port": "eighty"}}),
        );
        assert!(r.is_err());
        let r = Settings::from_overrides(
            serde_json::json!({"auth": {"jwt_secret": "x".repeat(32)}, "rate_limit": {"per_subject_burst": 0}}),
        );
        assert!(r.is_err());
        let err = Settings::from_overrides(
            serde_json::json!({"auth": {"jwt_secret": "x".repeat(32), "rate_limit_per_minute": 30}}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("rate_limit.auth_per_ip_per_minute"), "{err}");
    }
}

#[cfg(test)]
mod env_example_tests {
    use super::*;

    /// `.env.example` must list every setting with the same default as `DEFAULTS_TOML`.
    #[test]
    fn env_example_matches_the_defaults() {
        let example = include_str!("../../.env.example");
        let defaults: toml::Table = DEFAULTS_TOML.parse().unwrap();
        let mut expected = Vec::new();
        for (section, table) in &defaults {
            for (key, value) in table.as_table().unwrap() {
                let value = match value {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                expected.push(format!("PRAMANA_{}__{}={}", section.to_uppercase(), key.to_uppercase(), value));
            }
        }
        for line in &expected {
            assert!(example.lines().any(|l| l == line), ".env.example lacks `{line}`");
        }
        let listed = example.lines().filter(|l| l.starts_with("PRAMANA_")).count();
        // Eleven settings have no default: the JWT secret, the admin password, the TOTP sealing
        // key, the contract address, the public RPC endpoint, the S3 bucket and credentials, and
        // the anchoring key (or keystore and password).
        assert_eq!(listed, expected.len() + 11, ".env.example lists settings that have no default here");
    }
}
