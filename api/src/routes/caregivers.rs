//! `/v1/caregivers`: caregivers and family (`service::caregivers`, docs/caregivers.md). A patient
//! gives another patient account rights over their record, lists and revokes them, and adds the
//! caregiver's stanzas page by page (the same shape as a consent's); the caregiver, signed in as
//! themselves, lists the people they care for and acts through the grant's id: documents in
//! scope, and with `manage_consents` the patient's consent requests (deny only).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use pramana_server::store::caregivers::CaregiverRow;
use pramana_wire::{
    CaregiverCreate, CaregiverList, CaregiverView, ConsentView, DocumentView, StanzaChangeOutcome, StanzaChangePage,
    StanzaDocumentPage, StanzaQuery,
};
use tokio::io::AsyncReadExt as _;
use uuid::Uuid;

use super::consents::{document_page, new_headers, outcome, with_chain_state};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::service::caregivers::{self as service, GrantInput};
use crate::service::documents::my_key_ids;
use crate::state::AppState;
use crate::storage::{BoxReader, VerifyingReader};
use crate::views;

fn view(g: CaregiverRow, now: chrono::DateTime<Utc>) -> CaregiverView {
    CaregiverView {
        id: g.id,
        patient_id: g.patient_id,
        state: g.state_at(now).as_str().to_owned(),
        patient_name: g.patient_name,
        caregiver_id: g.caregiver_id,
        caregiver_name: g.caregiver_name,
        caregiver_abha_number: g.caregiver_abha,
        caregiver_x25519_public_key: g.caregiver_x25519,
        manage_consents: g.manage_consents,
        hi_types: g.hi_types.iter().map(|t| t.code().to_owned()).collect(),
        valid_from: g.valid_from,
        valid_until: g.valid_until,
        created_at: g.created_at,
        revoked_at: g.revoked_at,
    }
}

fn list(rows: Vec<CaregiverRow>) -> CaregiverList {
    let now = Utc::now();
    CaregiverList { items: rows.into_iter().map(|g| view(g, now)).collect() }
}

/// A patient gives another patient account (named by ABHA address or number) caregiver rights:
/// reading documents of the HI types given during the period, and optionally denying consent
/// requests. In force at once; the caregiver reads a document only once the patient's browser
/// has added their stanza (`/v1/caregivers/{id}/stanzas/pending`).
#[utoipa::path(post, path = "/v1/caregivers", tag = "caregivers", security(("bearer" = [])),
    request_body = CaregiverCreate,
    responses((status = 201, body = CaregiverView),
               (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, description = "`caregiver_not_found`", body = crate::error::ErrorBody),
               (status = 409, description = "`caregiver_exists`: rights to this account not yet revoked", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_caregiver`, `invalid_hi_types`, `invalid_valid_until`, `caregiver_self`, `caregiver_ambiguous`, `no_caregiver_key`", body = crate::error::ErrorBody)))]
pub async fn caregivers_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<CaregiverCreate>,
) -> ApiResult<(StatusCode, ApiJson<CaregiverView>)> {
    let input = GrantInput {
        caregiver: body.caregiver,
        manage_consents: body.manage_consents,
        hi_types: body.hi_types,
        valid_from: body.valid_from,
        valid_until: body.valid_until,
    };
    let now = Utc::now();
    let g = service::create(&state.pool, &user.actor(), input, now).await?;
    Ok((StatusCode::CREATED, ApiJson(view(g, now))))
}

/// The caregiver rights the patient gave, newest first.
#[utoipa::path(get, path = "/v1/caregivers", tag = "caregivers", security(("bearer" = [])),
    responses((status = 200, body = CaregiverList), (status = 403, description = "not a patient", body = crate::error::ErrorBody)))]
pub async fn caregivers_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<CaregiverList>> {
    Ok(ApiJson(list(service::list_given(&state.pool, &user.actor()).await?)))
}

/// The people the caller cares for: rights other patients gave the caller, newest first.
#[utoipa::path(get, path = "/v1/caregivers/cared-for", tag = "caregivers", security(("bearer" = [])),
    responses((status = 200, body = CaregiverList), (status = 403, description = "not a patient", body = crate::error::ErrorBody)))]
pub async fn caregivers_cared_for(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<CaregiverList>> {
    Ok(ApiJson(list(service::list_received(&state.pool, &user.actor()).await?)))
}

/// The patient revokes caregiver rights: from this instant every request of the caregiver's
/// through them is refused (`proxy_revoked`). Copies the caregiver already downloaded cannot be
/// taken back; the stanzas follow (`/v1/caregivers/{id}/stanzas/stale`).
#[utoipa::path(post, path = "/v1/caregivers/{id}/revoke", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CaregiverView),
               (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, description = "no such grant of this patient", body = crate::error::ErrorBody),
               (status = 409, description = "`caregiver_revoked`: revoked already", body = crate::error::ErrorBody)))]
pub async fn caregivers_revoke(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<CaregiverView>> {
    let now = Utc::now();
    Ok(ApiJson(view(service::revoke(&state.pool, &user.actor(), id, now).await?, now)))
}

/// The caregiver lists the patient's live documents the rights cover, each with the caregiver's
/// own stanza when the patient's browser has added it.
#[utoipa::path(get, path = "/v1/caregivers/{id}/documents", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<DocumentView>),
               (status = 403, description = "`proxy_revoked`, `proxy_expired`", body = crate::error::ErrorBody),
               (status = 404, description = "no such grant to this caregiver", body = crate::error::ErrorBody)))]
pub async fn caregivers_documents(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Vec<DocumentView>>> {
    let rows = service::documents(&state.pool, &user.actor(), id, Utc::now()).await?;
    let mine = my_key_ids(&state.pool, user.subject_id).await?;
    Ok(ApiJson(rows.into_iter().map(|d| views::document_view(d, &mine)).collect()))
}

/// The caregiver reads one document's metadata, header and their own stanza.
#[utoipa::path(get, path = "/v1/caregivers/{id}/documents/{document_id}", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("document_id" = Uuid, Path)),
    responses((status = 200, body = DocumentView),
               (status = 403, description = "`proxy_scope` (outside the HI types given), `proxy_revoked`, `proxy_expired`", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody)))]
pub async fn caregivers_document(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, document_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<ApiJson<DocumentView>> {
    let doc =
        service::document(&state.pool, &user.actor(), id, document_id, "document.read_metadata", Utc::now()).await?;
    let mine = my_key_ids(&state.pool, user.subject_id).await?;
    Ok(ApiJson(views::document_view(doc, &mine)))
}

/// The caregiver downloads one document's envelope (`header ‖ payload`, whole), to open in
/// their own browser with their own key.
#[utoipa::path(get, path = "/v1/caregivers/{id}/documents/{document_id}/content", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("document_id" = Uuid, Path)),
    responses((status = 200, description = "The envelope", content_type = "application/octet-stream", body = Vec<u8>),
               (status = 403, description = "`proxy_scope`, `proxy_revoked`, `proxy_expired`", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody)))]
pub async fn caregivers_document_content(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, document_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let doc = service::document(&state.pool, &user.actor(), id, document_id, "document.download", Utc::now()).await?;
    let Some(head) = doc.header.clone() else { return Err(ApiError::NotFound) };
    let total = head.len() as u64 + doc.payload_size as u64;
    let object = state.storage.read(&doc.storage_key, 0, doc.payload_size as u64).await.map_err(ApiError::internal)?;
    let payload: BoxReader = Box::pin(VerifyingReader::new(object, doc.payload_sha256));
    let reader: BoxReader = Box::pin(std::io::Cursor::new(head).chain(payload));
    let mut resp = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(reader, 64 * 1024)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The caregiver lists the patient's consent artefacts (requests and grants): only with
/// `manage_consents`.
#[utoipa::path(get, path = "/v1/caregivers/{id}/consents", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ConsentView>),
               (status = 403, description = "`proxy_scope` (rights without managing consents), `proxy_revoked`, `proxy_expired`", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody)))]
pub async fn caregivers_consents(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Vec<ConsentView>>> {
    let rows = service::consents(&state.pool, &user.actor(), id, Utc::now()).await?;
    Ok(ApiJson(with_chain_state(&state, rows).await?))
}

/// The caregiver denies an open consent request for the patient (a denial needs no signature).
#[utoipa::path(post, path = "/v1/caregivers/{id}/consents/{consent_id}/deny", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("consent_id" = Uuid, Path)),
    responses((status = 200, body = ConsentView),
               (status = 403, description = "`proxy_scope`, `proxy_revoked`, `proxy_expired`", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not an open request", body = crate::error::ErrorBody)))]
pub async fn caregivers_consent_deny(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, consent_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<ApiJson<ConsentView>> {
    let c = service::consent_deny(&state.pool, &user.actor(), id, consent_id, Utc::now()).await?;
    Ok(ApiJson(with_chain_state(&state, vec![c]).await?.pop().ok_or(ApiError::NotFound)?))
}

/// A caregiver cannot grant a consent: the contract accepts a grant only with the patient's own
/// EIP-712 signature. Always refused (`patient_signature_required`), and audited.
#[utoipa::path(post, path = "/v1/caregivers/{id}/consents/{consent_id}/grant", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("consent_id" = Uuid, Path)),
    responses((status = 403, description = "`patient_signature_required`, `proxy_scope`, `proxy_revoked`, `proxy_expired`", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody)))]
pub async fn caregivers_consent_grant(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, consent_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::consent_sign(&state.pool, &user.actor(), id, consent_id, "consent.grant", Utc::now()).await?;
    Err(ApiError::Forbidden)
}

/// A caregiver cannot revoke a consent: the contract accepts a revocation only with the
/// patient's own EIP-712 signature. Always refused (`patient_signature_required`), and audited.
#[utoipa::path(post, path = "/v1/caregivers/{id}/consents/{consent_id}/revoke", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("consent_id" = Uuid, Path)),
    responses((status = 403, description = "`patient_signature_required`, `proxy_scope`, `proxy_revoked`, `proxy_expired`", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody)))]
pub async fn caregivers_consent_revoke(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, consent_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::consent_sign(&state.pool, &user.actor(), id, consent_id, "consent.revoke", Utc::now()).await?;
    Err(ApiError::Forbidden)
}

/// The patient's live documents in the rights' HI types still lacking the caregiver's stanza
/// (the patient only, while the rights are in force), in id order: what the patient's browser
/// adds a stanza to, page by page, as for a consent.
#[utoipa::path(get, path = "/v1/caregivers/{id}/stanzas/pending", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path), StanzaQuery),
    responses((status = 200, body = StanzaDocumentPage), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not in force", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_limit`, `no_caregiver_key`", body = crate::error::ErrorBody)))]
pub async fn caregivers_stanzas_pending(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StanzaQuery>,
) -> ApiResult<ApiJson<StanzaDocumentPage>> {
    user.require(&[Role::Patient])?;
    let page = service::stanzas_pending(&state.pool, &user.actor(), id, q.after, q.limit, Utc::now()).await?;
    Ok(ApiJson(document_page(page)))
}

/// Adds the caregiver's stanza to a page of documents the rights cover (the patient only), in
/// one transaction: each new header the listed one plus one stanza for the caregiver's current
/// key, or the whole page is refused and changes nothing.
#[utoipa::path(post, path = "/v1/caregivers/{id}/stanzas", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = StanzaChangePage,
    responses((status = 200, body = StanzaChangeOutcome), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not in force", body = crate::error::ErrorBody),
               (status = 413, description = "`body_too_large`: send fewer headers per page", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_headers` (the page changed nothing), `no_caregiver_key`", body = crate::error::ErrorBody)))]
pub async fn caregivers_stanzas_add(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StanzaChangePage>,
) -> ApiResult<ApiJson<StanzaChangeOutcome>> {
    user.require(&[Role::Patient])?;
    let out = service::stanzas_add(&state.pool, &user.actor(), id, new_headers(body), Utc::now()).await?;
    Ok(ApiJson(outcome(out)))
}

/// The patient's live documents still carrying the caregiver's stanza once the rights were
/// revoked or ended (the patient only).
#[utoipa::path(get, path = "/v1/caregivers/{id}/stanzas/stale", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path), StanzaQuery),
    responses((status = 200, body = StanzaDocumentPage), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`grant_in_force`", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_limit`, `no_caregiver_key`, `own_key`", body = crate::error::ErrorBody)))]
pub async fn caregivers_stanzas_stale(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StanzaQuery>,
) -> ApiResult<ApiJson<StanzaDocumentPage>> {
    user.require(&[Role::Patient])?;
    let page = service::stanzas_stale(&state.pool, &user.actor(), id, q.after, q.limit, Utc::now()).await?;
    Ok(ApiJson(document_page(page)))
}

/// Removes the caregiver's stanza from a page of the patient's documents once the rights were
/// revoked or ended (the patient only), in one transaction.
#[utoipa::path(post, path = "/v1/caregivers/{id}/stanzas/remove", tag = "caregivers", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = StanzaChangePage,
    responses((status = 200, body = StanzaChangeOutcome), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`grant_in_force`", body = crate::error::ErrorBody),
               (status = 413, description = "`body_too_large`: send fewer headers per page", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_headers` (the page changed nothing), `no_caregiver_key`, `own_key`", body = crate::error::ErrorBody)))]
pub async fn caregivers_stanzas_remove(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StanzaChangePage>,
) -> ApiResult<ApiJson<StanzaChangeOutcome>> {
    user.require(&[Role::Patient])?;
    let out = service::stanzas_remove(&state.pool, &user.actor(), id, new_headers(body), Utc::now()).await?;
    Ok(ApiJson(outcome(out)))
}
