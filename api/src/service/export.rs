//! Data portability: everything the platform holds for a patient — envelopes exactly as stored,
//! metadata, proof bundles and consent artefacts with their signed grants and revocations — as
//! one tar archive (layout in `docs/export.md`) that `pramana verify --archive` checks against
//! the chain without the platform.
//!
//! The archive is built in memory from one database snapshot, so an export is refused with
//! `export_too_large` above [`MAX_EXPORT_BYTES`] of envelopes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pramana_core::export::{
    self, CONSENTS_PATH, ExportedChain, ExportedConsent, ExportedDocument, ExportedGrant, ExportedPatient,
    ExportedRevocation, ExportedRotation, MANIFEST_PATH, Manifest,
};
use pramana_core::{EthAddress, PatientId, Role, hex0x};
use pramana_server::store::audit::{Outcome, insert_audit_event_now};
use pramana_server::store::consents::SignedConsentRow;
use pramana_server::store::documents::DocumentRow;
use pramana_server::store::relay::{self, ChainEventState};
use pramana_server::store::{self, anchor, consents, documents, patients};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;
use tokio::io::AsyncReadExt as _;
use uuid::Uuid;

use super::{Actor, ServiceError, ServiceResult};
use crate::storage::{BlobStore, VerifyingReader};
use crate::views;

/// Largest total of envelope bytes one export holds (the archive is built in memory).
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;

/// The chain the platform anchors to, named in the manifest.
#[derive(Debug, Clone, Copy)]
pub struct ChainRef {
    /// Chain id.
    pub chain_id: u64,
    /// The ConsentRegistry, when configured.
    pub contract: Option<EthAddress>,
}

/// A built archive.
#[derive(Debug)]
pub struct Archive {
    /// The tar bytes.
    pub bytes: Vec<u8>,
    /// When it was taken (the snapshot's time, in the manifest and every entry's mtime).
    pub exported_at: DateTime<Utc>,
}

/// The calling patient's whole record as one tar archive (docs/export.md).
pub async fn export(
    pool: &PgPool,
    storage: &dyn BlobStore,
    chain_ref: ChainRef,
    actor: &Actor,
    exported_at: DateTime<Utc>,
) -> ServiceResult<Archive> {
    actor.require(&[Role::Patient])?;
    let patient_id = actor.id;

    // One snapshot: documents, proofs and consents agree with each other.
    let mut tx = store::begin_snapshot(pool).await?;
    let patient = patients::find_patient_by_id(&mut tx, PatientId(patient_id)).await?.ok_or(ServiceError::NotFound)?;
    let docs = documents::find_all_documents_by_owner(&mut *tx, patient_id).await?;
    let proofs: HashMap<Uuid, serde_json::Value> =
        anchor::find_proofs_by_owner(&mut *tx, patient_id).await?.into_iter().collect();
    let signed_consents = consents::find_signed_consents_by_patient(&mut *tx, patient_id).await?;
    let consent_ids: Vec<Uuid> = signed_consents.iter().map(|c| c.consent.id).collect();
    let chain = relay::find_chain_states(&mut *tx, &consent_ids).await?;
    let rotations = relay::find_rotations_by_patient(&mut *tx, patient_id).await?;
    store::commit(tx).await?;

    let total: u64 = docs.iter().filter(|d| d.deleted_at.is_none()).map(envelope_len).sum();
    if total > MAX_EXPORT_BYTES {
        return Err(ServiceError::TooLarge {
            code: "export_too_large",
            message: format!("the export would hold {total} bytes of envelopes; the limit is {MAX_EXPORT_BYTES}"),
        });
    }

    let internal = |e: serde_json::Error| ServiceError::internal(e);
    let mine = super::documents::my_key_ids(pool, patient_id).await?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(2 + 2 * docs.len());
    let mut manifest_docs = Vec::with_capacity(docs.len());
    for d in docs {
        let id = d.id;
        let (envelope, envelope_sha256) = match read_envelope(storage, &d).await? {
            Some(bytes) => {
                let sha = hex0x(Sha256::digest(&bytes));
                files.push((export::envelope_path(&id), bytes));
                (Some(export::envelope_path(&id)), Some(sha))
            }
            None => (None, None),
        };
        let proof = match proofs.get(&id) {
            Some(p) => {
                files.push((export::proof_path(&id), serde_json::to_vec_pretty(p).map_err(internal)?));
                Some(export::proof_path(&id))
            }
            None => None,
        };
        let deleted_at = d.deleted_at;
        let view = views::document_view(d, &mine);
        manifest_docs.push(ExportedDocument {
            id,
            anchor_state: view.anchor_state.clone(),
            metadata: serde_json::to_value(&view).map_err(internal)?,
            deleted_at,
            envelope,
            envelope_sha256,
            proof,
        });
    }
    let n_consents = signed_consents.len();
    let exported_consents = signed_consents
        .into_iter()
        .map(|c| exported_consent(c, &chain, exported_at))
        .collect::<ServiceResult<Vec<ExportedConsent>>>()?;
    let signer_rotations = rotations
        .iter()
        .map(|r| ExportedRotation {
            account: views::checksum(EthAddress(r.account)),
            new_signer: views::checksum(EthAddress(r.new_signer)),
            nonce: r.nonce,
            deadline: r.deadline,
            signature: hex0x(r.signature),
        })
        .collect();
    let manifest = Manifest {
        format: export::FORMAT.to_owned(),
        version: export::VERSION,
        exported_at,
        patient: ExportedPatient { id: patient_id, abha_number: patient.abha_number.hyphenated(), signer_rotations },
        chain: ExportedChain { chain_id: chain_ref.chain_id, contract: chain_ref.contract.map(|a| a.to_checksum()) },
        documents: manifest_docs,
        consents: CONSENTS_PATH.to_owned(),
    };
    let n_documents = manifest.documents.len();
    files.insert(0, (MANIFEST_PATH.to_owned(), serde_json::to_vec_pretty(&manifest).map_err(internal)?));
    files.insert(1, (CONSENTS_PATH.to_owned(), serde_json::to_vec_pretty(&exported_consents).map_err(internal)?));
    let bytes = tar_of(files, exported_at).map_err(ServiceError::internal)?;

    let audit = actor
        .event("patient.export", Outcome::Ok)
        .patient(patient_id)
        .target("patient", patient_id)
        .details(json!({"documents": n_documents, "consents": n_consents, "bytes": bytes.len()}));
    insert_audit_event_now(pool, &audit).await?;
    Ok(Archive { bytes, exported_at })
}

/// Bytes of a live document's envelope (header and payload).
fn envelope_len(d: &DocumentRow) -> u64 {
    u64::try_from(views::envelope_size(d)).unwrap_or(0)
}

/// A live document's envelope (`header ‖ payload`) exactly as stored, the payload checked
/// against its recorded SHA-256 as it is read; `None` for a deleted document.
async fn read_envelope(storage: &dyn BlobStore, d: &DocumentRow) -> ServiceResult<Option<Vec<u8>>> {
    let (Some(head), None) = (&d.header, d.deleted_at) else { return Ok(None) };
    let bad = |what: &str| ServiceError::internal(anyhow::anyhow!("document {}: stored {what} unreadable", d.id));
    let payload_len = u64::try_from(d.payload_size).map_err(|_| bad("payload size"))?;
    let mut out = Vec::with_capacity(head.len() + usize::try_from(payload_len).map_err(|_| bad("payload size"))?);
    out.extend_from_slice(head);
    let object = storage.read(&d.storage_key, 0, payload_len).await.map_err(ServiceError::internal)?;
    let mut reader = VerifyingReader::new(object, d.payload_sha256);
    reader.read_to_end(&mut out).await.map_err(ServiceError::internal)?;
    Ok(Some(out))
}

/// A consent artefact as the patient sees it, with its signed grant and revocation.
fn exported_consent(
    c: SignedConsentRow,
    chain: &[ChainEventState],
    now: DateTime<Utc>,
) -> ServiceResult<ExportedConsent> {
    let unix = |t: DateTime<Utc>| u64::try_from(t.timestamp()).unwrap_or(0);
    let unsigned = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    let patient = c.consent.patient_address.map(views::checksum);
    let grantee = c.consent.grantee_address.map(views::checksum);
    let grant = match (&c.chain_consent_id, &c.scope_hash, &patient, grantee, &c.grant_signature) {
        (Some(id), Some(scope), Some(patient), Some(grantee), Some(sig)) => Some(ExportedGrant {
            consent_id: hex0x(id),
            patient: patient.clone(),
            grantee,
            scope_hash: hex0x(scope),
            valid_from: c.consent.valid_from.map_or(0, unix),
            valid_until: unix(c.consent.data_erase_at),
            nonce: unsigned(c.grant_nonce),
            deadline: unsigned(c.grant_deadline),
            signature: hex0x(sig),
        }),
        _ => None,
    };
    let revocation = match (&c.chain_consent_id, &patient, &c.revoke_signature) {
        (Some(id), Some(patient), Some(sig)) => Some(ExportedRevocation {
            consent_id: hex0x(id),
            patient: patient.clone(),
            nonce: unsigned(c.revoke_nonce),
            deadline: unsigned(c.revoke_deadline),
            signature: hex0x(sig),
            revoked_at: c.revoked_at,
        }),
        _ => None,
    };
    let artefact = serde_json::to_value(views::consent_view(c.consent, chain, now)).map_err(ServiceError::internal)?;
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
