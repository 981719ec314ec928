//! Documents written straight into the database, for tests and benchmarks that need thousands of
//! them: a real envelope header each (sealed to the given recipients), its stanza index and its
//! header version 1, as an upload leaves them; no payload object and no anchor job (nothing
//! here downloads or anchors them).

#![allow(clippy::unwrap_used, reason = "test support: any failure is a test failure")]

use chrono::NaiveDate;
use pramana_core::envelope::{self, Recipient, os_rng};
use uuid::Uuid;

use crate::app::TestApp;

/// Who a seeded document's stanza belongs to, for the stanza index.
#[derive(Debug, Clone, Copy)]
pub struct Holder {
    /// The recipient's public key.
    pub key: Recipient,
    /// `patient` or `hospital`.
    pub role: &'static str,
    /// The account.
    pub id: Uuid,
}

impl TestApp {
    /// Writes `n` live documents of `owner` (HI type `hi_type`, care date `care_date`, uploaded
    /// by `uploader`), each sealed to `holders`, in id order; returns their ids, sorted.
    pub async fn seed_documents(
        &self,
        owner: Uuid,
        uploader: (&str, Uuid),
        holders: &[Holder],
        hi_type: &str,
        care_date: NaiveDate,
        n: usize,
    ) -> Vec<Uuid> {
        let recipients: Vec<Recipient> = holders.iter().map(|h| h.key).collect();
        let mut ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
        ids.sort();
        for chunk in ids.chunks(500) {
            let mut headers = Vec::with_capacity(chunk.len());
            let mut hashes = Vec::with_capacity(chunk.len());
            for id in chunk {
                let mut out = Vec::new();
                let info = envelope::seal(id.as_bytes(), &recipients, &mut os_rng(), &b"seeded"[..], &mut out).unwrap();
                headers.push(info.header.to_bytes());
                hashes.push(info.payload_sha256.to_vec());
            }
            let mut tx = self.pool.begin().await.unwrap();
            sqlx::query(
                "INSERT INTO documents (id, owner_patient_id, uploaded_by_role, uploaded_by_id, hi_type, care_date,
                                        plaintext_size, payload_size, payload_sha256, storage_key, plaintext_sha256,
                                        salt, leaf, header)
                 SELECT d.id, $2, $3, $4, $5, $6, 6, 100, d.h, encode(d.h, 'hex'), d.h, d.h, d.h, d.header
                   FROM unnest($1::uuid[], $7::bytea[], $8::bytea[]) AS d(id, h, header)",
            )
            .bind(chunk)
            .bind(owner)
            .bind(uploader.0)
            .bind(uploader.1)
            .bind(hi_type)
            .bind(care_date)
            .bind(&hashes)
            .bind(&headers)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO document_header_versions (document_id, version, header, actor_role, actor_id, reason)
                 SELECT id, 1, header, $2, $3, 'upload' FROM documents WHERE id = ANY($1)",
            )
            .bind(chunk)
            .bind(uploader.0)
            .bind(uploader.1)
            .execute(&mut *tx)
            .await
            .unwrap();
            for h in holders {
                sqlx::query(
                    "INSERT INTO document_stanzas (document_id, key_id, holder_role, holder_id)
                     SELECT id, $2, $3, $4 FROM unnest($1::uuid[]) AS d(id)",
                )
                .bind(chunk)
                .bind(&h.key.key_id()[..])
                .bind(h.role)
                .bind(h.id)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }
        ids
    }
}
