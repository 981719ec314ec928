//! Authentication and authorisation: roles, password hashing, access and refresh tokens, the
//! `AuthUser` extractor and the rate limiter for `/v1/auth/*`.

pub mod cookies;
pub mod guardian;
pub mod passkeys;
pub mod password_reset;
pub mod second_factor;
pub mod service;
pub mod staff;
pub mod totp;

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
pub use pramana_core::Role;
use uuid::Uuid;

use crate::error::{ApiError, current_request_id};
use crate::service::Actor;
use crate::state::AppState;
use pramana_server::store;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event_now};
use pramana_server::store::sessions::SessionState;
use staff::{StaffMember, StaffRole};

/// The subject id of the bootstrap admin (there is one admin account).
pub const ADMIN_ID: Uuid = Uuid::from_u128(1);

/// The authenticated caller: a valid access token whose session is still live.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    /// The caller's role.
    pub role: Role,
    /// Patient, hospital, auditor or admin id.
    pub subject_id: Uuid,
    /// The login session the token belongs to.
    pub session_id: Uuid,
    /// For a hospital staff member's session: the member (`role` is `Hospital` and
    /// `subject_id` their hospital).
    pub staff: Option<StaffMember>,
    /// For a guardian's session on their child's account: the guardian (`role` is `Patient`
    /// and `subject_id` the child).
    pub guardian: Option<Uuid>,
}

impl AuthUser {
    /// The caller as the use cases and the audit log see it.
    pub fn actor(&self) -> Actor {
        Actor {
            role: self.role,
            id: self.subject_id,
            staff: self.staff_id(),
            guardian: self.guardian,
            request_id: current_request_id(),
        }
    }

    /// The staff member's id, if a member is acting.
    pub fn staff_id(&self) -> Option<Uuid> {
        self.staff.map(|s| s.id)
    }

    /// Fails with 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) { Ok(()) } else { Err(ApiError::Forbidden) }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        second_factor::check_required(state, &user).await?;
        if let Some(member) = user.staff {
            let route = parts.extensions.get::<MatchedPath>().map_or("", MatchedPath::as_str);
            if !staff::may_call(member.role, &parts.method, route) {
                insert_audit_event_now(
                    &state.pool,
                    &user.actor().event("staff.refused", Outcome::Denied).details(
                        serde_json::json!({"reason": "staff_role_forbidden", "staff_role": member.role.as_str(),
                                                    "method": parts.method.as_str(), "route": route}),
                    ),
                )
                .await?;
                return Err(ApiError::StaffRoleForbidden(member.role.as_str()));
            }
        }
        Ok(user)
    }
}

/// A signed-in caller, whether or not the operator setting requires a second factor they have
/// not turned on yet: only enrolling one and signing out take this (every other route takes
/// [`AuthUser`], which refuses them with `second_factor_enrolment_required`).
#[derive(Debug, Clone, Copy)]
pub struct SignedIn(pub AuthUser);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let claims = state.tokens.verify_access(token).map_err(|_| ApiError::Unauthorized)?;
        let (staff, guardian) = match store::sessions::find_session_state(&state.pool, claims.sid).await? {
            SessionState::Live { staff: None, guardian } => (None, guardian),
            SessionState::Live { staff: Some((id, role)), guardian } => (
                Some(StaffMember {
                    id,
                    role: StaffRole::parse(&role)
                        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("staff role {role}")))?,
                }),
                guardian,
            ),
            SessionState::StaffDisabled => {
                insert_audit_event_now(
                    &state.pool,
                    &AuditEvent::new(claims.role.as_str(), Some(claims.sub), "staff.refused", Outcome::Denied)
                        .target("session", claims.sid)
                        .request_id(current_request_id())
                        .details(serde_json::json!({"reason": "staff_disabled"})),
                )
                .await?;
                return Err(ApiError::StaffDisabled);
            }
            SessionState::Dead => return Err(ApiError::Unauthorized),
        };
        let user = AuthUser { role: claims.role, subject_id: claims.sub, session_id: claims.sid, staff, guardian };
        if user.guardian.is_some() {
            let route = parts.extensions.get::<MatchedPath>().map_or("", MatchedPath::as_str);
            guardian::check_route(state, &user, &parts.method, route).await?;
        }
        Ok(Self(user))
    }
}
