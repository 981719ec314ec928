//! Data portability: everything the platform holds for a patient — envelopes exactly as stored,
//! metadata, proof bundles and consent artefacts with their signed grants and revocations — as
//! one tar archive (layout in `docs/export.md`) that `pramana verify --archive` checks against
//! the chain without the platform.
//!
//! [`create`] freezes an archive from one database snapshot: every file's path, size and source
//! (the small JSON files inline, each envelope as its header then the stored payload object), so
//! the tar's bytes are fixed before the first is sent. [`open`] then streams any byte range of
//! it in constant memory — no size limit, and a broken download resumes where it stopped.

use std::collections::HashMap;
use std::io;

use chrono::{DateTime, Duration, Utc};
use pramana_core::export::{
    self, CONSENTS_PATH, ExportedChain, ExportedConsent, ExportedDocument, ExportedGrant, ExportedPatient,
    ExportedRevocation, ExportedRotation, MANIFEST_PATH, Manifest,
};
use pramana_core::{EthAddress, PatientId, Role, hex0x};
use pramana_server::store::audit::{Outcome, insert_audit_event};
use pramana_server::store::consents::SignedConsentRow;
use pramana_server::store::exports::{self, ExportFile, ExportRow, FileSource};
use pramana_server::store::relay::{self, ChainEventState};
use pramana_server::store::{self, anchor, consents, documents, patients};
use serde_json::json;
use sqlx::PgPool;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use uuid::Uuid;

use super::{Actor, ServiceError, ServiceResult};
use crate::storage::{BlobStore, BoxReader, VerifyingReader};
use crate::views;

/// How long an export can be downloaded (and resumed) after it is made.
pub const EXPORT_TTL: Duration = Duration::hours(24);
/// Exports a patient can have at once; making one more drops the oldest.
pub const MAX_LIVE_EXPORTS: i64 = 3;
/// A tar block.
const BLOCK: u64 = 512;
/// Files read from the database at a time while streaming.
const FILES_PER_PAGE: i64 = 64;

/// The chain the platform anchors to, named in the manifest.
#[derive(Debug, Clone, Copy)]
pub struct ChainRef {
    /// Chain id.
    pub chain_id: u64,
    /// The ConsentRegistry, when configured.
    pub contract: Option<EthAddress>,
}

/// Freezes the calling patient's whole record as an archive (docs/export.md) and audits it.
pub async fn create(
    pool: &PgPool,
    chain_ref: ChainRef,
    actor: &Actor,
    exported_at: DateTime<Utc>,
) -> ServiceResult<ExportRow> {
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

    let internal = |e: serde_json::Error| ServiceError::internal(e);
    let mine = super::documents::my_key_ids(pool, patient_id).await?;
    let mut files: Vec<ExportFile> = Vec::with_capacity(2 + 2 * docs.len());
    let mut manifest_docs = Vec::with_capacity(docs.len());
    let mut live = Vec::new();
    for d in docs {
        let id = d.id;
        let envelope = match (&d.header, d.deleted_at) {
            (Some(header), None) => {
                let size = u64::try_from(views::envelope_size(&d)).map_err(ServiceError::internal)?;
                files.push(ExportFile {
                    path: export::envelope_path(&id),
                    size,
                    source: FileSource::Envelope {
                        document_id: id,
                        header: header.clone(),
                        storage_key: d.storage_key.clone(),
                        payload_sha256: d.payload_sha256,
                    },
                });
                live.push(id);
                Some(size)
            }
            _ => None,
        };
        let proof = match proofs.get(&id) {
            Some(p) => {
                let bytes = serde_json::to_vec_pretty(p).map_err(internal)?;
                files.push(ExportFile {
                    path: export::proof_path(&id),
                    size: len(&bytes),
                    source: FileSource::Inline(bytes),
                });
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
            envelope: envelope.map(|_| export::envelope_path(&id)),
            envelope_sha256: None,
            envelope_size: envelope,
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
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(internal)?;
    let consents = serde_json::to_vec_pretty(&exported_consents).map_err(internal)?;
    files.insert(
        0,
        ExportFile { path: MANIFEST_PATH.to_owned(), size: len(&manifest), source: FileSource::Inline(manifest) },
    );
    files.insert(
        1,
        ExportFile { path: CONSENTS_PATH.to_owned(), size: len(&consents), source: FileSource::Inline(consents) },
    );

    let size = files.iter().map(|f| BLOCK + padded(f.size)).sum::<u64>() + 2 * BLOCK;
    let count = |n: usize| i32::try_from(n).map_err(ServiceError::internal);
    let row = ExportRow {
        id: Uuid::now_v7(),
        patient_id,
        exported_at,
        expires_at: exported_at + EXPORT_TTL,
        size: i64::try_from(size).map_err(ServiceError::internal)?,
        documents: count(n_documents)?,
        consents: count(n_consents)?,
    };
    let mut tx = store::begin(pool).await?;
    // A document deleted since the snapshot must not be in a new export (its header is a wrapped
    // key): the live ones are held until this commits, and crypto-shredding drops the exports
    // holding a document in its own transaction.
    if documents::lock_live_documents(&mut tx, &live).await? != live.len() {
        return Err(ServiceError::conflict("document_changed", "a document was deleted meanwhile; try again"));
    }
    exports::prune_exports(&mut tx, patient_id, exported_at, MAX_LIVE_EXPORTS).await?;
    exports::insert_export(&mut tx, &row, &files).await?;
    let audit = actor
        .event("patient.export", Outcome::Ok)
        .patient(patient_id)
        .target("patient", patient_id)
        .details(json!({"export": row.id, "documents": n_documents, "consents": n_consents, "bytes": size}));
    insert_audit_event(&mut tx, &audit).await?;
    store::commit(tx).await?;
    Ok(row)
}

/// The caller's export `id`, while it can be downloaded.
pub async fn find(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<ExportRow> {
    actor.require(&[Role::Patient])?;
    exports::find_live_export(pool, id, actor.id, now).await?.ok_or_else(|| ServiceError::Missing {
        code: "export_not_found",
        message: "no such export: it expired, a document in it was deleted, or it is not yours; make a new one".into(),
    })
}

/// Writes bytes `[start, end)` of export `row` to `out`, reading payloads from `storage` as it
/// goes (constant memory). A payload sent whole is checked against its recorded SHA-256; a
/// failure (an object gone or corrupt, the export dropped meanwhile) ends the output early,
/// so the client sees a short body and can resume.
pub async fn write_range(
    pool: &PgPool,
    storage: &dyn BlobStore,
    row: &ExportRow,
    start: u64,
    end: u64,
    out: &mut (dyn AsyncWrite + Unpin + Send),
) -> io::Result<()> {
    let extents = exports::find_extents(pool, row.id).await.map_err(io::Error::other)?;
    let mtime = u64::try_from(row.exported_at.timestamp()).unwrap_or(0);
    let mut w = RangeWriter { pos: 0, start, end, out };
    // Skip the files that end before `start` without reading them.
    let mut first = 0usize;
    for e in &extents {
        let size = u64::try_from(e.size).map_err(io::Error::other)?;
        if w.pos + BLOCK + padded(size) > start {
            break;
        }
        w.pos += BLOCK + padded(size);
        first += 1;
    }
    let mut seq = i32::try_from(first).map_err(io::Error::other)?;
    while w.pos < end && usize::try_from(seq).is_ok_and(|s| s < extents.len()) {
        let page = exports::find_files(pool, row.id, seq, FILES_PER_PAGE).await.map_err(io::Error::other)?;
        if page.is_empty() {
            return Err(io::Error::other("the export was dropped while being read"));
        }
        for f in &page {
            if w.pos >= end {
                break;
            }
            w.put(&tar_header(&f.path, f.size, mtime)?).await?;
            match &f.source {
                FileSource::Inline(bytes) => w.put(bytes).await?,
                FileSource::Envelope { header, storage_key, payload_sha256, .. } => {
                    w.put(header).await?;
                    let payload_len = f.size.saturating_sub(len(header));
                    w.put_object(storage, storage_key, payload_len, *payload_sha256).await?;
                }
            }
            w.put(&[0u8; BLOCK as usize][..usize::try_from(padded(f.size) - f.size).unwrap_or(0)]).await?;
        }
        seq += i32::try_from(page.len()).map_err(io::Error::other)?;
    }
    w.put(&[0u8; 2 * BLOCK as usize]).await?;
    w.out.flush().await
}

/// Writes the part of the archive's byte stream that falls in `[start, end)`.
struct RangeWriter<'a> {
    /// Archive position of the next byte offered.
    pos: u64,
    start: u64,
    end: u64,
    out: &'a mut (dyn AsyncWrite + Unpin + Send),
}

impl RangeWriter<'_> {
    /// The overlap of `[pos, pos + n)` with the range, as offsets into those `n` bytes.
    fn overlap(&self, n: u64) -> Option<(u64, u64)> {
        let from = self.start.max(self.pos);
        let to = self.end.min(self.pos + n);
        (from < to).then(|| (from - self.pos, to - self.pos))
    }

    async fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Some((a, b)) = self.overlap(len(bytes)) {
            self.out.write_all(&bytes[usize::try_from(a).unwrap_or(0)..usize::try_from(b).unwrap_or(0)]).await?;
        }
        self.pos += len(bytes);
        Ok(())
    }

    /// `n` bytes of a stored object; checked against `sha256` when all of it is sent.
    async fn put_object(&mut self, storage: &dyn BlobStore, key: &str, n: u64, sha256: [u8; 32]) -> io::Result<()> {
        if let Some((a, b)) = self.overlap(n) {
            let reader: BoxReader = storage.read(key, a, b - a).await?;
            let mut reader: BoxReader =
                if a == 0 && b == n { Box::pin(VerifyingReader::new(reader, sha256)) } else { reader };
            let copied = tokio::io::copy(&mut reader, &mut self.out).await?;
            if copied != b - a {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("object {key} is shorter than recorded"),
                ));
            }
        }
        self.pos += n;
        Ok(())
    }
}

/// `n` rounded up to whole tar blocks.
const fn padded(n: u64) -> u64 {
    n.div_ceil(BLOCK) * BLOCK
}

fn len(bytes: &[u8]) -> u64 {
    bytes.len() as u64
}

/// The ustar header of a regular file: mode 0644, owner 0, `mtime`; the same bytes every time.
fn tar_header(path: &str, size: u64, mtime: u64) -> io::Result<[u8; BLOCK as usize]> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)?;
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(mtime);
    h.set_cksum();
    Ok(*h.as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn headers_and_padding_make_a_tar_that_reads_back() {
        let files: [(&str, &[u8]); 3] =
            [("manifest.json", b"{}"), ("documents/a.envelope", &[7; 1000]), ("proofs/a.json", &[1; 512])];
        let mut bytes = Vec::new();
        for (path, body) in files {
            bytes.extend_from_slice(&tar_header(path, len(body), 1_700_000_000).unwrap());
            bytes.extend_from_slice(body);
            bytes.resize(bytes.len() + usize::try_from(padded(len(body)) - len(body)).unwrap(), 0);
        }
        bytes.extend_from_slice(&[0; 1024]);
        assert_eq!(len(&bytes), files.iter().map(|(_, b)| BLOCK + padded(len(b))).sum::<u64>() + 1024);
        let mut archive = tar::Archive::new(&bytes[..]);
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut body).unwrap();
            assert_eq!(entry.header().mtime().unwrap(), 1_700_000_000);
            seen.push((entry.path().unwrap().to_string_lossy().into_owned(), body));
        }
        assert_eq!(seen, files.iter().map(|(p, b)| ((*p).to_owned(), b.to_vec())).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_range_writer_sends_exactly_the_overlap() {
        let whole: Vec<u8> = (0..=255).collect();
        for (start, end) in [(0, 256), (0, 1), (10, 20), (100, 256), (255, 256), (300, 400)] {
            let mut out = Vec::new();
            let mut w = RangeWriter { pos: 0, start, end, out: &mut out };
            for piece in whole.chunks(37) {
                w.put(piece).await.unwrap();
            }
            let (a, b) = (start.min(256) as usize, end.min(256) as usize);
            assert_eq!(out, whole[a..b], "{start}..{end}");
        }
    }
}
