//! A guardian's session on their child's account (docs/guardians.md): it acts as the child in
//! everything the record needs — documents, consents, keys, caregivers, notifications — and is
//! refused the account's own sign-in settings, which are the guardian's, not the child's.

use axum::http::{Method, StatusCode};

use super::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pramana_server::store::audit::{Outcome, insert_audit_event_now};

/// Whether a guardian's session on a child's account may call `route`: not the sign-in settings
/// (second factors, passkeys), devices or children of its own; signing out and going back to
/// the guardian's own account, yes.
pub fn may_call(method: &Method, route: &str) -> bool {
    if route == "/v1/auth/logout" || (method == Method::POST && route == "/v1/dependents/return") {
        return true;
    }
    !["/v1/auth/", "/v1/devices", "/v1/dependents"].iter().any(|p| route.starts_with(p))
}

/// Refuses (403 `guardian_session_forbidden`, audited) what a guardian's session may not call.
pub async fn check_route(state: &AppState, user: &AuthUser, method: &Method, route: &str) -> ApiResult<()> {
    if may_call(method, route) {
        return Ok(());
    }
    insert_audit_event_now(
        &state.pool,
        &user.actor().event("guardian.refused", Outcome::Denied).patient(user.subject_id).details(
            serde_json::json!({"reason": "guardian_session_forbidden", "method": method.as_str(), "route": route}),
        ),
    )
    .await?;
    Err(ApiError::BadRequest {
        status: StatusCode::FORBIDDEN,
        code: "guardian_session_forbidden",
        message: "you are acting on a child's account: sign-in settings, devices and children are your own account's; go back to it first".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guardian_session_reaches_the_record_but_not_the_sign_in_settings() {
        for (m, r) in [
            (Method::GET, "/v1/documents"),
            (Method::POST, "/v1/consents/{id}/grant"),
            (Method::POST, "/v1/keys"),
            (Method::POST, "/v1/auth/logout"),
            (Method::POST, "/v1/dependents/return"),
            (Method::POST, "/v1/caregivers"),
        ] {
            assert!(may_call(&m, r), "{m} {r}");
        }
        for (m, r) in [
            (Method::POST, "/v1/auth/second-factor/setup"),
            (Method::GET, "/v1/devices"),
            (Method::POST, "/v1/devices/pairings"),
            (Method::POST, "/v1/dependents"),
            (Method::POST, "/v1/dependents/{id}/session"),
            (Method::GET, "/v1/dependents"),
        ] {
            assert!(!may_call(&m, r), "{m} {r}");
        }
    }
}
