//! `/v1/auth`: patient registration, login, refresh-token rotation, logout.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use pramana_core::{AbhaAddress, AbhaNumber, PatientId};
use pramana_wire::{
    LoginRequest, PasskeyInfo, PasskeyLoginFinish, PasskeyLoginStart, PasskeyOptions, PasskeyRegisterFinish,
    PasskeyRegisterStart, PasskeyRemove, PasswordResetConfirm, PasswordResetRequest, PatientView, RecoveryCodes,
    RefreshRequest, RegisterRequest, SecondFactorCode, SecondFactorLoginRequest, SecondFactorSetup, SecondFactorStatus,
    TokenResponse,
};
use serde_json::json;

use crate::auth::cookies;
use crate::auth::service::{self, TokenPair};
use crate::auth::{Role, SignedIn, passkeys, password_reset, second_factor};
use crate::error::current_request_id;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, conflict_as};
use crate::service::ServiceError;
use crate::state::AppState;
use axum::extract::State;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event};
use pramana_server::store::{StoreError, credentials, patients};
use uuid::Uuid;

/// What registering a number already taken is told.
const ALREADY_REGISTERED: &str = "this ABHA number is already registered; sign in instead";

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longest accepted password (bounds Argon2 input).
pub const MAX_PASSWORD_LEN: usize = 256;

impl From<TokenPair> for TokenResponse {
    fn from(p: TokenPair) -> Self {
        Self {
            access_token: p.access_token,
            token_type: "Bearer".to_owned(),
            expires_in: p.expires_in,
            refresh_token: Some(p.refresh_token),
            role: p.role,
            subject_id: p.subject_id,
            guardian_id: p.guardian_id,
        }
    }
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> ApiResult<()> {
    let n = password.chars().count();
    if (MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::invalid_field("password", format!("must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters")))
    }
}

/// Trims and checks a display name.
pub fn check_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field("name", "must be 1 to 200 printable characters"));
    }
    Ok(name.to_owned())
}

/// Parses a list of ABHA addresses, rejecting duplicates.
pub fn parse_addresses(raw: &[String]) -> ApiResult<Vec<AbhaAddress>> {
    let mut out: Vec<AbhaAddress> = raw
        .iter()
        .map(|a| AbhaAddress::parse(a).map_err(ApiError::invalid("abha_addresses")))
        .collect::<Result<_, _>>()?;
    out.sort();
    let before = out.len();
    out.dedup();
    if out.len() != before || out.len() > 16 {
        return Err(ApiError::invalid_field("abha_addresses", "must be at most 16 distinct addresses"));
    }
    Ok(out)
}

/// Registers a patient.
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered; the ABHA number is *claimed* until verified in person at a hospital or through ABDM", body = PatientView),
        (status = 409, description = "`already_registered`: this number with this password, or as many claims of the number as one number may have", body = crate::error::ErrorBody),
        (status = 422, description = "A field is invalid (`invalid_<field>`)", body = crate::error::ErrorBody),
    ))]
pub async fn auth_register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, ApiJson<PatientView>)> {
    let abha_number = AbhaNumber::parse(&body.abha_number).map_err(ApiError::invalid("abha_number"))?;
    let addresses = parse_addresses(&body.abha_addresses)?;
    let name = check_name(&body.name)?;
    check_password(&body.password)?;

    // Several accounts may claim one number (verification settles who holds it), but one person
    // registering twice with the same password would only ever sign in to the first.
    let claims = credentials::find_patient_credentials_by_abha(&state.pool, abha_number.as_digits(), 8).await?;
    for claim in claims {
        if state.hasher.verify(body.password.clone(), Some(claim.password_hash)).await.map_err(ApiError::internal)? {
            return Err(ApiError::from(ServiceError::conflict("already_registered", ALREADY_REGISTERED)));
        }
    }
    let hash = state.hasher.hash(body.password).await.map_err(ApiError::internal)?;
    let id = PatientId::new();
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    crate::service::abha::check_room_for_claim(&mut tx, abha_number.as_digits()).await?;
    let result: Result<(), StoreError> = async {
        patients::insert_patient(&mut tx, id, &abha_number, &name, &addresses).await?;
        credentials::insert_credential(&mut *tx, Role::Patient, id.0, abha_number.as_digits(), &hash).await?;
        insert_audit_event(
            &mut tx,
            &AuditEvent::new("patient", Some(id.0), "patient.register", Outcome::Ok)
                .patient(id.0)
                .target("patient", id)
                .request_id(current_request_id())
                .details(json!({"abha_addresses": addresses.len()})),
        )
        .await?;
        Ok(())
    }
    .await;
    result.map_err(conflict_as("already_registered", ALREADY_REGISTERED))?;
    let patient = patients::find_patient_by_id(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    pramana_server::store::commit(tx).await?;
    Ok((StatusCode::CREATED, ApiJson(super::patients::patient_view(patient))))
}

/// Opens a session. With `refresh_cookie`, the refresh token is set as cookies instead.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in (with `refresh_cookie`: `Set-Cookie` holds the refresh and CSRF cookies, and the body no refresh token)", body = TokenResponse),
        (status = 401, description = "Wrong login or password (never says which), or `second_factor_required`: the password was right and the account has a second factor; the body's `challenge` goes to `/v1/auth/login/second-factor` with a code", body = crate::error::ErrorBody),
    ))]
pub async fn auth_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    if body.login.len() > 256 || body.password.len() > MAX_PASSWORD_LEN * 4 {
        return Err(ApiError::Unauthorized);
    }
    let pair = service::login(&state, &body.login, body.password, current_request_id(), user_agent(&headers)).await?;
    Ok(tokens_response(&state, pair, body.refresh_cookie))
}

/// The request's `User-Agent`, which names a patient's new device.
fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok())
}

/// The token pair as JSON; in cookie mode the refresh token goes in cookies instead.
pub(crate) fn tokens_response(state: &AppState, pair: TokenPair, cookie_mode: bool) -> Response {
    if !cookie_mode {
        return ApiJson(TokenResponse::from(pair)).into_response();
    }
    let set = cookies::set(&pair.refresh_token, state.settings.auth.refresh_token_ttl_secs);
    let mut response = ApiJson(TokenResponse { refresh_token: None, ..pair.into() }).into_response();
    for cookie in set {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Rotates a refresh token. A reused token ends its session. Without `refresh_token` in the
/// body, the refresh cookie is used (cookie mode), with the `X-CSRF-Token` header.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    params(("X-CSRF-Token" = Option<String>, Header, description = "Cookie mode: the value of the `pramana_csrf` cookie")),
    responses(
        (status = 200, description = "New token pair (in cookie mode, new cookies)", body = TokenResponse),
        (status = 401, description = "Unknown, expired or reused token", body = crate::error::ErrorBody),
        (status = 403, description = "Cookie mode: the CSRF header does not repeat the CSRF cookie (`csrf_failed`)", body = crate::error::ErrorBody),
    ))]
pub async fn auth_refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<Response> {
    let (token, cookie_mode) = match body.refresh_token {
        Some(token) => (token, false),
        None => (cookies::refresh_token(&headers)?, true),
    };
    let pair = service::refresh(&state, &token, current_request_id()).await?;
    Ok(tokens_response(&state, pair, cookie_mode))
}

/// Ends the caller's session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Session ended (and the session cookies deleted)"), (status = 401, description = "Not logged in", body = crate::error::ErrorBody)))]
pub async fn auth_logout(State(state): State<AppState>, SignedIn(user): SignedIn) -> ApiResult<Response> {
    service::logout(&state, &user, current_request_id()).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    for cookie in cookies::clear() {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The second step of a login with a second factor: the challenge and a TOTP or recovery code.
#[utoipa::path(post, path = "/v1/auth/login/second-factor", tag = "auth", request_body = SecondFactorLoginRequest,
    responses(
        (status = 200, description = "Logged in, as `/v1/auth/login` without a second factor", body = TokenResponse),
        (status = 401, description = "`challenge_invalid` (expired, used or unknown: sign in with the password again), `second_factor_invalid` (wrong code), `second_factor_replayed` (a code already used), `recovery_code_used`; five wrong codes in a row lock the factor for five minutes (429)", body = crate::error::ErrorBody),
    ))]
pub async fn auth_login_second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SecondFactorLoginRequest>,
) -> ApiResult<Response> {
    if body.challenge.len() > 128 || body.code.len() > 64 {
        return Err(ApiError::Unauthorized);
    }
    let pair =
        second_factor::login(&state, &body.challenge, &body.code, current_request_id(), user_agent(&headers)).await?;
    Ok(tokens_response(&state, pair, body.refresh_cookie))
}

/// Asks for a password reset code (patients). It is mailed only if the login names an account
/// whose verified email address is `email`; the answer is the same either way. At most three
/// mails an hour per account.
#[utoipa::path(post, path = "/v1/auth/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the login and the verified address match an account, a code is on its way (valid 15 minutes)"),
        (status = 422, description = "`invalid_email`", body = crate::error::ErrorBody),
    ))]
pub async fn auth_password_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    password_reset::request(&state, &body.login, &body.email, current_request_id()).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sets a new password with the mailed code. It restores sign-in only: no key comes back (the
/// recovery kit brings keys back). Every session of the account ends; a second factor stays on.
#[utoipa::path(post, path = "/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "The password is changed; sign in with it"),
        (status = 422, description = "`reset_code_invalid` (wrong, or none asked for), `reset_code_expired` (also after five wrong codes), `invalid_password`", body = crate::error::ErrorBody),
    ))]
pub async fn auth_password_reset_confirm(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PasswordResetConfirm>,
) -> ApiResult<StatusCode> {
    if body.code.len() > 64 || body.password.len() > MAX_PASSWORD_LEN * 4 {
        return Err(ApiError::unprocessable("reset_code_invalid", "that is not the code we mailed for this account"));
    }
    password_reset::confirm(&state, &body.login, &body.code, body.password, current_request_id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's second factor (patients, auditors, the operator, hospital staff members).
#[utoipa::path(get, path = "/v1/auth/second-factor", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Whether it is on, and recovery codes left", body = SecondFactorStatus),
        (status = 403, description = "The hospital's API-secret session (a machine client) has no second factor; its staff members may", body = crate::error::ErrorBody),
    ))]
pub async fn second_factor_get(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> ApiResult<ApiJson<SecondFactorStatus>> {
    Ok(ApiJson(second_factor::status(&state, &user).await?))
}

/// Starts enrolling an authenticator app: a new secret, shown once (again on a new start).
#[utoipa::path(post, path = "/v1/auth/second-factor/setup", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The secret and its `otpauth://` URI; confirm with a code at `/enable`", body = SecondFactorSetup),
        (status = 403, description = "Hospitals have no second factor", body = crate::error::ErrorBody),
        (status = 409, description = "`second_factor_already_enabled`", body = crate::error::ErrorBody),
    ))]
pub async fn second_factor_setup(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> ApiResult<ApiJson<SecondFactorSetup>> {
    Ok(ApiJson(second_factor::setup(&state, &user, current_request_id()).await?))
}

fn check_code_len(body: &SecondFactorCode) -> ApiResult<()> {
    if body.code.is_empty() || body.code.len() > 64 {
        return Err(ApiError::invalid_field("code", "must be a 6-digit code or a recovery code"));
    }
    Ok(())
}

/// Switches the second factor on with the app's first code; returns ten recovery codes, once.
#[utoipa::path(post, path = "/v1/auth/second-factor/enable", tag = "auth", security(("bearer" = [])), request_body = SecondFactorCode,
    responses(
        (status = 200, description = "On; the recovery codes are shown only now", body = RecoveryCodes),
        (status = 409, description = "`second_factor_not_started` or `second_factor_already_enabled`", body = crate::error::ErrorBody),
        (status = 422, description = "`second_factor_invalid` or `second_factor_replayed`: nothing changed", body = crate::error::ErrorBody),
    ))]
pub async fn second_factor_enable(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    ApiJson(body): ApiJson<SecondFactorCode>,
) -> ApiResult<ApiJson<RecoveryCodes>> {
    check_code_len(&body)?;
    Ok(ApiJson(second_factor::enable(&state, &user, &body.code, current_request_id()).await?))
}

/// Turns the second factor off, with a current code or an unused recovery code.
#[utoipa::path(post, path = "/v1/auth/second-factor/disable", tag = "auth", security(("bearer" = [])), request_body = SecondFactorCode,
    responses(
        (status = 204, description = "Off: the secret and the recovery codes are deleted"),
        (status = 409, description = "`second_factor_not_enabled`", body = crate::error::ErrorBody),
        (status = 422, description = "`second_factor_invalid`, `second_factor_replayed` or `recovery_code_used`: nothing changed", body = crate::error::ErrorBody),
    ))]
pub async fn second_factor_disable(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    ApiJson(body): ApiJson<SecondFactorCode>,
) -> ApiResult<StatusCode> {
    check_code_len(&body)?;
    second_factor::disable(&state, &user, &body.code, current_request_id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the recovery codes with ten new ones (the old stop working), with a current code.
#[utoipa::path(post, path = "/v1/auth/second-factor/recovery-codes", tag = "auth", security(("bearer" = [])), request_body = SecondFactorCode,
    responses(
        (status = 200, description = "The new codes, shown only now", body = RecoveryCodes),
        (status = 409, description = "`second_factor_not_enabled`", body = crate::error::ErrorBody),
        (status = 422, description = "`second_factor_invalid` or `second_factor_replayed`: nothing changed", body = crate::error::ErrorBody),
    ))]
pub async fn second_factor_recovery_codes(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    ApiJson(body): ApiJson<SecondFactorCode>,
) -> ApiResult<ApiJson<RecoveryCodes>> {
    check_code_len(&body)?;
    Ok(ApiJson(second_factor::regenerate(&state, &user, &body.code, current_request_id()).await?))
}

/// The caller's passkeys (a second factor beside TOTP; docs/two-factor.md "Passkeys").
#[utoipa::path(get, path = "/v1/auth/second-factor/passkeys", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Oldest first", body = Vec<PasskeyInfo>),
        (status = 403, description = "The hospital's API-secret session (a machine client) has no second factor", body = crate::error::ErrorBody),
    ))]
pub async fn passkeys_list(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> ApiResult<ApiJson<Vec<PasskeyInfo>>> {
    Ok(ApiJson(passkeys::list(&state, &user).await?))
}

/// Starts adding a passkey: the options for `navigator.credentials.create()` (good for five
/// minutes; a new start replaces them).
#[utoipa::path(post, path = "/v1/auth/second-factor/passkeys/start", tag = "auth", security(("bearer" = [])), request_body = PasskeyRegisterStart,
    responses(
        (status = 200, description = "`{publicKey}` creation options; binary fields base64url", body = PasskeyOptions),
        (status = 409, description = "`passkey_name_taken`, `passkey_limit` (ten per account)", body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_name`", body = crate::error::ErrorBody),
    ))]
pub async fn passkeys_start(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    ApiJson(body): ApiJson<PasskeyRegisterStart>,
) -> ApiResult<ApiJson<PasskeyOptions>> {
    Ok(ApiJson(passkeys::register_start(&state, &user, &body.name, current_request_id()).await?))
}

/// Finishes adding a passkey with the browser's answer: from now on signing in asks for a
/// second factor (this passkey, or TOTP if it is on).
#[utoipa::path(post, path = "/v1/auth/second-factor/passkeys/finish", tag = "auth", security(("bearer" = [])), request_body = PasskeyRegisterFinish,
    responses(
        (status = 200, description = "Added", body = PasskeyInfo),
        (status = 409, description = "`passkey_not_started` (none started, or more than five minutes ago), `passkey_already_registered`, `passkey_name_taken`", body = crate::error::ErrorBody),
        (status = 422, description = "`passkey_invalid`: the answer does not verify (challenge, origin, signature, user verification); nothing changed", body = crate::error::ErrorBody),
    ))]
pub async fn passkeys_finish(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    ApiJson(body): ApiJson<PasskeyRegisterFinish>,
) -> ApiResult<ApiJson<PasskeyInfo>> {
    Ok(ApiJson(passkeys::register_finish(&state, &user, body.credential, current_request_id()).await?))
}

/// Removes one of the caller's passkeys, with the account's password typed again (a wrong one
/// counts towards the second-factor lock).
#[utoipa::path(post, path = "/v1/auth/second-factor/passkeys/{id}/remove", tag = "auth", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = PasskeyRemove,
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such passkey of the caller", body = crate::error::ErrorBody),
        (status = 422, description = "`password_invalid`: nothing changed", body = crate::error::ErrorBody),
    ))]
pub async fn passkeys_remove(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PasskeyRemove>,
) -> ApiResult<StatusCode> {
    if body.password.len() > MAX_PASSWORD_LEN * 4 {
        return Err(ApiError::unprocessable("password_invalid", "that is not this account's password"));
    }
    passkeys::remove(&state, &user, id, body.password, current_request_id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts answering a `second_factor_required` challenge with a passkey: the options for
/// `navigator.credentials.get()`, listing the account's passkeys.
#[utoipa::path(post, path = "/v1/auth/login/passkey/start", tag = "auth", request_body = PasskeyLoginStart,
    responses(
        (status = 200, description = "`{publicKey}` request options; binary fields base64url", body = PasskeyOptions),
        (status = 401, description = "`challenge_invalid`, `passkey_none` (no passkey that may sign in)", body = crate::error::ErrorBody),
    ))]
pub async fn auth_login_passkey_start(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PasskeyLoginStart>,
) -> ApiResult<ApiJson<PasskeyOptions>> {
    if body.challenge.len() > 128 {
        return Err(ApiError::Unauthorized);
    }
    Ok(ApiJson(passkeys::login_start(&state, &body.challenge, current_request_id()).await?))
}

/// Finishes a login with a passkey: the session, as `/v1/auth/login` gives it.
#[utoipa::path(post, path = "/v1/auth/login/passkey/finish", tag = "auth", request_body = PasskeyLoginFinish,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "`challenge_invalid`, `passkey_not_started`, `passkey_invalid` (does not verify), `passkey_unknown` (not this account's), `passkey_counter_regressed` (the signature counter did not go up: the passkey may be copied and is blocked), `passkey_possibly_cloned` (blocked before); each counts towards the lock (429 after five in a row)", body = crate::error::ErrorBody),
    ))]
pub async fn auth_login_passkey_finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasskeyLoginFinish>,
) -> ApiResult<Response> {
    if body.challenge.len() > 128 {
        return Err(ApiError::Unauthorized);
    }
    let pair =
        passkeys::login_finish(&state, &body.challenge, body.credential, current_request_id(), user_agent(&headers))
            .await?;
    Ok(tokens_response(&state, pair, body.refresh_cookie))
}
