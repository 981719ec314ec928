//! Hospital staff: invitations, the member list, and the hospital's keys sealed to a member
//! (docs/staff.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An administrator invites a person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffInvite {
    /// The person's name, as colleagues know it.
    #[cfg_attr(feature = "openapi", schema(example = "Dr Asha Rao", min_length = 1, max_length = 200))]
    pub name: String,
    /// `administrator`, `clinician` or `records_clerk`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "clinician", pattern = "^(administrator|clinician|records_clerk)$")
    )]
    pub role: String,
}

/// An administrator changes a member's role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffRoleChange {
    /// `administrator`, `clinician` or `records_clerk`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "records_clerk", pattern = "^(administrator|clinician|records_clerk)$")
    )]
    pub role: String,
}

/// A member of a hospital's staff.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffView {
    /// Id.
    pub id: Uuid,
    /// Their username (absent until they accept the invitation); they sign in as
    /// `<HFR id>/<username>`.
    pub username: Option<String>,
    /// Their name.
    pub name: String,
    /// `administrator`, `clinician` or `records_clerk`.
    pub role: String,
    /// `invited`, `active` or `disabled`.
    pub status: String,
    /// Their own X25519 public key (hex), once they accepted: the hospital's keys are sealed to it.
    pub public_key: Option<String>,
    /// Whether the hospital's keys have been sealed to them.
    pub has_keys: bool,
    /// When the invitation stops working (while `invited`).
    pub invite_expires_at: DateTime<Utc>,
    /// When they were invited.
    pub created_at: DateTime<Utc>,
    /// When they accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When they were disabled.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// An invitation made: the one-time code is shown here once and never again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffInvited {
    /// The new member (status `invited`).
    pub member: StaffView,
    /// The one-time invitation code to hand to the person.
    pub invite_code: String,
}

/// A person accepts their invitation: the username and password they will sign in with, and
/// the public half of the key pair their browser just made.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffAccept {
    /// The invitation code.
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub code: String,
    /// 2 to 32 of lower-case letters, digits, `.`, `_`, `-`, starting with a letter or digit.
    #[cfg_attr(feature = "openapi", schema(example = "asha", pattern = "^[a-z0-9][a-z0-9._-]{1,31}$"))]
    pub username: String,
    /// 12 to 256 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 256))]
    pub password: String,
    /// The member's X25519 public key, 64 hex digits.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-fA-F]{64}$"))]
    pub public_key: String,
}

/// An accepted invitation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffAccepted {
    /// The member.
    pub member: StaffView,
    /// What they sign in with: `<HFR id>/<username>`.
    pub login: String,
}

/// The hospital's secrets sealed to a member's public key by an administrator's browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffKeysSeal {
    /// 112 bytes as 224 hex digits: the HPKE encapsulated key (32) and the sealed secrets with
    /// their tag (80), in the format of docs/staff.md.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-fA-F]{224}$"))]
    pub sealed_keys: String,
    /// The member's public key the secrets were sealed to (must be the one registered).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-fA-F]{64}$"))]
    pub public_key: String,
}

/// The caller's sealed hospital secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffKeys {
    /// As sealed (224 hex digits).
    pub sealed_keys: String,
    /// The member's public key they are sealed to.
    pub public_key: String,
    /// When they were sealed.
    pub sealed_at: DateTime<Utc>,
}
