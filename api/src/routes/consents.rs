//! `/v1/consents`: consent artefacts in ABDM's shape. A hospital requests one for a patient
//! (named by ABHA number); the patient sees it and denies it or (with the consent lifecycle's
//! signed grants, still to come) grants it; an unanswered request expires at its own expiry. Only
//! the two parties see an artefact; anyone else gets 404.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use pramana_core::{AbhaNumber, AccessMode, ConsentStatus, HiType, Purpose};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::{AppState, current_request_id};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, conflict_as};
use crate::store::StoreError;
use crate::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use crate::store::consents::{self, ConsentRow};

/// Longest a request may stay open for the patient to answer.
const MAX_REQUEST_DAYS: i64 = 30;
/// Most HI types in one artefact (there are seven).
const MAX_HI_TYPES: usize = 7;

/// The care dates of the records in scope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    /// First care date (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// Last care date (`YYYY-MM-DD`), not before `from`.
    pub to: NaiveDate,
}

/// How often the hospital may fetch (ABDM `frequency`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Frequency {
    /// `HOUR`, `DAY`, `WEEK`, `MONTH` or `YEAR`.
    pub unit: String,
    /// Fetches per unit, at least 1.
    pub value: i32,
    /// Repeats, 0 or more.
    pub repeats: i32,
}

/// A hospital's consent request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequestCreate {
    /// The patient's ABHA number (with or without hyphens).
    #[schema(example = "91-2345-6789-0129")]
    pub patient_abha_number: String,
    /// Purpose of use: `CAREMGT`, `BTG`, `PUBHLTH`, `HPAYMT`, `DSRCH` or `PATRQT`.
    pub purpose: String,
    /// HI types in scope, e.g. `["DiagnosticReport"]`.
    pub hi_types: Vec<String>,
    /// `VIEW`, `STORE`, `QUERY` or `STREAM`.
    pub access_mode: String,
    /// Care dates of the records in scope.
    pub date_range: DateRange,
    /// When a grant would end (ABDM `dataEraseAt`); in the future.
    pub data_erase_at: DateTime<Utc>,
    /// How often the hospital may fetch.
    pub frequency: Frequency,
    /// When this request lapses if the patient does not act; in the future, within 30 days.
    pub expires_at: DateTime<Utc>,
}

/// A consent artefact.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    /// Id.
    pub id: Uuid,
    /// The patient.
    pub patient_id: Uuid,
    /// The requesting hospital.
    pub hospital_id: Uuid,
    /// `REQUESTED`, `GRANTED`, `DENIED`, `EXPIRED` or `REVOKED`, as of now.
    pub status: String,
    /// Purpose code.
    pub purpose: String,
    /// HI types in scope.
    pub hi_types: Vec<String>,
    /// Access mode.
    pub access_mode: String,
    /// Care dates in scope.
    pub date_range: DateRange,
    /// When a grant ends.
    pub data_erase_at: DateTime<Utc>,
    /// Fetch frequency.
    pub frequency: Frequency,
    /// When the request lapses.
    pub expires_at: DateTime<Utc>,
    /// Request time.
    pub created_at: DateTime<Utc>,
    /// Decision time.
    pub decided_at: Option<DateTime<Utc>>,
}

/// The status as of `now`: a stored status, or `EXPIRED` once the request's own expiry (for a
/// request) or `data_erase_at` (for a grant) has passed.
pub fn effective_status(c: &ConsentRow, now: DateTime<Utc>) -> ConsentStatus {
    let stored = ConsentStatus::parse(&c.status).unwrap_or(ConsentStatus::Expired);
    match stored {
        ConsentStatus::Requested if now >= c.request_expires_at => ConsentStatus::Expired,
        ConsentStatus::Granted if now >= c.data_erase_at => ConsentStatus::Expired,
        other => other,
    }
}

fn view(c: ConsentRow, now: DateTime<Utc>) -> ConsentView {
    ConsentView {
        status: effective_status(&c, now).code().to_owned(),
        id: c.id,
        patient_id: c.patient_id,
        hospital_id: c.hospital_id,
        purpose: c.purpose,
        hi_types: c.hi_types,
        access_mode: c.access_mode,
        date_range: DateRange { from: c.date_from, to: c.date_to },
        data_erase_at: c.data_erase_at,
        frequency: Frequency { unit: c.frequency_unit, value: c.frequency_value, repeats: c.frequency_repeats },
        expires_at: c.request_expires_at,
        created_at: c.created_at,
        decided_at: c.decided_at,
    }
}

fn event(user: &AuthUser, action: &'static str, outcome: Outcome, c: &ConsentRow) -> AuditEvent {
    AuditEvent {
        actor_role: user.role.as_str(),
        actor_id: Some(user.subject_id),
        action,
        outcome,
        subject_patient_id: Some(c.patient_id),
        target: Some(format!("consent:{}", c.id)),
        request_id: current_request_id(),
        details: json!({"hospital_id": c.hospital_id, "purpose": c.purpose}),
    }
}

/// Validates a request into a row (everything but the patient, which needs the database).
fn check_request(
    req: &ConsentRequestCreate,
    hospital_id: Uuid,
    patient_id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<ConsentRow> {
    let purpose = Purpose::parse(&req.purpose).map_err(ApiError::invalid("purpose"))?;
    if req.hi_types.is_empty() || req.hi_types.len() > MAX_HI_TYPES {
        return Err(ApiError::invalid_field("hi_types", "one to seven HI types"));
    }
    let mut hi_types = Vec::with_capacity(req.hi_types.len());
    for t in &req.hi_types {
        let t = HiType::parse(t).map_err(ApiError::invalid("hi_types"))?;
        if hi_types.contains(&t) {
            return Err(ApiError::invalid_field("hi_types", format!("{t} is listed twice")));
        }
        hi_types.push(t);
    }
    hi_types.sort();
    let access_mode = AccessMode::parse(&req.access_mode).map_err(ApiError::invalid("access_mode"))?;
    if req.date_range.from > req.date_range.to {
        return Err(ApiError::invalid_field("date_range", "from must not be after to"));
    }
    if req.data_erase_at <= now {
        return Err(ApiError::invalid_field("data_erase_at", "must be in the future"));
    }
    if req.expires_at <= now || req.expires_at > now + chrono::Duration::days(MAX_REQUEST_DAYS) {
        return Err(ApiError::invalid_field("expires_at", "must be in the future, within 30 days"));
    }
    if req.expires_at > req.data_erase_at {
        return Err(ApiError::invalid_field("expires_at", "must not be after data_erase_at"));
    }
    let f = &req.frequency;
    if !["HOUR", "DAY", "WEEK", "MONTH", "YEAR"].contains(&f.unit.as_str()) || f.value < 1 || f.repeats < 0 {
        return Err(ApiError::invalid_field(
            "frequency",
            "unit HOUR, DAY, WEEK, MONTH or YEAR; value at least 1; repeats 0 or more",
        ));
    }
    Ok(ConsentRow {
        id: Uuid::now_v7(),
        patient_id,
        hospital_id,
        purpose: purpose.code().to_owned(),
        hi_types: hi_types.iter().map(|t| t.code().to_owned()).collect(),
        access_mode: access_mode.code().to_owned(),
        date_from: req.date_range.from,
        date_to: req.date_range.to,
        data_erase_at: req.data_erase_at,
        frequency_unit: f.unit.clone(),
        frequency_value: f.value,
        frequency_repeats: f.repeats,
        request_expires_at: req.expires_at,
        status: ConsentStatus::Requested.code().to_owned(),
        created_at: now,
        decided_at: None,
    })
}

/// A hospital asks a patient for consent (one open artefact per hospital and patient).
#[utoipa::path(post, path = "/v1/consents", tag = "consents", security(("bearer" = [])), request_body = ConsentRequestCreate,
    responses((status = 201, body = ConsentView),
               (status = 403, description = "not a hospital", body = crate::error::ErrorBody),
               (status = 409, description = "`consent_exists`: an open artefact with this patient", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_<field>`", body = crate::error::ErrorBody)))]
pub async fn consents_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<ConsentRequestCreate>,
) -> ApiResult<(StatusCode, ApiJson<ConsentView>)> {
    user.require(&[Role::Hospital])?;
    let abha = AbhaNumber::parse(&req.patient_abha_number).map_err(ApiError::invalid("patient_abha_number"))?;
    let now = Utc::now();
    // Validate everything that needs no database first, with a placeholder patient.
    check_request(&req, user.subject_id, Uuid::nil(), now)?;
    let patient_id = consents::find_patient_id_by_abha(&state.pool, abha.as_digits()).await?.ok_or_else(|| {
        ApiError::invalid_field("patient_abha_number", "no patient is registered with this ABHA number")
    })?;
    let row = check_request(&req, user.subject_id, patient_id, now)?;
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    consents::mark_open_consent_expired(&mut tx, patient_id, user.subject_id).await?;
    consents::insert_consent(&mut tx, &row).await.map_err(conflict_as(
        "consent_exists",
        "this hospital already has an open consent artefact with this patient",
    ))?;
    insert_audit_event(&mut tx, &event(&user, "consent.request", Outcome::Ok, &row)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, ApiJson(view(row, now))))
}

/// The caller's artefacts: a patient's, or those a hospital requested; newest first.
#[utoipa::path(get, path = "/v1/consents", tag = "consents", security(("bearer" = [])),
    responses((status = 200, body = Vec<ConsentView>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn consents_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<Vec<ConsentView>>> {
    let rows = match user.role {
        Role::Patient => consents::find_consents_by_party(&state.pool, Some(user.subject_id), None).await?,
        Role::Hospital => consents::find_consents_by_party(&state.pool, None, Some(user.subject_id)).await?,
        Role::Auditor | Role::Admin => return Err(ApiError::Forbidden),
    };
    let now = Utc::now();
    Ok(ApiJson(rows.into_iter().map(|c| view(c, now)).collect()))
}

/// Loads an artefact the caller is a party to; anyone else gets 404 (and an audited denial).
async fn load_party(state: &AppState, user: &AuthUser, id: Uuid, action: &'static str) -> ApiResult<ConsentRow> {
    let c = consents::find_consent_by_id(&state.pool, id).await?.ok_or(ApiError::NotFound)?;
    let party = match user.role {
        Role::Patient => c.patient_id == user.subject_id,
        Role::Hospital => c.hospital_id == user.subject_id,
        Role::Auditor | Role::Admin => false,
    };
    if !party {
        insert_audit_event_now(&state.pool, &event(user, action, Outcome::Denied, &c)).await?;
        return Err(ApiError::NotFound);
    }
    Ok(c)
}

/// One artefact (its patient or its hospital only).
#[utoipa::path(get, path = "/v1/consents/{id}", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ConsentView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn consents_get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<ConsentView>> {
    let c = load_party(&state, &user, id, "consent.read").await?;
    Ok(ApiJson(view(c, Utc::now())))
}

/// The patient refuses a request that is still open.
#[utoipa::path(post, path = "/v1/consents/{id}/deny", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ConsentView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not an open request (decided or expired)", body = crate::error::ErrorBody)))]
pub async fn consents_deny(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<ConsentView>> {
    user.require(&[Role::Patient])?;
    let c = load_party(&state, &user, id, "consent.deny").await?;
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    if !consents::mark_consent_denied(&mut tx, c.id).await? {
        return Err(ApiError::Conflict("invalid_transition", "only an open, unexpired request can be denied"));
    }
    insert_audit_event(&mut tx, &event(&user, "consent.deny", Outcome::Ok, &c)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let c = consents::find_consent_by_id(&state.pool, id).await?.ok_or(ApiError::NotFound)?;
    Ok(ApiJson(view(c, Utc::now())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, expires_in: i64, erase_in: i64, now: DateTime<Utc>) -> ConsentRow {
        ConsentRow {
            id: Uuid::nil(),
            patient_id: Uuid::nil(),
            hospital_id: Uuid::nil(),
            purpose: "CAREMGT".into(),
            hi_types: vec!["DiagnosticReport".into()],
            access_mode: "VIEW".into(),
            date_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            date_to: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            data_erase_at: now + chrono::Duration::seconds(erase_in),
            frequency_unit: "DAY".into(),
            frequency_value: 1,
            frequency_repeats: 0,
            request_expires_at: now + chrono::Duration::seconds(expires_in),
            status: status.into(),
            created_at: now,
            decided_at: None,
        }
    }

    #[test]
    fn expiry_follows_the_right_clock() {
        let now = Utc::now();
        assert_eq!(effective_status(&row("REQUESTED", 10, 100, now), now), ConsentStatus::Requested);
        assert_eq!(effective_status(&row("REQUESTED", 0, 100, now), now), ConsentStatus::Expired, "request expiry");
        // A grant outlives its request's expiry and ends at data_erase_at.
        assert_eq!(effective_status(&row("GRANTED", -10, 100, now), now), ConsentStatus::Granted);
        assert_eq!(effective_status(&row("GRANTED", -10, 0, now), now), ConsentStatus::Expired);
        assert_eq!(effective_status(&row("DENIED", -10, -10, now), now), ConsentStatus::Denied);
        assert_eq!(effective_status(&row("REVOKED", -10, -10, now), now), ConsentStatus::Revoked);
    }
}
