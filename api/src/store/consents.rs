//! `consents`: consent artefacts from request to decision.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// A consent artefact row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRow {
    /// Id.
    pub id: Uuid,
    /// The patient.
    pub patient_id: Uuid,
    /// The requesting hospital.
    pub hospital_id: Uuid,
    /// Purpose code.
    pub purpose: String,
    /// HI type codes.
    pub hi_types: Vec<String>,
    /// Access mode code.
    pub access_mode: String,
    /// First care date in scope.
    pub date_from: NaiveDate,
    /// Last care date in scope.
    pub date_to: NaiveDate,
    /// When a grant would end.
    pub data_erase_at: DateTime<Utc>,
    /// Frequency unit.
    pub frequency_unit: String,
    /// Frequency value.
    pub frequency_value: i32,
    /// Frequency repeats.
    pub frequency_repeats: i32,
    /// When the request expires if not acted on.
    pub request_expires_at: DateTime<Utc>,
    /// Stored status (`EXPIRED` is usually derived, see `routes::consents`).
    pub status: String,
    /// Request time.
    pub created_at: DateTime<Utc>,
    /// Decision time.
    pub decided_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, patient_id, hospital_id, purpose, hi_types, access_mode, date_from, date_to, data_erase_at, \
     frequency_unit, frequency_value, frequency_repeats, request_expires_at, status, created_at, decided_at";

/// Closes the patient's open artefact with the hospital if it has expired (its request, or its
/// grant's `data_erase_at`), so a new request can take its place. Returns whether one was closed.
pub async fn mark_open_consent_expired(
    conn: &mut PgConnection,
    patient_id: Uuid,
    hospital_id: Uuid,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE consents SET status = 'EXPIRED', decided_at = now()
          WHERE patient_id = $1 AND hospital_id = $2
            AND ((status = 'REQUESTED' AND request_expires_at <= now()) OR (status = 'GRANTED' AND data_erase_at <= now()))",
    )
    .bind(patient_id)
    .bind(hospital_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Inserts a request (call inside a transaction).
pub async fn insert_consent(conn: &mut PgConnection, c: &ConsentRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO consents (id, patient_id, hospital_id, purpose, hi_types, access_mode, date_from, date_to,
                               data_erase_at, frequency_unit, frequency_value, frequency_repeats, request_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(c.id)
    .bind(c.patient_id)
    .bind(c.hospital_id)
    .bind(&c.purpose)
    .bind(&c.hi_types)
    .bind(&c.access_mode)
    .bind(c.date_from)
    .bind(c.date_to)
    .bind(c.data_erase_at)
    .bind(&c.frequency_unit)
    .bind(c.frequency_value)
    .bind(c.frequency_repeats)
    .bind(c.request_expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Finds an artefact.
pub async fn find_consent_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<ConsentRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM consents WHERE id = $1")).bind(id).fetch_optional(db).await?)
}

/// A patient's or a hospital's artefacts, newest first.
pub async fn find_consents_by_party(
    db: impl PgExecutor<'_>,
    patient_id: Option<Uuid>,
    hospital_id: Option<Uuid>,
) -> StoreResult<Vec<ConsentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM consents
          WHERE ($1::uuid IS NULL OR patient_id = $1) AND ($2::uuid IS NULL OR hospital_id = $2)
          ORDER BY created_at DESC, id DESC LIMIT 1000"
    ))
    .bind(patient_id)
    .bind(hospital_id)
    .fetch_all(db)
    .await?)
}

/// Denies a request that is still open and not expired (call inside a transaction). Returns
/// false when it was not in that state.
pub async fn mark_consent_denied(conn: &mut PgConnection, id: Uuid) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE consents SET status = 'DENIED', decided_at = now()
          WHERE id = $1 AND status = 'REQUESTED' AND request_expires_at > now()",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The patient with this ABHA number (14 digits), if registered.
pub async fn find_patient_id_by_abha(db: impl PgExecutor<'_>, abha_digits: &str) -> StoreResult<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT id FROM patients WHERE abha_number = $1")
        .bind(abha_digits)
        .fetch_optional(db)
        .await?)
}
