//! ABDM's own ABHA verification, behind a trait: a patient proves a number by the OTP ABDM sends
//! to the mobile number registered with it ("login via ABHA number, ABHA (mobile) OTP" in ABDM's
//! ABHA v3 API). Off by default (`[abdm] enabled = false`).
//!
//! **Untested against ABDM**: no ABDM sandbox is reachable from where Pramana is built and
//! tested, so [`AbdmGateway`] follows ABDM's published API (gateway session token, the ABHA
//! service's public certificate, RSA-encrypted login id and OTP) without ever having talked to
//! it. The flow around the trait (a verified number displaces other claims, the number must be
//! the account's own) is the same code the in-person path uses and is tested through a stand-in
//! verifier in the test suite.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::future::BoxFuture;
use pramana_core::AbhaNumber;
use pramana_server::config::AbdmSettings;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::{Oaep, RsaPublicKey};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

/// Why an ABDM verification did not complete.
#[derive(Debug, thiserror::Error)]
pub enum AbdmError {
    /// ABDM refused the OTP or the transaction (a client's mistake: 422).
    #[error("ABDM did not accept this one-time password")]
    Rejected,
    /// ABDM could not be reached or answered in a shape this adapter does not know.
    #[error("ABDM is unavailable: {0}")]
    Unavailable(String),
}

/// Verifies that the person at the client controls an ABHA number, through ABDM.
pub trait AbhaOtpVerifier: Send + Sync + std::fmt::Debug {
    /// Asks ABDM to send an OTP for `number`; returns ABDM's transaction id.
    fn request_otp<'a>(&'a self, number: &'a AbhaNumber) -> BoxFuture<'a, Result<String, AbdmError>>;
    /// Checks the OTP; returns the ABHA numbers of the accounts ABDM says it opened.
    fn confirm_otp<'a>(
        &'a self,
        transaction_id: &'a str,
        otp: &'a str,
    ) -> BoxFuture<'a, Result<Vec<AbhaNumber>, AbdmError>>;
}

/// The configured verifier, if `[abdm] enabled`.
pub fn from_settings(settings: &AbdmSettings) -> anyhow::Result<Option<Arc<dyn AbhaOtpVerifier>>> {
    if !settings.enabled {
        return Ok(None);
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    Ok(Some(Arc::new(AbdmGateway { http, settings: settings.clone() })))
}

/// ABDM's gateway and ABHA service over HTTPS.
#[derive(Debug)]
pub struct AbdmGateway {
    http: reqwest::Client,
    settings: AbdmSettings,
}

const SCOPE: [&str; 2] = ["abha-login", "mobile-verify"];

impl AbdmGateway {
    fn unavailable(e: impl std::fmt::Display) -> AbdmError {
        AbdmError::Unavailable(e.to_string())
    }

    async fn post(&self, url: String, token: Option<&str>, body: Value) -> Result<Value, AbdmError> {
        let mut req = self
            .http
            .post(url)
            .header("REQUEST-ID", uuid::Uuid::new_v4().to_string())
            .header("TIMESTAMP", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .header("X-CM-ID", &self.settings.cm_id)
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.map_err(Self::unavailable)?;
        let status = r.status();
        let text = r.text().await.map_err(Self::unavailable)?;
        if status.is_client_error() {
            tracing::info!(%status, "abdm refused");
            return Err(AbdmError::Rejected);
        }
        if !status.is_success() {
            return Err(AbdmError::Unavailable(format!("HTTP {status}")));
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(Self::unavailable)
    }

    /// The gateway's access token (client credentials).
    async fn session_token(&self) -> Result<String, AbdmError> {
        let body = json!({
            "clientId": self.settings.client_id,
            "clientSecret": self.settings.client_secret.as_ref().map(|s| s.expose_secret().to_owned()).unwrap_or_default(),
            "grantType": "client_credentials",
        });
        let v = self.post(format!("{}/api/hiecm/gateway/v3/sessions", self.settings.gateway_url), None, body).await?;
        v["accessToken"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Self::unavailable("no accessToken in the session response"))
    }

    /// Encrypts `value` to the ABHA service's public key, with the padding its certificate
    /// endpoint names (only RSA-OAEP with SHA-1 is known here; anything else is refused).
    async fn encrypt(&self, token: &str, value: &str) -> Result<String, AbdmError> {
        let r = self
            .http
            .get(format!("{}/abha/api/v3/profile/public/certificate", self.settings.abha_url))
            .bearer_auth(token)
            .header("REQUEST-ID", uuid::Uuid::new_v4().to_string())
            .header("TIMESTAMP", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .send()
            .await
            .map_err(Self::unavailable)?;
        let cert: Value = r.json().await.map_err(Self::unavailable)?;
        let algorithm = cert["encryptionAlgorithm"].as_str().unwrap_or_default();
        if algorithm != "RSA/ECB/OAEPWithSHA-1AndMGF1Padding" {
            return Err(Self::unavailable(format!("unknown encryption algorithm {algorithm:?}")));
        }
        let der = STANDARD.decode(cert["publicKey"].as_str().unwrap_or_default()).map_err(Self::unavailable)?;
        let key = RsaPublicKey::from_public_key_der(&der).map_err(Self::unavailable)?;
        let sealed = key
            .encrypt(&mut rand::rngs::OsRng, Oaep::new::<sha1::Sha1>(), value.as_bytes())
            .map_err(Self::unavailable)?;
        Ok(STANDARD.encode(sealed))
    }
}

impl AbhaOtpVerifier for AbdmGateway {
    fn request_otp<'a>(&'a self, number: &'a AbhaNumber) -> BoxFuture<'a, Result<String, AbdmError>> {
        Box::pin(async move {
            let token = self.session_token().await?;
            let login_id = self.encrypt(&token, &number.hyphenated()).await?;
            let body = json!({"scope": SCOPE, "loginHint": "abha-number", "loginId": login_id, "otpSystem": "abdm"});
            let v = self
                .post(format!("{}/abha/api/v3/profile/login/request/otp", self.settings.abha_url), Some(&token), body)
                .await?;
            v["txnId"].as_str().map(str::to_owned).ok_or_else(|| Self::unavailable("no txnId in the OTP response"))
        })
    }

    fn confirm_otp<'a>(
        &'a self,
        transaction_id: &'a str,
        otp: &'a str,
    ) -> BoxFuture<'a, Result<Vec<AbhaNumber>, AbdmError>> {
        Box::pin(async move {
            let token = self.session_token().await?;
            let otp_value = self.encrypt(&token, otp).await?;
            let body = json!({
                "scope": SCOPE,
                "authData": {"authMethods": ["otp"], "otp": {"txnId": transaction_id, "otpValue": otp_value}},
            });
            let v = self
                .post(format!("{}/abha/api/v3/profile/login/verify", self.settings.abha_url), Some(&token), body)
                .await?;
            if v["authResult"].as_str() != Some("success") {
                return Err(AbdmError::Rejected);
            }
            // A verification answers with an accounts array; read it as plural.
            let accounts = v["accounts"].as_array().cloned().unwrap_or_default();
            Ok(accounts
                .iter()
                .filter_map(|a| a["ABHANumber"].as_str())
                .filter_map(|n| AbhaNumber::parse(n).ok())
                .collect())
        })
    }
}
