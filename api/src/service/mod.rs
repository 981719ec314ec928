//! Use cases: what a caller may do with consents, documents and their export, apart from HTTP.
//! Each function takes the narrow dependencies it needs (the pool, the blob store, the signing
//! domain, the clock's `now`), typed input and the acting [`Actor`]; it returns domain output or
//! a [`ServiceError`]. Each state change commits with its outbox rows (anchor jobs, chain
//! events, webhook events) and its audit event in one transaction. Nothing here knows axum or
//! status codes: `error` maps a `ServiceError` to a response.

pub mod abha;
pub mod caregivers;
pub mod consents;
pub mod devices;
pub mod documents;
pub mod export;
pub mod links;
pub mod notifications;
pub mod stanzas;
pub mod uploads;

use pramana_core::{Role, ValidationError};
use pramana_server::store::StoreError;
use pramana_server::store::audit::{AuditEvent, Outcome};
use uuid::Uuid;

/// Who is acting, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The caller's role.
    pub role: Role,
    /// Patient, hospital, auditor or admin id.
    pub id: Uuid,
    /// The hospital staff member acting for the hospital `id`, if any.
    pub staff: Option<Uuid>,
    /// The guardian acting on their child's account `id`, if any.
    pub guardian: Option<Uuid>,
    /// The request that caused the action, for the audit log.
    pub request_id: Option<String>,
}

impl Actor {
    /// An audit event by this actor.
    pub fn event(&self, action: &'static str, outcome: Outcome) -> AuditEvent {
        AuditEvent::new(self.role.as_str(), Some(self.id), action, outcome)
            .staff(self.staff)
            .guardian(self.guardian)
            .request_id(self.request_id.clone())
    }

    /// Fails with `Forbidden` unless the actor has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ServiceError> {
        if roles.contains(&self.role) { Ok(()) } else { Err(ServiceError::Forbidden) }
    }
}

/// Why a use case refused or failed. Refusals carry the stable code clients match on.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Nothing there, or nothing the caller may see (never says which).
    #[error("not found")]
    NotFound,
    /// The caller's role may not do this.
    #[error("this account may not do that")]
    Forbidden,
    /// The caller may not do this, for a reason with its own stable code (403, e.g.
    /// `proxy_scope`, `proxy_revoked`).
    #[error("{message}")]
    Denied {
        /// Stable code.
        code: &'static str,
        /// What was refused and why.
        message: String,
    },
    /// A named part of something the caller may see does not exist (404 with its own stable
    /// code, e.g. `version_not_found`).
    #[error("{message}")]
    Missing {
        /// Stable code.
        code: &'static str,
        /// What is missing.
        message: String,
    },
    /// An input field is not a valid domain value.
    #[error("{field}: {source}")]
    Invalid {
        /// The input field.
        field: &'static str,
        /// What was wrong with it.
        source: ValidationError,
    },
    /// An input field breaks a rule of this use case.
    #[error("{field}: {message}")]
    InvalidField {
        /// The input field.
        field: &'static str,
        /// The rule it breaks.
        message: String,
    },
    /// Well-formed, but refused by a rule (e.g. `no_patient_key`, `invalid_signature`).
    #[error("{message}")]
    Refused {
        /// Stable code.
        code: &'static str,
        /// What was refused and why.
        message: String,
    },
    /// The current state does not allow it (e.g. `invalid_transition`, `document_exists`).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What is in the way.
        message: String,
    },
    /// Larger than a limit allows (`body_too_large`, `quota_exceeded`).
    #[error("{message}")]
    TooLarge {
        /// Stable code.
        code: &'static str,
        /// Which limit.
        message: String,
    },
    /// A streamed upload did not declare its length.
    #[error("Content-Length is required")]
    LengthRequired,
    /// The uploaded bytes do not match what the request declared (`length_mismatch`,
    /// `body_read_failed`).
    #[error("{message}")]
    BadBody {
        /// Stable code.
        code: &'static str,
        /// What did not match.
        message: String,
    },
    /// A streamed upload's body sent no bytes for this long (`body_idle_timeout`).
    #[error("no bytes of the body arrived for {} s", .0.as_secs())]
    BodyIdle(std::time::Duration),
    /// A service the platform depends on (ABDM) is unreachable or answered oddly (503).
    #[error("{message}")]
    Upstream {
        /// Stable code.
        code: &'static str,
        /// What failed.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug or an unexpected failure; the cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(anyhow::Error),
}

/// `Result` with [`ServiceError`].
pub type ServiceResult<T, E = ServiceError> = Result<T, E>;

impl ServiceError {
    /// An invalid domain value in `field`.
    pub fn invalid(field: &'static str) -> impl FnOnce(ValidationError) -> Self {
        move |source| Self::Invalid { field, source }
    }

    /// `field` breaks a rule.
    pub fn invalid_field(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidField { field, message: message.into() }
    }

    /// Refused by a rule, with its stable code.
    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        Self::Refused { code, message: message.into() }
    }

    /// In the way of the current state, with its stable code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    /// An internal error from anything.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }
}

/// Maps a unique-constraint violation to a conflict with `code`; any other store error as is.
pub fn conflict_as(code: &'static str, message: &'static str) -> impl FnOnce(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::Conflict(_) => ServiceError::conflict(code, message),
        other => other.into(),
    }
}
