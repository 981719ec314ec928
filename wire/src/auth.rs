//! `/v1/auth`: registration, login, refresh-token rotation.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A patient's registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 14 digits, with or without hyphens (`XX-XXXX-XXXX-XXXX`); the last is a Luhn check digit.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "91-2345-6789-0129", pattern = r"^([0-9]{14}|[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]{4})$")
    )]
    pub abha_number: String,
    /// ABHA addresses (`name@abdm` / `name@sbx`), at most 16, no two the same. The server also
    /// accepts upper case and lowers it, but then no two may differ in case alone.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeSet<String>, max_items = 16, pattern = r"^[a-z0-9_][a-z0-9._]{0,63}@(abdm|sbx)$"))]
    pub abha_addresses: Vec<String>,
    /// Display name: 1 to 200 characters, not all white space, no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// 12 to 256 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 256))]
    pub password: String,
}

/// Login with an ABHA number or address (patients), an HFR id (hospitals) or a username.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// ABHA number, ABHA address, HFR id or username.
    pub login: String,
    /// Password or hospital API secret.
    pub password: String,
    /// `true` (the web portal): the refresh token is set as an `HttpOnly; Secure;
    /// SameSite=Strict` cookie scoped to `/v1/auth`, with a CSRF cookie beside it, and left out
    /// of the body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_cookie: bool,
}

/// A refresh token to rotate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh; single use. Left out in cookie mode:
    /// the refresh cookie is used, and the `X-CSRF-Token` header must repeat the CSRF cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

pub use pramana_core::Role;

/// Tokens for a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single-use refresh token; using it twice ends the session. Absent in cookie mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The holder's role.
    pub role: Role,
    /// The holder's id.
    pub subject_id: Uuid,
    /// In a guardian's session on their child's account (`subject_id` the child): the
    /// guardian's own patient id (docs/guardians.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian_id: Option<Uuid>,
}

/// The second step of a login: the challenge a password login returned and a code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecondFactorLoginRequest {
    /// The `challenge` of the `second_factor_required` refusal.
    pub challenge: String,
    /// The 6-digit code the authenticator app shows, or an unused recovery code.
    pub code: String,
    /// As in [`LoginRequest`]: the refresh token in cookies instead of the body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_cookie: bool,
}

/// A code proving the caller holds the second factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecondFactorCode {
    /// The 6-digit code the authenticator app shows (turning the factor off also takes an unused
    /// recovery code).
    pub code: String,
}

/// Whether the caller's second factor is on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecondFactorStatus {
    /// The second factor (TOTP) is on: signing in asks for a code.
    pub enabled: bool,
    /// Enrolment was started and waits for its first code.
    pub pending: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// The operator setting requires this account to have a second factor.
    pub required: bool,
    /// Registered passkeys (each is a second factor of its own, beside TOTP).
    #[serde(default)]
    pub passkeys: i64,
}

/// A started enrolment: the secret to put in an authenticator app.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecondFactorSetup {
    /// The shared secret, base32 (RFC 4648, no padding), for typing into an app.
    pub secret: String,
    /// `otpauth://totp/...` with the secret, SHA1, 6 digits, 30 s: for a QR code.
    pub otpauth_uri: String,
}

/// A registered passkey (WebAuthn), as its owner sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeyInfo {
    /// Its id (for removal).
    pub id: Uuid,
    /// The name the owner gave it.
    pub name: String,
    /// When it was added.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Its last accepted sign-in.
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A sign-in showed a signature counter that did not go up: the key may have been copied.
    /// It signs in no more; remove it and add a new one.
    pub possibly_cloned: bool,
}

/// Starts adding a passkey.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegisterStart {
    /// A name to tell it from the account's other passkeys (1 to 64 characters), e.g. "Phone".
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub name: String,
}

/// A ceremony's options for `navigator.credentials.create()` or `.get()`: `{publicKey: {...}}`
/// as WebAuthn defines it, binary fields base64url without padding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeyOptions {
    /// `PublicKeyCredentialCreationOptions` or `PublicKeyCredentialRequestOptions`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    #[serde(rename = "publicKey")]
    pub public_key: serde_json::Value,
}

/// Finishes adding a passkey: the browser's answer to the options.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegisterFinish {
    /// The `PublicKeyCredential` from `navigator.credentials.create()`, as JSON (`id`, `rawId`,
    /// `type`, `response.attestationObject`, `response.clientDataJSON`; binary as base64url).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: serde_json::Value,
}

/// Removes a passkey: the account's password, typed again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyRemove {
    /// The account's current password.
    pub password: String,
}

/// Starts the passkey answer to a `second_factor_required` challenge.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginStart {
    /// The `challenge` of the `second_factor_required` refusal.
    pub challenge: String,
}

/// Finishes a sign-in with a passkey.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginFinish {
    /// The `challenge` of the `second_factor_required` refusal.
    pub challenge: String,
    /// The `PublicKeyCredential` from `navigator.credentials.get()`, as JSON (`id`, `rawId`,
    /// `type`, `response.authenticatorData`, `response.clientDataJSON`, `response.signature`,
    /// `response.userHandle`; binary as base64url).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: serde_json::Value,
    /// As in [`LoginRequest`]: the refresh token in cookies instead of the body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_cookie: bool,
}

/// Recovery codes, shown once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    /// Ten single-use codes; each signs in once instead of a TOTP code. Only their hashes are
    /// kept.
    pub recovery_codes: Vec<String>,
}

/// Asks for a password reset code. It is mailed only when the address is the account's
/// verified email address; the answer is the same either way.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// ABHA number (14 digits, dashes allowed) or ABHA address.
    pub login: String,
    /// The account's verified email address.
    pub email: String,
}

/// Sets a new password with the mailed code. Sign-in only: keys are not on the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// As in [`PasswordResetRequest`].
    pub login: String,
    /// The 8-digit code from the mail.
    pub code: String,
    /// The new password (12 to 256 characters).
    pub password: String,
}
