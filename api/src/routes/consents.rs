//! `/v1/consents`: consent artefacts in ABDM's shape. A hospital requests one for a patient
//! (named by ABHA number); the patient sees it and denies it or grants it with a signed EIP-712
//! grant, and may revoke a grant; an unanswered request expires at its own expiry. Only the two
//! parties see an artefact; anyone else gets 404. The lifecycle itself is `service::consents`.

use alloy::primitives::Address;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use pramana_core::chain::eip712::domain;
use pramana_core::{AbhaNumber, AccessMode, HiType, Purpose, hex0x};
use pramana_wire::{
    ConsentGrantBody, ConsentRequestCreate, ConsentResignBody, ConsentRevokeBody, ConsentView, GranteeKeys,
    SignedConsentPage, SignedConsentQuery, SignedConsentView, StanzaChangeOutcome, StanzaChangePage, StanzaDocument,
    StanzaDocumentPage, StanzaQuery,
};
use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::service::consents::{self as service, GrantInput, NewRequest, SignedFields};
use crate::service::stanzas::{self, DocumentPage, NewHeader, PageOutcome};
use crate::state::AppState;
use crate::views;
use pramana_server::store::consents::{self, ConsentRow};
use pramana_server::store::keys;
use pramana_server::store::relay;

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
    let request = NewRequest {
        patient_abha: AbhaNumber::parse(&req.patient_abha_number).map_err(ApiError::invalid("patient_abha_number"))?,
        purpose: Purpose::parse(&req.purpose).map_err(ApiError::invalid("purpose"))?,
        hi_types: parse_hi_types(&req.hi_types)?,
        access_mode: AccessMode::parse(&req.access_mode).map_err(ApiError::invalid("access_mode"))?,
        date_from: req.date_range.from,
        date_to: req.date_range.to,
        data_erase_at: req.data_erase_at,
        frequency_unit: req.frequency.unit,
        frequency_value: req.frequency.value,
        frequency_repeats: req.frequency.repeats,
        expires_at: req.expires_at,
    };
    let now = Utc::now();
    let row = service::request(&state.pool, &user.actor(), request, now).await?;
    Ok((StatusCode::CREATED, ApiJson(views::consent_view(row, &[], now))))
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
    Ok(ApiJson(with_chain_state(&state, rows).await?))
}

/// Views of `rows` with their chain state (one query).
pub(crate) async fn with_chain_state(state: &AppState, rows: Vec<ConsentRow>) -> ApiResult<Vec<ConsentView>> {
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let chain = relay::find_chain_states(&state.pool, &ids).await?;
    let now = Utc::now();
    Ok(rows.into_iter().map(|c| views::consent_view(c, &chain, now)).collect())
}

/// The view of one artefact, read again from the store (after a change).
async fn reload_view(state: &AppState, id: Uuid) -> ApiResult<ApiJson<ConsentView>> {
    let c = consents::find_consent_by_id(&state.pool, id).await?.ok_or(ApiError::NotFound)?;
    Ok(ApiJson(with_chain_state(state, vec![c]).await?.pop().ok_or(ApiError::NotFound)?))
}

/// HI type codes, parsed.
fn parse_hi_types(codes: &[String]) -> ApiResult<Vec<HiType>> {
    codes.iter().map(|t| HiType::parse(t).map_err(ApiError::invalid("hi_types"))).collect()
}

/// One artefact (its patient or its hospital only).
#[utoipa::path(get, path = "/v1/consents/{id}", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ConsentView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn consents_get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<ConsentView>> {
    let c = service::load_party(&state.pool, &user.actor(), id, "consent.read").await?;
    Ok(ApiJson(with_chain_state(&state, vec![c]).await?.pop().ok_or(ApiError::NotFound)?))
}

/// The requesting hospital's current public keys (either party), for building a grant.
#[utoipa::path(get, path = "/v1/consents/{id}/grantee-keys", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = GranteeKeys), (status = 404, body = crate::error::ErrorBody)))]
pub async fn consents_grantee_keys(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<GranteeKeys>> {
    let c = service::load_party(&state.pool, &user.actor(), id, "consent.read").await?;
    let keys = keys::find_keys_by_owner(&state.pool, c.hospital_id).await?;
    Ok(ApiJson(GranteeKeys {
        x25519_public_key: service::active_key(&keys, "x25519").map(str::to_owned),
        ethereum_address: service::active_key(&keys, "ethereum")
            .and_then(|a| a.parse::<Address>().ok())
            .map(|a| a.to_checksum(None)),
        chain_consent_id: views::chain_id_hex(c.id),
    }))
}

/// One artefact as a FHIR R4 `Consent` (its patient or its hospital only).
#[utoipa::path(get, path = "/v1/consents/{id}/fhir", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "FHIR R4 Consent", content_type = "application/fhir+json", body = serde_json::Value),
               (status = 404, body = crate::error::ErrorBody)))]
pub async fn consents_fhir(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse as _;
    let c = service::load_party(&state.pool, &user.actor(), id, "consent.read").await?;
    let resource = super::fhir::consent(&c, c.status_at(Utc::now()), &views::chain_id_hex(c.id));
    let body = serde_json::to_vec_pretty(&resource).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/fhir+json")], body).into_response())
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
    service::deny(&state.pool, &user.actor(), id, Utc::now()).await?;
    reload_view(&state, id).await
}

pub(crate) fn parse_signature(s: &str) -> ApiResult<[u8; 64]> {
    let mut out = [0u8; 64];
    hex::decode_to_slice(s.trim().trim_start_matches("0x"), &mut out)
        .map_err(|_| ApiError::invalid_field("signature", "0x and 128 hex digits (EIP-2098 compact)"))?;
    Ok(out)
}

/// The EIP-712 domain of the configured ConsentRegistry, if one is configured.
fn signing_domain(state: &AppState) -> Option<alloy::sol_types::Eip712Domain> {
    state.contract.map(|contract| domain(state.settings.chain.chain_id, Address::from(contract.0)))
}

pub(crate) fn chain_domain(state: &AppState) -> ApiResult<alloy::sol_types::Eip712Domain> {
    signing_domain(state).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("no ConsentRegistry configured; consents cannot be signed for a domain"))
    })
}

/// The patient grants an open request, with a signature the contract will accept. Without
/// `headers` the grant is recorded alone and the hospital's stanzas follow page by page
/// (`/v1/consents/{id}/stanzas/pending`); a small record may send them all here instead.
#[utoipa::path(post, path = "/v1/consents/{id}/grant", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ConsentGrantBody,
    responses((status = 200, body = ConsentView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not an open request", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_<field>`, `invalid_signature`, `no_patient_key`, `no_hospital_key`", body = crate::error::ErrorBody)))]
pub async fn consents_grant(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ConsentGrantBody>,
) -> ApiResult<ApiJson<ConsentView>> {
    user.require(&[Role::Patient])?;
    let input = GrantInput {
        hi_types: body.hi_types.as_deref().map(parse_hi_types).transpose()?,
        date_range: body.date_range.map(|r| (r.from, r.to)),
        data_erase_at: body.data_erase_at,
        signed: signed_fields(body.nonce, body.deadline, &body.signature)?,
        valid_from: body.valid_from,
        headers: body.headers.into_iter().map(|h| (h.document_id, h.header)).collect(),
    };
    service::grant(&state.pool, signing_domain(&state).as_ref(), &user.actor(), id, input, Utc::now()).await?;
    reload_view(&state, id).await
}

/// The live documents in a granted consent's scope whose header still lacks a stanza for the
/// hospital's current X25519 key (the patient only), in id order: what the patient's device
/// adds a stanza to, page by page, after the grant. Documents the hospital already holds a
/// stanza for (it uploaded them, or an earlier page gave it one) are not listed; `remaining`
/// counts what is left, so a client shows progress, and resuming is listing again.
#[utoipa::path(get, path = "/v1/consents/{id}/stanzas/pending", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path), StanzaQuery),
    responses((status = 200, body = StanzaDocumentPage), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not granted, or ended", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_limit`, `no_hospital_key`", body = crate::error::ErrorBody)))]
pub async fn consents_stanzas_pending(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StanzaQuery>,
) -> ApiResult<ApiJson<StanzaDocumentPage>> {
    user.require(&[Role::Patient])?;
    let page = stanzas::pending(&state.pool, &user.actor(), id, q.after, q.limit, Utc::now()).await?;
    Ok(ApiJson(document_page(page)))
}

/// Adds the hospital's stanza to a page of documents of a granted, unexpired consent (the patient
/// only), in one transaction. Each new header must be the listed one (`base_sha256`) plus one
/// stanza for the hospital's current key; anything else refuses the whole page, which then
/// changes nothing. Documents the hospital already holds a stanza for are skipped
/// (`already_done`); those changed since they were listed are reported (`changed_meanwhile`).
#[utoipa::path(post, path = "/v1/consents/{id}/stanzas", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = StanzaChangePage,
    responses((status = 200, body = StanzaChangeOutcome), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not granted, or ended", body = crate::error::ErrorBody),
               (status = 413, description = "`body_too_large`: send fewer headers per page", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_headers` (the page changed nothing), `no_hospital_key`", body = crate::error::ErrorBody)))]
pub async fn consents_stanzas_add(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StanzaChangePage>,
) -> ApiResult<ApiJson<StanzaChangeOutcome>> {
    user.require(&[Role::Patient])?;
    let out = stanzas::add(&state.pool, &user.actor(), id, new_headers(body), Utc::now()).await?;
    Ok(ApiJson(outcome(out)))
}

/// The patient's live documents whose header still carries the hospital's stanza after the
/// consent was revoked or ended (the patient only), in id order: what the patient's device
/// takes the stanza out of, page by page. Access itself ended with the revocation.
#[utoipa::path(get, path = "/v1/consents/{id}/stanzas/stale", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path), StanzaQuery),
    responses((status = 200, body = StanzaDocumentPage), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`grant_in_force`: the hospital still holds a grant; `invalid_transition`: never granted", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_limit`, `no_hospital_key`, `own_key`", body = crate::error::ErrorBody)))]
pub async fn consents_stanzas_stale(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StanzaQuery>,
) -> ApiResult<ApiJson<StanzaDocumentPage>> {
    user.require(&[Role::Patient])?;
    let page = stanzas::stale(&state.pool, &user.actor(), id, q.after, q.limit, Utc::now()).await?;
    Ok(ApiJson(document_page(page)))
}

/// Removes the hospital's stanza from a page of the patient's documents after the consent was
/// revoked or ended (the patient only), in one transaction. Each new header must be the listed
/// one (`base_sha256`) without the hospital's stanza, nothing else changed; anything else
/// refuses the whole page, which then changes nothing.
#[utoipa::path(post, path = "/v1/consents/{id}/stanzas/remove", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = StanzaChangePage,
    responses((status = 200, body = StanzaChangeOutcome), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`grant_in_force`, `invalid_transition`", body = crate::error::ErrorBody),
               (status = 413, description = "`body_too_large`: send fewer headers per page", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_headers` (the page changed nothing), `no_hospital_key`, `own_key`", body = crate::error::ErrorBody)))]
pub async fn consents_stanzas_remove(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StanzaChangePage>,
) -> ApiResult<ApiJson<StanzaChangeOutcome>> {
    user.require(&[Role::Patient])?;
    let out = stanzas::remove(&state.pool, &user.actor(), id, new_headers(body), Utc::now()).await?;
    Ok(ApiJson(outcome(out)))
}

pub(crate) fn document_page(p: DocumentPage) -> StanzaDocumentPage {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    StanzaDocumentPage {
        documents: p
            .documents
            .into_iter()
            .map(|(document_id, header)| StanzaDocument { document_id, header: b64.encode(header) })
            .collect(),
        next_after: p.next_after,
        total: p.total,
        remaining: p.remaining,
    }
}

pub(crate) fn new_headers(body: StanzaChangePage) -> Vec<NewHeader> {
    body.headers
        .into_iter()
        .map(|h| NewHeader { document_id: h.document_id, base_sha256: h.base_sha256, header: h.header })
        .collect()
}

pub(crate) fn outcome(o: PageOutcome) -> StanzaChangeOutcome {
    StanzaChangeOutcome {
        changed: o.changed,
        already_done: o.already_done,
        changed_meanwhile: o.changed_meanwhile,
        remaining: o.remaining,
    }
}

/// The nonce, deadline and signature every patient-signed message carries.
fn signed_fields(nonce: u64, deadline: u64, signature: &str) -> ApiResult<SignedFields> {
    Ok(SignedFields { nonce, deadline, signature: parse_signature(signature)? })
}

/// The patient revokes a grant; hospitals lose access at once.
#[utoipa::path(post, path = "/v1/consents/{id}/revoke", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ConsentRevokeBody,
    responses((status = 200, body = ConsentView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not granted", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_<field>`, `invalid_signature`", body = crate::error::ErrorBody)))]
pub async fn consents_revoke(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ConsentRevokeBody>,
) -> ApiResult<ApiJson<ConsentView>> {
    user.require(&[Role::Patient])?;
    let signed = signed_fields(body.nonce, body.deadline, &body.signature)?;
    service::revoke(&state.pool, signing_domain(&state).as_ref(), &user.actor(), id, signed, Utc::now()).await?;
    reload_view(&state, id).await
}

/// The patient signs again a grant or revocation whose relay failed for good (the contract
/// refused it: `StaleNonce` after `incrementNonce`, `SignatureExpired` after a fee stall, ...).
/// The message is the one stored — same consent, parties, scope and validity — with a new nonce
/// and deadline; it goes back in the relay queue. A failed revocation is re-signed only once
/// its grant is on chain; a failed grant only while the consent is granted and unexpired.
#[utoipa::path(post, path = "/v1/consents/{id}/resign", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ConsentResignBody,
    responses((status = 200, body = ConsentView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`nothing_to_resign`: no failed message that a new signature could put on chain", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_<field>`, `invalid_signature`", body = crate::error::ErrorBody)))]
pub async fn consents_resign(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ConsentResignBody>,
) -> ApiResult<ApiJson<ConsentView>> {
    user.require(&[Role::Patient])?;
    let signed = signed_fields(body.nonce, body.deadline, &body.signature)?;
    service::resign(&state.pool, signing_domain(&state).as_ref(), &user.actor(), id, signed, Utc::now()).await?;
    reload_view(&state, id).await
}

/// Every consent a patient has signed, with its chain mirror state: what `pramana audit --api`
/// compares with the contract's events (auditors and the operator).
#[utoipa::path(get, path = "/v1/audit/consents", tag = "audit", security(("bearer" = [])), params(SignedConsentQuery),
    responses((status = 200, body = SignedConsentPage), (status = 403, body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_limit`", body = crate::error::ErrorBody)))]
pub async fn audit_consents(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<SignedConsentQuery>,
) -> ApiResult<ApiJson<SignedConsentPage>> {
    user.require(&[Role::Auditor, Role::Admin])?;
    let limit = q.limit.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be between 1 and 1000"));
    }
    let rows = consents::find_signed_consents(&state.pool, q.after, limit).await?;
    let ids: Vec<Uuid> = rows.iter().map(|c| c.consent.id).collect();
    let chain = relay::find_chain_states(&state.pool, &ids).await?;
    let now = Utc::now();
    // Signed consents carry every signed field; were one missing, it shows as an empty `0x`.
    let none = || hex0x(b"");
    let next_after = (rows.len() as i64 == limit).then(|| rows.last().map(|c| c.consent.id)).flatten();
    let consents = rows
        .into_iter()
        .map(|c| SignedConsentView {
            id: c.consent.id,
            chain_consent_id: c.chain_consent_id.map_or_else(none, hex0x),
            status: c.consent.status_at(now).code().to_owned(),
            patient: c.consent.patient_address.map_or_else(none, |a| hex0x(a.0)),
            grantee: c.consent.grantee_address.map_or_else(none, |a| hex0x(a.0)),
            scope_hash: c.scope_hash.map_or_else(none, hex0x),
            valid_from: c.consent.valid_from.map_or(0, |t| t.timestamp()),
            valid_until: c.consent.data_erase_at.timestamp(),
            revoked_at: c.revoked_at,
            chain: views::chain_view(c.consent.id, &chain),
        })
        .collect();
    Ok(ApiJson(SignedConsentPage { consents, next_after }))
}
