//! Notifications to patients: the in-portal list, the unread count, the email address with its
//! verification, and the per-kind email switches (docs/notifications.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One notification.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationView {
    /// Id.
    pub id: Uuid,
    /// `consent_requested`, `document_added`, `grant_expiring`, `first_access`, `abha_verified` or
    /// `new_device`.
    pub kind: String,
    /// The consent (requested, expiring), document (added), hospital (first access) or device
    /// (new device) it is about.
    pub subject_id: Option<Uuid>,
    /// The hospital involved, by name.
    pub hospital_name: Option<String>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// When the patient read it; absent while unread.
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of notifications, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPage {
    /// The notifications.
    pub items: Vec<NotificationView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next: Option<Uuid>,
}

/// How many notifications are unread.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    /// Unread notifications.
    pub unread: i64,
}

/// How many notifications a "mark all read" marked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarkedRead {
    /// Notifications that were unread and are now read.
    pub marked: u64,
}

/// Whether each kind is also sent by email (to a verified address).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    /// Kind → mailed. GET lists every kind; PUT may list only those to change.
    pub email: std::collections::BTreeMap<String, bool>,
}

/// The patient's email address.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailView {
    /// The address; absent when none is set.
    pub email: Option<String>,
    /// Whether it is verified (only a verified address gets mail).
    pub verified: bool,
    /// Whether a code was sent and is still waiting to be entered.
    pub code_pending: bool,
}

/// Set (or replace) the address; a verification code is mailed to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmailSet {
    /// The address.
    pub email: String,
}

/// The code from the verification mail.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmailVerify {
    /// Six digits.
    pub code: String,
}

/// Paging through notifications.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct NotificationQuery {
    /// Return notifications older than this one (the previous page's `next`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false))]
    pub before: Option<Uuid>,
    /// Page size, 1 to 100 (default 20).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 1, maximum = 100))]
    pub limit: Option<i64>,
}
