//! `/v1/patients/me/notifications` and `/v1/patients/me/email`: a patient's in-portal
//! notifications, unread count and per-kind email switches, and the email address that gets
//! mail once verified (`service::notifications`). Only patients; only their own.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use pramana_server::store::notifications::NotificationRow;
use pramana_wire::{
    EmailSet, EmailVerify, EmailView, MarkedRead, NotificationPage, NotificationPreferences, NotificationQuery,
    NotificationView, UnreadCount,
};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::service::notifications as service;
use crate::state::AppState;

fn view(n: NotificationRow) -> NotificationView {
    NotificationView {
        id: n.id,
        kind: n.kind,
        subject_id: n.subject_id,
        hospital_name: n.hospital_name,
        created_at: n.created_at,
        read_at: n.read_at,
    }
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/v1/patients/me/notifications", tag = "notifications", security(("bearer" = [])),
    params(NotificationQuery),
    responses((status = 200, body = NotificationPage), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_limit`", body = crate::error::ErrorBody)))]
pub async fn notifications_list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<ApiJson<NotificationPage>> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be between 1 and 100"));
    }
    let rows = service::list(&state.pool, &user.actor(), q.before, limit).await?;
    let next = (rows.len() as i64 == limit).then(|| rows.last().map(|n| n.id)).flatten();
    Ok(ApiJson(NotificationPage { items: rows.into_iter().map(view).collect(), next }))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(get, path = "/v1/patients/me/notifications/unread", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = UnreadCount), (status = 403, description = "not a patient", body = crate::error::ErrorBody)))]
pub async fn notifications_unread(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<UnreadCount>> {
    Ok(ApiJson(UnreadCount { unread: service::unread(&state.pool, &user.actor()).await? }))
}

/// Marks one of the caller's notifications read (another patient's is 404).
#[utoipa::path(post, path = "/v1/patients/me/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = NotificationView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody)))]
pub async fn notifications_read(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<NotificationView>> {
    Ok(ApiJson(view(service::mark_read(&state.pool, &user.actor(), id, Utc::now()).await?)))
}

/// Marks all the caller's notifications read.
#[utoipa::path(post, path = "/v1/patients/me/notifications/read", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedRead), (status = 403, description = "not a patient", body = crate::error::ErrorBody)))]
pub async fn notifications_read_all(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<MarkedRead>> {
    Ok(ApiJson(MarkedRead { marked: service::mark_all_read(&state.pool, &user.actor(), Utc::now()).await? }))
}

async fn preferences(state: &AppState, user: &AuthUser) -> ApiResult<NotificationPreferences> {
    let prefs = service::preferences(&state.pool, &user.actor()).await?;
    Ok(NotificationPreferences { email: prefs.into_iter().map(|(k, on)| (k.as_str().to_owned(), on)).collect() })
}

/// Which kinds the caller also gets by email.
#[utoipa::path(get, path = "/v1/patients/me/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = NotificationPreferences), (status = 403, description = "not a patient", body = crate::error::ErrorBody)))]
pub async fn notifications_preferences_get(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<ApiJson<NotificationPreferences>> {
    Ok(ApiJson(preferences(&state, &user).await?))
}

/// Switches email on or off per kind; kinds not listed stay as they are.
#[utoipa::path(put, path = "/v1/patients/me/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    request_body = NotificationPreferences,
    responses((status = 200, body = NotificationPreferences), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_kind`: not a notification kind", body = crate::error::ErrorBody)))]
pub async fn notifications_preferences_put(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<NotificationPreferences>,
) -> ApiResult<ApiJson<NotificationPreferences>> {
    let changes: Vec<(String, bool)> = body.email.into_iter().collect();
    service::set_preferences(&state.pool, &user.actor(), &changes).await?;
    Ok(ApiJson(preferences(&state, &user).await?))
}

async fn email_view(state: &AppState, user: &AuthUser) -> ApiResult<EmailView> {
    let row = service::email(&state.pool, &user.actor()).await?;
    let now = Utc::now();
    Ok(match row {
        None => EmailView { email: None, verified: false, code_pending: false },
        Some(r) => EmailView {
            verified: r.verified_at.is_some(),
            code_pending: r.code_sha256.is_some()
                && r.code_expires_at.is_some_and(|e| e > now)
                && r.code_attempts < service::CODE_MAX_ATTEMPTS,
            email: Some(r.email),
        },
    })
}

/// The caller's email address and whether it is verified.
#[utoipa::path(get, path = "/v1/patients/me/email", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = EmailView), (status = 403, description = "not a patient", body = crate::error::ErrorBody)))]
pub async fn email_get(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<EmailView>> {
    Ok(ApiJson(email_view(&state, &user).await?))
}

/// Sets (or replaces, or re-sends a code for) the caller's address: it is unverified until the
/// code mailed to it is entered. At most five codes an hour.
#[utoipa::path(put, path = "/v1/patients/me/email", tag = "notifications", security(("bearer" = [])),
    request_body = EmailSet,
    responses((status = 202, description = "the code is on its way", body = EmailView),
               (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_email`", body = crate::error::ErrorBody)))]
pub async fn email_put(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<EmailSet>,
) -> ApiResult<(StatusCode, ApiJson<EmailView>)> {
    if let Err(service::TooManyCodes(secs)) =
        service::set_email(&state.pool, &user.actor(), &body.email, Utc::now()).await?
    {
        return Err(ApiError::RateLimited { retry_after_secs: secs });
    }
    Ok((StatusCode::ACCEPTED, ApiJson(email_view(&state, &user).await?)))
}

/// Removes the caller's address (no more mail).
#[utoipa::path(delete, path = "/v1/patients/me/email", tag = "notifications", security(("bearer" = [])),
    responses((status = 204, description = "removed"), (status = 403, description = "not a patient", body = crate::error::ErrorBody)))]
pub async fn email_delete(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    service::delete_email(&state.pool, &user.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Verifies the address with the code from the mail.
#[utoipa::path(post, path = "/v1/patients/me/email/verify", tag = "notifications", security(("bearer" = [])),
    request_body = EmailVerify,
    responses((status = 200, body = EmailView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_code`, `code_expired` (also after five wrong codes), `no_code_pending`", body = crate::error::ErrorBody)))]
pub async fn email_verify(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<EmailVerify>,
) -> ApiResult<ApiJson<EmailView>> {
    service::verify_email(&state.pool, &user.actor(), &body.code, Utc::now()).await?;
    Ok(ApiJson(email_view(&state, &user).await?))
}
