//! `GET /v1/patients/me/export`: data portability. Everything the platform holds for the calling
//! patient — envelopes exactly as stored, metadata, proof bundles and consent artefacts with
//! their signed grants and revocations — as one tar archive (layout in `docs/export.md`) that
//! `pramana verify --archive` checks against the chain without the platform.
//!
//! The archive is built in memory from one database snapshot, so an export is refused with
//! `413 export_too_large` above [`MAX_EXPORT_BYTES`] of envelopes.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use pramana_core::PatientId;
use pramana_core::export::{
    self, CONSENTS_PATH, ExportedChain, ExportedConsent, ExportedDocument, ExportedGrant, ExportedPatient,
    ExportedRevocation, MANIFEST_PATH, Manifest, hex0x,
};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncReadExt as _;
use uuid::Uuid;

use crate::app::{AppState, current_request_id};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult};
use crate::storage::VerifyingReader;
use crate::store::audit::{AuditEvent, Outcome, insert_audit_event_now};
use crate::store::consents::SignedConsentRow;
use crate::store::documents::DocumentRow;
use crate::store::{self, StoreError, anchor, consents, documents, patients};

/// Largest total of envelope bytes one export holds (the archive is built in memory).
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;

/// The calling patient's whole record as one tar archive (docs/export.md).
#[utoipa::path(get, path = "/v1/patients/me/export", tag = "patients", security(("bearer" = [])),
    responses(
        (status = 200, description = "A tar archive: manifest.json, documents/<id>.envelope, proofs/<id>.json, consents.json",
         content_type = "application/x-tar"),
        (status = 403, description = "not a patient", body = crate::error::ErrorBody),
        (status = 413, description = "`export_too_large`: more than 512 MiB of envelopes", body = crate::error::ErrorBody),
    ))]
pub async fn patients_me_export(State(state): State<AppState>, user: AuthUser) -> ApiResult<Response> {
    user.require(&[Role::Patient])?;
    let patient_id = user.subject_id;
    let exported_at = Utc::now();

    // One snapshot: documents, proofs and consents agree with each other.
    let mut tx = store::begin_snapshot(&state.pool).await?;
    let patient = patients::find_patient_by_id(&mut tx, PatientId(patient_id)).await?.ok_or(ApiError::NotFound)?;
    let docs = documents::find_all_documents_by_owner(&mut *tx, patient_id).await?;
    let proofs: HashMap<Uuid, serde_json::Value> =
        anchor::find_proofs_by_owner(&mut *tx, patient_id).await?.into_iter().collect();
    let signed_consents = consents::find_signed_consents_by_patient(&mut *tx, patient_id).await?;
    let consent_ids: Vec<Uuid> = signed_consents.iter().map(|c| c.consent.id).collect();
    let chain = crate::store::relay::find_chain_states(&mut *tx, &consent_ids).await?;
    let rotations = crate::store::relay::find_rotations_by_patient(&mut *tx, patient_id).await?;
    tx.commit().await.map_err(StoreError::from)?;

    let total: u64 = docs.iter().filter(|d| d.deleted_at.is_none()).map(envelope_len).sum();
    if total > MAX_EXPORT_BYTES {
        return Err(ApiError::BadRequest {
            status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            code: "export_too_large",
            message: format!("the export would hold {total} bytes of envelopes; the limit is {MAX_EXPORT_BYTES}"),
        });
    }

    let mine = super::documents::my_key_ids(&state, &user).await?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(2 + 2 * docs.len());
    let mut manifest_docs = Vec::with_capacity(docs.len());
    for d in docs {
        let id = d.id;
        let proof = proofs.get(&id);
        let (envelope, envelope_sha256) = match read_envelope(&state, &d).await? {
            Some(bytes) => {
                let sha = hex0x(&Sha256::digest(&bytes));
                files.push((export::envelope_path(&id), bytes));
                (Some(export::envelope_path(&id)), Some(sha))
            }
            None => (None, None),
        };
        let proof_path = match proof {
            Some(p) => {
                let body = serde_json::to_vec_pretty(p).map_err(|e| ApiError::Internal(e.into()))?;
                files.push((export::proof_path(&id), body));
                Some(export::proof_path(&id))
            }
            None => None,
        };
        let deleted_at = d.deleted_at;
        let view = super::documents::view(d, &mine);
        manifest_docs.push(ExportedDocument {
            id,
            anchor_state: view.anchor_state.clone(),
            metadata: serde_json::to_value(&view).map_err(|e| ApiError::Internal(e.into()))?,
            deleted_at,
            envelope,
            envelope_sha256,
            proof: proof_path,
        });
    }
    let n_consents = signed_consents.len();
    let exported_consents = signed_consents
        .into_iter()
        .map(|c| exported_consent(c, &chain, exported_at))
        .collect::<ApiResult<Vec<ExportedConsent>>>()?;
    let manifest = Manifest {
        format: export::FORMAT.to_owned(),
        version: export::VERSION,
        exported_at,
        patient: ExportedPatient {
            id: patient_id,
            abha_number: patient.abha_number.hyphenated(),
            signer_rotations: rotations
                .iter()
                .map(|r| export::ExportedRotation {
                    account: checksum(&r.account),
                    new_signer: checksum(&r.new_signer),
                    nonce: u64::try_from(r.nonce).unwrap_or_default(),
                    deadline: u64::try_from(r.deadline).unwrap_or_default(),
                    signature: hex0x(&r.signature),
                })
                .collect(),
        },
        chain: ExportedChain {
            chain_id: state.settings.chain.chain_id,
            contract: state.contract.map(|a| a.to_checksum()),
        },
        documents: manifest_docs,
        consents: CONSENTS_PATH.to_owned(),
    };
    let n_documents = manifest.documents.len();
    let internal = |e: serde_json::Error| ApiError::Internal(e.into());
    files.insert(0, (MANIFEST_PATH.to_owned(), serde_json::to_vec_pretty(&manifest).map_err(internal)?));
    files.insert(1, (CONSENTS_PATH.to_owned(), serde_json::to_vec_pretty(&exported_consents).map_err(internal)?));
    let archive = tar_of(files, exported_at).map_err(ApiError::internal)?;

    insert_audit_event_now(
        &state.pool,
        &AuditEvent {
            actor_role: user.role.as_str(),
            actor_id: Some(patient_id),
            action: "patient.export",
            outcome: Outcome::Ok,
            subject_patient_id: Some(patient_id),
            target: Some(format!("patient:{patient_id}")),
            request_id: current_request_id(),
            details: json!({"documents": n_documents, "consents": n_consents, "bytes": archive.len()}),
        },
    )
    .await?;

    let mut resp = archive.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-tar"));
    let name = format!("attachment; filename=\"pramana-export-{}.tar\"", exported_at.format("%Y%m%dT%H%M%SZ"));
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// Bytes of a live document's envelope (header and payload).
fn envelope_len(d: &DocumentRow) -> u64 {
    d.header.as_ref().map_or(0, Vec::len) as u64 + u64::try_from(d.payload_size).unwrap_or(0)
}

/// A live document's envelope (`header ‖ payload`) exactly as stored, the payload checked
/// against its recorded SHA-256 as it is read; `None` for a deleted document.
async fn read_envelope(state: &AppState, d: &DocumentRow) -> ApiResult<Option<Vec<u8>>> {
    let (Some(head), None) = (&d.header, d.deleted_at) else { return Ok(None) };
    let len = envelope_len(d);
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    out.extend_from_slice(head);
    let payload_len = u64::try_from(d.payload_size).unwrap_or(0);
    let object = state.storage.read(&d.storage_key, 0, payload_len).await.map_err(ApiError::internal)?;
    let mut expected = [0u8; 32];
    expected.copy_from_slice(&d.payload_sha256);
    let mut reader = VerifyingReader::new(object, expected);
    reader.read_to_end(&mut out).await.map_err(ApiError::internal)?;
    Ok(Some(out))
}

/// An EIP-55 address from stored bytes (empty when malformed, which the stored CHECKs exclude).
fn checksum(bytes: &[u8]) -> String {
    alloy::primitives::Address::try_from(bytes).map(|a| a.to_checksum(None)).unwrap_or_default()
}

/// A consent artefact as the patient sees it, with its signed grant and revocation.
fn exported_consent(
    c: SignedConsentRow,
    chain: &[crate::store::relay::ChainEventState],
    now: DateTime<Utc>,
) -> ApiResult<ExportedConsent> {
    let addr = |b: &Option<Vec<u8>>| -> Option<String> {
        b.as_deref().and_then(|a| alloy::primitives::Address::try_from(a).ok()).map(|a| a.to_checksum(None))
    };
    let unix = |t: DateTime<Utc>| u64::try_from(t.timestamp()).unwrap_or(0);
    let u = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    let patient = addr(&c.consent.patient_address);
    let grant =
        match (&c.chain_consent_id, &c.scope_hash, &patient, addr(&c.consent.grantee_address), &c.grant_signature) {
            (Some(id), Some(scope), Some(patient), Some(grantee), Some(sig)) => Some(ExportedGrant {
                consent_id: hex0x(id),
                patient: patient.clone(),
                grantee,
                scope_hash: hex0x(scope),
                valid_from: c.consent.valid_from.map_or(0, unix),
                valid_until: unix(c.consent.data_erase_at),
                nonce: u(c.grant_nonce),
                deadline: u(c.grant_deadline),
                signature: hex0x(sig),
            }),
            _ => None,
        };
    let revocation = match (&c.chain_consent_id, &patient, &c.revoke_signature) {
        (Some(id), Some(patient), Some(sig)) => Some(ExportedRevocation {
            consent_id: hex0x(id),
            patient: patient.clone(),
            nonce: u(c.revoke_nonce),
            deadline: u(c.revoke_deadline),
            signature: hex0x(sig),
            revoked_at: c.revoked_at,
        }),
        _ => None,
    };
    let artefact =
        serde_json::to_value(super::consents::view(c.consent, chain, now)).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(ExportedConsent { artefact, grant, revocation })
}

/// A ustar archive of `files`, in order, each with mode 0644 and `mtime`. Each file is dropped
/// once copied, so the peak is about the archive's size plus one file.
fn tar_of(files: Vec<(String, Vec<u8>)>, mtime: DateTime<Utc>) -> std::io::Result<Vec<u8>> {
    let total: usize = files.iter().map(|(_, b)| b.len() + 1024).sum();
    let mut builder = tar::Builder::new(Vec::with_capacity(total + 1024));
    for (path, bytes) in files {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(u64::try_from(mtime.timestamp()).unwrap_or(0));
        builder.append_data(&mut h, &path, &bytes[..])?;
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_round_trips_in_order() {
        let files =
            vec![("manifest.json".to_owned(), b"{}".to_vec()), ("documents/a.envelope".to_owned(), vec![7; 1000])];
        let bytes = tar_of(files.clone(), Utc::now()).unwrap();
        let mut archive = tar::Archive::new(&bytes[..]);
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut body).unwrap();
            seen.push((entry.path().unwrap().to_string_lossy().into_owned(), body));
        }
        assert_eq!(seen, files);
    }
}
