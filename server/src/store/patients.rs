//! `patients` and `patient_abha_addresses`.

use chrono::{DateTime, Utc};
use pramana_core::{AbhaAddress, AbhaNumber, PatientId};
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreResult;
use super::abha::AbhaStatus;

/// A patient row with its ABHA addresses.
#[derive(Debug, Clone)]
pub struct Patient {
    /// Id.
    pub id: PatientId,
    /// Normalised ABHA number.
    pub abha_number: AbhaNumber,
    /// Whether the number is claimed, verified or displaced.
    pub abha_status: AbhaStatus,
    /// When it was verified.
    pub abha_verified_at: Option<DateTime<Utc>>,
    /// The hospital whose staff verified it in person: (HFR id, name).
    pub abha_verified_by: Option<(String, String)>,
    /// When another account's claim to the number was verified.
    pub abha_displaced_at: Option<DateTime<Utc>>,
    /// ABHA addresses, sorted.
    pub abha_addresses: Vec<AbhaAddress>,
    /// Display name.
    pub name: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Last profile change.
    pub updated_at: DateTime<Utc>,
}

/// Inserts a patient and their addresses (call inside a transaction).
pub async fn insert_patient(
    conn: &mut PgConnection,
    id: PatientId,
    abha_number: &AbhaNumber,
    name: &str,
    addresses: &[AbhaAddress],
) -> StoreResult<()> {
    sqlx::query("INSERT INTO patients (id, abha_number, name) VALUES ($1, $2, $3)")
        .bind(id.0)
        .bind(abha_number.as_digits())
        .bind(name)
        .execute(&mut *conn)
        .await?;
    insert_addresses(conn, id, addresses, false).await
}

/// Inserts addresses, as verified when the patient's number is (an address another verified
/// account holds is then a conflict).
async fn insert_addresses(
    conn: &mut PgConnection,
    id: PatientId,
    addresses: &[AbhaAddress],
    verified: bool,
) -> StoreResult<()> {
    if addresses.is_empty() {
        return Ok(());
    }
    let list: Vec<&str> = addresses.iter().map(AbhaAddress::as_str).collect();
    sqlx::query("INSERT INTO patient_abha_addresses (address, patient_id, verified) SELECT unnest($1::text[]), $2, $3")
        .bind(&list)
        .bind(id.0)
        .bind(verified)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Finds a patient by id.
pub async fn find_patient_by_id(conn: &mut PgConnection, id: PatientId) -> StoreResult<Option<Patient>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        abha_number: String,
        abha_status: String,
        abha_verified_at: Option<DateTime<Utc>>,
        verifier_hfr_id: Option<String>,
        verifier_name: Option<String>,
        abha_displaced_at: Option<DateTime<Utc>>,
        name: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT p.id, p.abha_number, p.abha_status, p.abha_verified_at, h.hfr_id AS verifier_hfr_id,
                h.name AS verifier_name, p.abha_displaced_at, p.name, p.created_at, p.updated_at
         FROM patients p LEFT JOIN hospitals h ON h.id = p.abha_verified_by WHERE p.id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let addresses: Vec<String> =
        sqlx::query_scalar("SELECT address FROM patient_abha_addresses WHERE patient_id = $1 ORDER BY address")
            .bind(row.id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Some(Patient {
        id: row.id.into(),
        // Rows were validated on the way in; a bad row is a bug worth failing loudly on.
        abha_number: AbhaNumber::parse(&row.abha_number)
            .map_err(|e| super::StoreError::Schema(format!("patients.abha_number: {e}")))?,
        abha_status: AbhaStatus::parse(&row.abha_status)
            .ok_or_else(|| super::StoreError::Schema(format!("patients.abha_status {}", row.abha_status)))?,
        abha_verified_at: row.abha_verified_at,
        abha_verified_by: row.verifier_hfr_id.zip(row.verifier_name),
        abha_displaced_at: row.abha_displaced_at,
        abha_addresses: addresses.iter().filter_map(|a| AbhaAddress::parse(a).ok()).collect(),
        name: row.name,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }))
}

/// Updates the name and/or replaces the address set (call inside a transaction). A verified
/// patient's new addresses are verified too.
pub async fn update_patient(
    conn: &mut PgConnection,
    id: PatientId,
    name: Option<&str>,
    addresses: Option<&[AbhaAddress]>,
) -> StoreResult<()> {
    sqlx::query("UPDATE patients SET name = COALESCE($2, name), updated_at = now() WHERE id = $1")
        .bind(id.0)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    if let Some(addresses) = addresses {
        sqlx::query("DELETE FROM patient_abha_addresses WHERE patient_id = $1").bind(id.0).execute(&mut *conn).await?;
        let verified: bool = sqlx::query_scalar("SELECT abha_status = 'verified' FROM patients WHERE id = $1")
            .bind(id.0)
            .fetch_one(&mut *conn)
            .await?;
        insert_addresses(conn, id, addresses, verified).await?;
    }
    Ok(())
}
