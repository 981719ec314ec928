//! A patient's devices and pairing a new one (docs/devices.md): the new device's public key, the
//! code that commits to it, the keys sealed to it (HPKE, opaque to the server), the list and
//! removal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The new device asks to be paired.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairingCreate {
    /// The new device's X25519 public key, 64 hex digits.
    pub public_key: String,
    /// A name for this device ("Asha's phone"); without one it is named from its browser.
    #[serde(default)]
    pub name: Option<String>,
}

/// A pairing waiting for a device with the keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairingCreated {
    /// Pairing id (the new device polls it).
    pub id: Uuid,
    /// The 12-character code the person types on the other device: a commitment to the public
    /// key, which the new device derives itself and checks against this.
    pub code: String,
    /// When the code stops working (10 minutes).
    pub expires_at: DateTime<Utc>,
}

/// A device with the keys looks a pairing up by its code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairingFind {
    /// The code as typed (case, spaces and dashes ignored).
    pub code: String,
}

/// The pairing a code names: what the device with the keys seals them to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairingFound {
    /// Pairing id.
    pub id: Uuid,
    /// The new device's X25519 public key (64 hex digits); the client checks the code commits
    /// to it before sealing.
    pub public_key: String,
    /// The new device's name.
    pub device_name: String,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

/// The keys, sealed to the new device's public key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairingSeal {
    /// Hex of HPKE's encapsulated key (32 bytes) followed by the AES-256-GCM ciphertext of the
    /// two secrets and any previous signing addresses (docs/devices.md).
    pub sealed: String,
}

/// A pairing as its new device sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairingStatus {
    /// Pairing id.
    pub id: Uuid,
    /// `waiting` (no keys yet), `sealed` (the keys are in `sealed`, given once), `fetched`
    /// (given already) or `expired`.
    pub state: String,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
    /// The sealed keys, hex; only in the one answer whose state is `sealed`.
    pub sealed: Option<String>,
}

/// One of the patient's devices.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    /// Device id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// When it signed in.
    pub created_at: DateTime<Utc>,
    /// When it last signed in or renewed its session.
    pub last_seen_at: DateTime<Utc>,
    /// Whether it is the device making this request.
    pub current: bool,
}

/// The patient's signed-in devices, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    /// The devices.
    pub items: Vec<DeviceView>,
}
