//! `ApiError`: every way a request can fail, mapped to a status, a stable machine-readable
//! `code` and a message. Client mistakes say what was wrong; server faults say "internal error"
//! and the cause goes to the log with the request id.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pramana_core::ValidationError;
pub use pramana_wire::ErrorBody;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use pramana_server::store::StoreError;

use crate::service::ServiceError;

tokio::task_local! {
    /// The current request's id, set by the request-id middleware for the whole handler.
    pub static REQUEST_ID: String;
}

/// The current request's id, when called inside a request.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field failed validation (422); the code names the field.
    #[error("{field}: {source}")]
    Invalid {
        /// The request field, e.g. `abha_number`.
        field: &'static str,
        /// What was wrong with it.
        source: ValidationError,
    },
    /// A field failed a rule that is not a domain type (422).
    #[error("{field}: {message}")]
    InvalidField {
        /// The request field.
        field: &'static str,
        /// What was wrong with it.
        message: String,
    },
    /// The body was not the expected JSON (400, or 415/413 as the case may be).
    #[error("{message}")]
    BadRequest {
        /// HTTP status to use.
        status: StatusCode,
        /// Stable code.
        code: &'static str,
        /// What was wrong.
        message: String,
    },
    /// No valid credentials or token (401). Never says which part was wrong.
    #[error("authentication required")]
    Unauthorized,
    /// Authenticated, but this role may not use this endpoint (403).
    #[error("this account may not do that")]
    Forbidden,
    /// Nothing there, or nothing the caller may see (404).
    #[error("not found")]
    NotFound,
    /// The thing already exists (409).
    #[error("{0}")]
    Conflict(&'static str, &'static str),
    /// Too many requests from this client, subject or for this account (429, with
    /// `Retry-After`).
    #[error("too many requests; retry after {retry_after_secs} s")]
    RateLimited {
        /// Whole seconds until a request may succeed again (at least 1).
        retry_after_secs: u64,
    },
    /// The password was right and the account has a second factor (401
    /// `second_factor_required`): present `challenge` with a code.
    #[error(
        "this account has a second factor: answer the challenge with a code from the authenticator app (or a recovery code) or with a passkey"
    )]
    SecondFactorRequired {
        /// The single-use challenge token.
        challenge: String,
        /// The factors the account has: `totp`, `passkey`.
        factors: Vec<&'static str>,
    },
    /// A hospital staff member whose account the hospital disabled (403 `staff_disabled`): their
    /// sessions are over and they cannot sign in.
    #[error("this staff account has been disabled by the hospital's administrator")]
    StaffDisabled,
    /// A hospital staff member whose role may not do this (403 `staff_role_forbidden`).
    #[error("a staff member in the role {0} may not do that")]
    StaffRoleForbidden(&'static str),
    /// Postgres is unreachable or failing (503 for readiness, 500 otherwise).
    #[error("service unavailable")]
    Unavailable,
    /// A bug or an unexpected failure (500); the cause is logged, not returned.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// `Result` with [`ApiError`].
pub type ApiResult<T, E = ApiError> = Result<T, E>;

impl ApiError {
    /// A 422 for `field` from a domain validation error.
    pub fn invalid(field: &'static str) -> impl FnOnce(ValidationError) -> Self {
        move |source| Self::Invalid { field, source }
    }

    /// A 422 with its own stable code (not tied to one field), e.g. `no_patient_key`.
    pub fn unprocessable(code: &'static str, message: &str) -> Self {
        Self::BadRequest { status: StatusCode::UNPROCESSABLE_ENTITY, code, message: message.into() }
    }

    /// A 422 for `field` with a message.
    pub fn invalid_field(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidField { field, message: message.into() }
    }

    /// An internal error from anything.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }

    fn parts(&self) -> (StatusCode, String, Option<&'static str>) {
        match self {
            Self::Invalid { field, .. } | Self::InvalidField { field, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, format!("invalid_{field}"), Some(*field))
            }
            Self::BadRequest { status, code, .. } => (*status, (*code).to_owned(), None),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized".into(), None),
            Self::SecondFactorRequired { .. } => (StatusCode::UNAUTHORIZED, "second_factor_required".into(), None),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden".into(), None),
            Self::StaffDisabled => (StatusCode::FORBIDDEN, "staff_disabled".into(), None),
            Self::StaffRoleForbidden(_) => (StatusCode::FORBIDDEN, "staff_role_forbidden".into(), None),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found".into(), None),
            Self::Conflict(code, _) => (StatusCode::CONFLICT, (*code).to_owned(), None),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into(), None),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable".into(), None),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal".into(), None),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, field) = self.parts();
        let request_id = REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
        let message = match &self {
            Self::Conflict(_, m) => (*m).to_owned(),
            other => other.to_string(),
        };
        match &self {
            Self::Internal(e) => tracing::error!(%request_id, error = ?e, "internal error"),
            Self::Unavailable => tracing::warn!(%request_id, "dependency unavailable"),
            _ => tracing::debug!(%request_id, %code, %message, "client error"),
        }
        let (challenge, second_factors) = match &self {
            Self::SecondFactorRequired { challenge, factors } => {
                (Some(challenge.clone()), Some(factors.iter().map(|f| (*f).to_owned()).collect()))
            }
            _ => (None, None),
        };
        let body = ErrorBody { code, message, request_id, field: field.map(str::to_owned), challenge, second_factors };
        let mut response = (status, Json(body)).into_response();
        if let Self::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
        }
        response
    }
}

/// Maps a unique-constraint violation to a 409 with `code`; any other store error as usual.
pub fn conflict_as(code: &'static str, message: &'static str) -> impl FnOnce(StoreError) -> ApiError {
    move |e| match e {
        StoreError::Conflict(_) => ApiError::Conflict(code, message),
        other => other.into(),
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let status = |status, code, message| Self::BadRequest { status, code, message };
        match e {
            ServiceError::NotFound => Self::NotFound,
            ServiceError::Forbidden => Self::Forbidden,
            ServiceError::Denied { code, message } => status(StatusCode::FORBIDDEN, code, message),
            ServiceError::Missing { code, message } => status(StatusCode::NOT_FOUND, code, message),
            ServiceError::Invalid { field, source } => Self::Invalid { field, source },
            ServiceError::InvalidField { field, message } => Self::InvalidField { field, message },
            ServiceError::Refused { code, message } => status(StatusCode::UNPROCESSABLE_ENTITY, code, message),
            ServiceError::Conflict { code, message } => status(StatusCode::CONFLICT, code, message),
            ServiceError::TooLarge { code, message } => status(StatusCode::PAYLOAD_TOO_LARGE, code, message),
            ServiceError::LengthRequired => {
                status(StatusCode::LENGTH_REQUIRED, "length_required", "Content-Length is required".into())
            }
            ServiceError::BadBody { code, message } => status(StatusCode::BAD_REQUEST, code, message),
            e @ ServiceError::BodyIdle(_) => {
                let message = format!("{e}; the upload was dropped, send it again");
                status(StatusCode::REQUEST_TIMEOUT, "body_idle_timeout", message)
            }
            ServiceError::Upstream { code, message } => status(StatusCode::SERVICE_UNAVAILABLE, code, message),
            ServiceError::Store(e) => e.into(),
            ServiceError::Internal(e) => Self::Internal(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::Unavailable,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let (status, code) = match &r {
            JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            JsonRejection::MissingJsonContentType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
            }
            _ => (r.status(), "bad_request"),
        };
        Self::BadRequest { status, code, message: r.body_text() }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        // A malformed id in the path names nothing that exists.
        Self::NotFound
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::BadRequest { status: StatusCode::BAD_REQUEST, code: "invalid_query", message: r.body_text() }
    }
}

/// `Json` whose rejections are [`ApiError`]s, so malformed bodies get the stable error body.
/// The body must be a JSON object: serde also reads a struct from an array of its fields in
/// order (`[null, null]` as a profile patch), which no request here is documented to accept.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Content type (415), size (413) and syntax (400) are checked as `Json` checks them.
        let Json(raw) = Json::<Box<RawValue>>::from_request(req, state).await?;
        if !raw.get().starts_with('{') {
            return Err(ApiError::BadRequest {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_body",
                message: "the body must be a JSON object".into(),
            });
        }
        Ok(Self(Json::<T>::from_bytes(raw.get().as_bytes())?.0))
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// `Path` whose rejections are 404s.
#[derive(Debug, Clone, Copy, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `Query` whose rejections are 400s with the stable error body.
#[derive(Debug, Clone, Copy, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
