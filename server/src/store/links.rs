//! `care_links`: which hospitals may add documents to a patient's record. A hospital asks, the
//! patient approves or denies, either side ends a link; at most one open (asked or linked) row
//! per patient and hospital (a partial unique index).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// One link, with the hospital's public names for the patient's view.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    /// Id.
    pub id: Uuid,
    /// The patient whose record it opens.
    pub patient_id: Uuid,
    /// The hospital that asked.
    pub hospital_id: Uuid,
    /// The hospital's HFR id.
    pub hfr_id: String,
    /// The hospital's name.
    pub hospital_name: String,
    /// `REQUESTED`, `LINKED`, `DENIED` or `UNLINKED`.
    pub status: String,
    /// When the hospital asked.
    pub requested_at: DateTime<Utc>,
    /// When the patient approved or denied.
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was denied or ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Who ended it: `patient` or `hospital`.
    pub ended_by: Option<String>,
}

const SELECT: &str = "SELECT l.id, l.patient_id, l.hospital_id, h.hfr_id, h.name AS hospital_name, l.status,
        l.requested_at, l.decided_at, l.ended_at, l.ended_by
   FROM care_links l JOIN hospitals h ON h.id = l.hospital_id";

/// Records a hospital's request; `StoreError::Conflict("care_links_open_idx")` when an open
/// one exists.
pub async fn insert_link_request(
    conn: &mut PgConnection,
    id: Uuid,
    patient_id: Uuid,
    hospital_id: Uuid,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO care_links (id, patient_id, hospital_id, status) VALUES ($1, $2, $3, 'REQUESTED')")
        .bind(id)
        .bind(patient_id)
        .bind(hospital_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One link.
pub async fn find_link_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<LinkRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE l.id = $1")).bind(id).fetch_optional(db).await?)
}

/// A patient's links, or a hospital's, newest first.
pub async fn find_links_by_party(
    db: impl PgExecutor<'_>,
    patient_id: Option<Uuid>,
    hospital_id: Option<Uuid>,
) -> StoreResult<Vec<LinkRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE ($1::uuid IS NULL OR l.patient_id = $1) AND ($2::uuid IS NULL OR l.hospital_id = $2)
          ORDER BY l.requested_at DESC, l.id DESC LIMIT 1000"
    ))
    .bind(patient_id)
    .bind(hospital_id)
    .fetch_all(db)
    .await?)
}

/// Moves link `id` from `from` to `to` (`LINKED`, `DENIED` or `UNLINKED`), stamping the time
/// and, when it ends, who ended it. Returns false when it was not in `from` (a race lost).
pub async fn transition_link(
    conn: &mut PgConnection,
    id: Uuid,
    from: &[&str],
    to: &str,
    ended_by: Option<&str>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE care_links SET status = $3,
                decided_at = COALESCE(decided_at, now()),
                ended_at = CASE WHEN $3 IN ('DENIED', 'UNLINKED') THEN now() END,
                ended_by = $4
          WHERE id = $1 AND status = ANY($2)",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(ended_by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `hospital_id` holds a live link to `patient_id`'s record; call in the transaction that
/// writes into the record: the row is read `FOR SHARE`, so an unlink waits for it or is seen.
pub async fn is_linked(conn: &mut PgConnection, patient_id: Uuid, hospital_id: Uuid) -> StoreResult<bool> {
    let row: Option<(Uuid,)> = sqlx::query_as(
        "SELECT id FROM care_links WHERE patient_id = $1 AND hospital_id = $2 AND status = 'LINKED' FOR SHARE",
    )
    .bind(patient_id)
    .bind(hospital_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Payload bytes `hospital_id` put into `patient_id`'s record (live documents), plus its uploads
/// there in flight younger than `max_age_secs`.
pub async fn link_usage(
    conn: &mut PgConnection,
    patient_id: Uuid,
    hospital_id: Uuid,
    max_age_secs: u64,
) -> StoreResult<u64> {
    let used: i64 = sqlx::query_scalar(
        "SELECT ((SELECT COALESCE(sum(payload_size), 0) FROM documents
                  WHERE owner_patient_id = $1 AND uploaded_by_role = 'hospital' AND uploaded_by_id = $2
                    AND deleted_at IS NULL)
              + (SELECT COALESCE(sum(bytes), 0) FROM upload_reservations
                  WHERE patient_id = $1 AND hospital_id = $2 AND created_at >= now() - make_interval(secs => $3)))::bigint",
    )
    .bind(patient_id)
    .bind(hospital_id)
    .bind(max_age_secs as f64)
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(used).unwrap_or(0))
}

/// A patient a hospital asked to link or for consent, as the hospital may see them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HospitalPatientRow {
    /// The patient.
    pub patient_id: Uuid,
    /// Their ABHA number.
    pub abha_number: String,
    /// Their name, when linked or granted.
    pub name: Option<String>,
    /// The newest link with this hospital.
    pub link_id: Option<Uuid>,
    /// Its state.
    pub link_status: Option<String>,
    /// Grants to this hospital in force now.
    pub active_grants: i64,
    /// The patient's active X25519 key, while linked.
    pub x25519_public_key: Option<String>,
}

/// The patients `hospital_id` asked to link or for consent, most recently asked first.
pub async fn find_patients_of_hospital(
    db: impl PgExecutor<'_>,
    hospital_id: Uuid,
) -> StoreResult<Vec<HospitalPatientRow>> {
    Ok(sqlx::query_as(
        "WITH asked AS (
             SELECT patient_id, max(at) AS last_at FROM (
                 SELECT patient_id, requested_at AS at FROM care_links WHERE hospital_id = $1
                 UNION ALL SELECT patient_id, created_at FROM consents WHERE hospital_id = $1) a
             GROUP BY patient_id),
         facts AS (
             SELECT a.patient_id, a.last_at, l.id AS link_id, l.status AS link_status,
                    (SELECT count(*) FROM consents c WHERE c.patient_id = a.patient_id AND c.hospital_id = $1
                        AND c.status = 'GRANTED' AND c.data_erase_at > now()) AS active_grants
               FROM asked a
               LEFT JOIN LATERAL (SELECT id, status FROM care_links
                                   WHERE patient_id = a.patient_id AND hospital_id = $1
                                   ORDER BY requested_at DESC, id DESC LIMIT 1) l ON true)
         SELECT f.patient_id, p.abha_number::text AS abha_number,
                CASE WHEN f.link_status = 'LINKED' OR f.active_grants > 0 THEN p.name END AS name,
                f.link_id, f.link_status, f.active_grants,
                CASE WHEN f.link_status = 'LINKED' THEN
                    (SELECT k.public_key FROM public_keys k WHERE k.owner_role = 'patient' AND k.owner_id = f.patient_id
                        AND k.kind = 'x25519' AND k.retired_at IS NULL) END AS x25519_public_key
           FROM facts f JOIN patients p ON p.id = f.patient_id
          ORDER BY f.last_at DESC, f.patient_id LIMIT 1000",
    )
    .bind(hospital_id)
    .fetch_all(db)
    .await?)
}
