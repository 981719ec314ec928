//! `/v1/hospitals/me/staff`: a hospital's administrators invite people, give them the
//! hospital's keys (sealed in the administrator's browser to the member's own key) and disable
//! them; `/v1/auth/staff-invitations/accept`: a person accepts an invitation (docs/staff.md).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use rand::RngCore as _;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use pramana_wire::{
    StaffAccept, StaffAccepted, StaffInvite, StaffInvited, StaffKeys, StaffKeysSeal, StaffRoleChange, StaffView,
};

use super::auth::{check_name, check_password};
use crate::auth::staff::StaffRole;
use crate::auth::{AuthUser, Role, totp};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, current_request_id};
use crate::state::AppState;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use pramana_server::store::staff::{self as store, NewInvite, StaffRow};
use pramana_server::store::{StoreError, accounts, credentials};

/// How long an invitation code works.
pub const INVITE_TTL_HOURS: i64 = 72;
/// Bytes of a sealed key bundle: HPKE encapsulated key (32), the two 32-byte secrets and the
/// AEAD tag (16).
pub const SEALED_KEYS_LEN: usize = 112;

fn view(r: StaffRow) -> StaffView {
    StaffView {
        id: r.id,
        username: r.username,
        name: r.name,
        role: r.role,
        status: r.status,
        public_key: r.public_key,
        has_keys: r.has_keys,
        invite_expires_at: r.invite_expires_at,
        created_at: r.created_at,
        accepted_at: r.accepted_at,
        disabled_at: r.disabled_at,
    }
}

/// A new invitation code (120 random bits, `xxxx-xxxx-xxxx-xxxx-xxxx-xxxx` in lower-case
/// base32) and the SHA-256 stored for it.
fn new_invite_code() -> (String, [u8; 32]) {
    let mut raw = [0u8; 15];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let text = totp::base32(&raw).to_ascii_lowercase();
    let groups: Vec<&str> = (0..text.len()).step_by(4).map(|i| &text[i..(i + 4).min(text.len())]).collect();
    let code = groups.join("-");
    let hash = invite_hash(&code);
    (code, hash)
}

/// Case, spaces and dashes do not matter.
fn invite_hash(code: &str) -> [u8; 32] {
    let normal: String = code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    Sha256::digest(normal.as_bytes()).into()
}

fn check_username(raw: &str) -> ApiResult<String> {
    let u = raw.trim().to_ascii_lowercase();
    let ok = (2..=32).contains(&u.len())
        && u.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && u.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(u)
    } else {
        Err(ApiError::invalid_field("username", "2 to 32 of a-z 0-9 . _ -, starting with a letter or digit"))
    }
}

fn check_public_key(raw: &str) -> ApiResult<String> {
    let k = raw.trim().to_ascii_lowercase();
    if k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()) && k.bytes().any(|b| b != b'0') {
        Ok(k)
    } else {
        Err(ApiError::invalid_field("public_key", "must be an X25519 public key, 64 hex digits"))
    }
}

/// The hospital's API-secret session or one of its administrators (the route matrix lets no
/// other member here); returns the acting administrator, if a member acts.
fn require_manager(user: &AuthUser) -> ApiResult<Option<Uuid>> {
    user.require(&[Role::Hospital])?;
    match user.staff {
        Some(m) if m.role != StaffRole::Administrator => Err(ApiError::StaffRoleForbidden(m.role.as_str())),
        other => Ok(other.map(|m| m.id)),
    }
}

fn event(user: &AuthUser, action: &'static str, outcome: Outcome, member: Uuid) -> AuditEvent {
    user.actor().event(action, outcome).target("staff", member)
}

/// Records a refusal of a staff call, then returns it.
async fn refused(state: &AppState, user: &AuthUser, action: &'static str, member: Uuid, e: ApiError) -> ApiError {
    let code = match &e {
        ApiError::Conflict(code, _) | ApiError::BadRequest { code, .. } => *code,
        ApiError::NotFound => "not_found",
        ApiError::InvalidField { field: "role", .. } => "invalid_role",
        _ => "refused",
    };
    let ev = event(user, action, Outcome::Denied, member).details(json!({"reason": code}));
    match insert_audit_event_now(&state.pool, &ev).await {
        Ok(_) => e,
        Err(store) => store.into(),
    }
}

/// Invites a person to the caller's hospital in a role; the one-time code is in the answer and
/// nowhere else.
#[utoipa::path(post, path = "/v1/hospitals/me/staff", tag = "staff", security(("bearer" = [])), request_body = StaffInvite,
    responses((status = 201, body = StaffInvited),
              (status = 403, description = "not the hospital or one of its administrators (`staff_role_forbidden`)", body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_name`, `invalid_role`", body = crate::error::ErrorBody)))]
pub async fn staff_invite(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<StaffInvite>,
) -> ApiResult<(StatusCode, ApiJson<StaffInvited>)> {
    let admin = require_manager(&user)?;
    let name = check_name(&body.name)?;
    let role = StaffRole::parse(body.role.trim())
        .ok_or_else(|| ApiError::invalid_field("role", "must be administrator, clinician or records_clerk"))?;
    let (code, hash) = new_invite_code();
    let id = Uuid::now_v7();
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    store::insert_invite(
        &mut tx,
        &NewInvite {
            id,
            hospital_id: user.subject_id,
            name: &name,
            role: role.as_str(),
            code_hash: &hash,
            expires_at: Utc::now() + Duration::hours(INVITE_TTL_HOURS),
            invited_by: admin,
        },
    )
    .await?;
    insert_audit_event(&mut tx, &event(&user, "staff.invite", Outcome::Ok, id).details(json!({"role": role.as_str()})))
        .await?;
    let row = store::find_staff_by_id(&mut *tx, user.subject_id, id).await?.ok_or(ApiError::NotFound)?;
    pramana_server::store::commit(tx).await?;
    Ok((StatusCode::CREATED, ApiJson(StaffInvited { member: view(row), invite_code: code })))
}

/// The caller's hospital's staff, oldest first.
#[utoipa::path(get, path = "/v1/hospitals/me/staff", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffView>),
              (status = 403, description = "not the hospital or one of its administrators", body = crate::error::ErrorBody)))]
pub async fn staff_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<Vec<StaffView>>> {
    require_manager(&user)?;
    let rows = store::find_staff_by_hospital(&state.pool, user.subject_id).await?;
    Ok(ApiJson(rows.into_iter().map(view).collect()))
}

/// The signed-in staff member.
#[utoipa::path(get, path = "/v1/hospitals/me/staff/me", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = StaffView),
              (status = 403, description = "not a staff member's session (`not_staff`)", body = crate::error::ErrorBody)))]
pub async fn staff_me(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<StaffView>> {
    let member = member_of(&user)?;
    let row = store::find_staff_by_id(&state.pool, user.subject_id, member).await?.ok_or(ApiError::NotFound)?;
    Ok(ApiJson(view(row)))
}

fn member_of(user: &AuthUser) -> ApiResult<Uuid> {
    user.staff.map(|m| m.id).ok_or_else(|| ApiError::BadRequest {
        status: StatusCode::FORBIDDEN,
        code: "not_staff",
        message: "this is not a staff member's session".into(),
    })
}

/// The hospital's secrets sealed to the signed-in member's key (their browser opens them).
#[utoipa::path(get, path = "/v1/hospitals/me/staff/me/keys", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = StaffKeys),
              (status = 403, description = "`not_staff`", body = crate::error::ErrorBody),
              (status = 404, description = "`no_staff_keys`: no administrator has given this member the keys yet", body = crate::error::ErrorBody)))]
pub async fn staff_my_keys(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<StaffKeys>> {
    let member = member_of(&user)?;
    let Some((sealed, public_key, sealed_at)) = store::find_sealed_keys(&state.pool, member).await? else {
        return Err(ApiError::BadRequest {
            status: StatusCode::NOT_FOUND,
            code: "no_staff_keys",
            message: "no administrator has given you the hospital's keys yet".into(),
        });
    };
    insert_audit_event_now(&state.pool, &event(&user, "staff.keys.read", Outcome::Ok, member)).await?;
    Ok(ApiJson(StaffKeys { sealed_keys: hex::encode(sealed), public_key, sealed_at }))
}

/// Stores the hospital's secrets sealed (in the caller's browser) to an active member's own
/// public key; the server keeps them as opaque bytes and hands them only to that member.
#[utoipa::path(post, path = "/v1/hospitals/me/staff/{id}/keys", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The member")), request_body = StaffKeysSeal,
    responses((status = 200, body = StaffView),
              (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "no such member of this hospital", body = crate::error::ErrorBody),
              (status = 409, description = "`staff_not_active` (invited or disabled), `staff_key_mismatch` (sealed to another key than the member's)", body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_sealed_keys`, `invalid_public_key`", body = crate::error::ErrorBody)))]
pub async fn staff_keys_seal(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StaffKeysSeal>,
) -> ApiResult<ApiJson<StaffView>> {
    let admin = require_manager(&user)?;
    let sealed = hex::decode(body.sealed_keys.trim())
        .ok()
        .filter(|b| b.len() == SEALED_KEYS_LEN)
        .ok_or_else(|| ApiError::invalid_field("sealed_keys", "must be 112 bytes as 224 hex digits"))?;
    let public_key = check_public_key(&body.public_key)?;
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let Some(row) = store::find_staff_by_id_for_update(&mut tx, user.subject_id, id).await? else {
        drop(tx);
        return Err(refused(&state, &user, "staff.keys.seal", id, ApiError::NotFound).await);
    };
    if row.status != "active" {
        drop(tx);
        let e =
            ApiError::Conflict("staff_not_active", "only a member who accepted and is not disabled can be given keys");
        return Err(refused(&state, &user, "staff.keys.seal", id, e).await);
    }
    if row.public_key.as_deref() != Some(public_key.as_str()) {
        drop(tx);
        let e = ApiError::Conflict("staff_key_mismatch", "the keys were sealed to another key than this member's");
        return Err(refused(&state, &user, "staff.keys.seal", id, e).await);
    }
    store::mark_keys_sealed(&mut tx, id, &sealed, admin).await?;
    insert_audit_event(&mut tx, &event(&user, "staff.keys.seal", Outcome::Ok, id)).await?;
    let row = store::find_staff_by_id(&mut *tx, user.subject_id, id).await?.ok_or(ApiError::NotFound)?;
    pramana_server::store::commit(tx).await?;
    Ok(ApiJson(view(row)))
}

/// Disables a member: their sessions end at once, their sealed keys are dropped, and they can
/// no longer sign in. What their browser already saved stays with them (docs/staff.md).
#[utoipa::path(post, path = "/v1/hospitals/me/staff/{id}/disable", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The member")),
    responses((status = 200, body = StaffView),
              (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "no such member of this hospital", body = crate::error::ErrorBody),
              (status = 409, description = "`staff_already_disabled`, `cannot_disable_self`", body = crate::error::ErrorBody)))]
pub async fn staff_disable(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<StaffView>> {
    let admin = require_manager(&user)?;
    if admin == Some(id) {
        let e = ApiError::Conflict("cannot_disable_self", "an administrator cannot disable their own account");
        return Err(refused(&state, &user, "staff.disable", id, e).await);
    }
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let Some(row) = store::find_staff_by_id_for_update(&mut tx, user.subject_id, id).await? else {
        drop(tx);
        return Err(refused(&state, &user, "staff.disable", id, ApiError::NotFound).await);
    };
    if row.status == "disabled" {
        drop(tx);
        let e = ApiError::Conflict("staff_already_disabled", "this member is already disabled");
        return Err(refused(&state, &user, "staff.disable", id, e).await);
    }
    let ended = store::mark_staff_disabled(&mut tx, id, admin).await?;
    insert_audit_event(
        &mut tx,
        &event(&user, "staff.disable", Outcome::Ok, id).details(json!({"sessions_ended": ended, "was": row.status})),
    )
    .await?;
    let row = store::find_staff_by_id(&mut *tx, user.subject_id, id).await?.ok_or(ApiError::NotFound)?;
    pramana_server::store::commit(tx).await?;
    Ok(ApiJson(view(row)))
}

/// Changes a member's role (invited or active). It holds from their next request: the role is
/// read with the session, so a clinician made a records clerk cannot open a document's content
/// from then on. Keys already in their browser stay there (docs/staff.md).
#[utoipa::path(post, path = "/v1/hospitals/me/staff/{id}/role", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The member")), request_body = StaffRoleChange,
    responses((status = 200, body = StaffView),
              (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "no such member of this hospital", body = crate::error::ErrorBody),
              (status = 409, description = "`staff_already_disabled`, `cannot_change_own_role`", body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_role`", body = crate::error::ErrorBody)))]
pub async fn staff_set_role(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StaffRoleChange>,
) -> ApiResult<ApiJson<StaffView>> {
    let admin = require_manager(&user)?;
    let Some(role) = StaffRole::parse(body.role.trim()) else {
        let e = ApiError::invalid_field("role", "must be administrator, clinician or records_clerk");
        return Err(refused(&state, &user, "staff.role", id, e).await);
    };
    if admin == Some(id) {
        let e = ApiError::Conflict(
            "cannot_change_own_role",
            "an administrator cannot change their own role; ask another administrator",
        );
        return Err(refused(&state, &user, "staff.role", id, e).await);
    }
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let Some(row) = store::find_staff_by_id_for_update(&mut tx, user.subject_id, id).await? else {
        drop(tx);
        return Err(refused(&state, &user, "staff.role", id, ApiError::NotFound).await);
    };
    if row.status == "disabled" {
        drop(tx);
        let e = ApiError::Conflict("staff_already_disabled", "this member is disabled; invite them again");
        return Err(refused(&state, &user, "staff.role", id, e).await);
    }
    if row.role != role.as_str() {
        store::set_staff_role(&mut tx, id, role.as_str()).await?;
        insert_audit_event(
            &mut tx,
            &event(&user, "staff.role", Outcome::Ok, id).details(json!({"from": row.role, "to": role.as_str()})),
        )
        .await?;
    }
    let row = store::find_staff_by_id(&mut *tx, user.subject_id, id).await?.ok_or(ApiError::NotFound)?;
    pramana_server::store::commit(tx).await?;
    Ok(ApiJson(view(row)))
}

/// Accepts an invitation: the person chooses a username and password and registers the public
/// half of the key pair their browser made. They can sign in as `<HFR id>/<username>` at once,
/// but hold none of the hospital's keys until an administrator gives them.
#[utoipa::path(post, path = "/v1/auth/staff-invitations/accept", tag = "staff", request_body = StaffAccept,
    responses((status = 201, body = StaffAccepted),
              (status = 404, description = "`invitation_invalid`: unknown, already used, or its member disabled", body = crate::error::ErrorBody),
              (status = 409, description = "`username_taken` in this hospital", body = crate::error::ErrorBody),
              (status = 410, description = "`invitation_expired`: ask an administrator for a new one", body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_username`, `invalid_password`, `invalid_public_key`", body = crate::error::ErrorBody)))]
pub async fn staff_accept(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<StaffAccept>,
) -> ApiResult<(StatusCode, ApiJson<StaffAccepted>)> {
    let username = check_username(&body.username)?;
    check_password(&body.password)?;
    let public_key = check_public_key(&body.public_key)?;
    let request_id = current_request_id();
    let deny = |reason: &'static str| {
        AuditEvent::new("anonymous", None, "staff.accept", Outcome::Denied)
            .request_id(request_id.clone())
            .details(json!({"reason": reason}))
    };
    if body.code.len() > 128 {
        insert_audit_event_now(&state.pool, &deny("invitation_invalid")).await?;
        return Err(invitation_invalid());
    }
    // Hash the password before taking the row lock.
    let hash = state.hasher.hash(body.password).await.map_err(ApiError::internal)?;
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let row = store::find_staff_by_invite_for_update(&mut tx, &invite_hash(&body.code)).await?;
    let Some(row) = row.filter(|r| r.status == "invited") else {
        drop(tx);
        insert_audit_event_now(&state.pool, &deny("invitation_invalid")).await?;
        return Err(invitation_invalid());
    };
    if row.invite_expires_at <= Utc::now() {
        drop(tx);
        insert_audit_event_now(&state.pool, &deny("invitation_expired").target("staff", row.id)).await?;
        return Err(ApiError::BadRequest {
            status: StatusCode::GONE,
            code: "invitation_expired",
            message: "this invitation has expired; ask an administrator for a new one".into(),
        });
    }
    let hospital = accounts::find_hospital_by_id(&mut *tx, row.hospital_id).await?.ok_or(ApiError::NotFound)?;
    let login = format!("{}/{username}", hospital.hfr_id);
    let result: Result<(), StoreError> = async {
        store::mark_invite_accepted(&mut tx, row.id, &username, &public_key).await?;
        credentials::insert_staff_credential(&mut *tx, row.id, &login, &hash).await?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        drop(tx);
        if matches!(e, StoreError::Conflict(_)) {
            insert_audit_event_now(&state.pool, &deny("username_taken").target("staff", row.id)).await?;
            return Err(ApiError::Conflict(
                "username_taken",
                "this username is taken in this hospital; choose another",
            ));
        }
        return Err(e.into());
    }
    insert_audit_event(
        &mut tx,
        &AuditEvent::new(Role::Hospital.as_str(), Some(row.hospital_id), "staff.accept", Outcome::Ok)
            .staff(Some(row.id))
            .target("staff", row.id)
            .request_id(request_id),
    )
    .await?;
    let member = store::find_staff_by_id(&mut *tx, row.hospital_id, row.id).await?.ok_or(ApiError::NotFound)?;
    pramana_server::store::commit(tx).await?;
    Ok((StatusCode::CREATED, ApiJson(StaffAccepted { member: view(member), login })))
}

fn invitation_invalid() -> ApiError {
    ApiError::BadRequest {
        status: StatusCode::NOT_FOUND,
        code: "invitation_invalid",
        message: "this invitation code is unknown or was already used".into(),
    }
}
