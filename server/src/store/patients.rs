//! `patients` and `patient_abha_addresses`.

use chrono::{DateTime, Utc};
use pramana_core::{AbhaAddress, AbhaNumber, PatientId};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// A patient row with its ABHA addresses.
#[derive(Debug, Clone)]
pub struct Patient {
    /// Id.
    pub id: PatientId,
    /// Normalised ABHA number.
    pub abha_number: AbhaNumber,
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
    insert_addresses(conn, id, addresses).await
}

async fn insert_addresses(conn: &mut PgConnection, id: PatientId, addresses: &[AbhaAddress]) -> StoreResult<()> {
    if addresses.is_empty() {
        return Ok(());
    }
    let list: Vec<&str> = addresses.iter().map(AbhaAddress::as_str).collect();
    sqlx::query("INSERT INTO patient_abha_addresses (address, patient_id) SELECT unnest($1::text[]), $2")
        .bind(&list)
        .bind(id.0)
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
        name: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
    let row: Option<Row> =
        sqlx::query_as("SELECT id, abha_number, name, created_at, updated_at FROM patients WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(Row { id, abha_number: abha, name, created_at, updated_at }) = row else {
        return Ok(None);
    };
    let addresses: Vec<String> =
        sqlx::query_scalar("SELECT address FROM patient_abha_addresses WHERE patient_id = $1 ORDER BY address")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Some(Patient {
        id: id.into(),
        // Rows were validated on the way in; a bad row is a bug worth failing loudly on.
        abha_number: AbhaNumber::parse(&abha)
            .map_err(|e| super::StoreError::Schema(format!("patients.abha_number: {e}")))?,
        abha_addresses: addresses.iter().filter_map(|a| AbhaAddress::parse(a).ok()).collect(),
        name,
        created_at,
        updated_at,
    }))
}

/// The ABHA number of the patient holding `address`, if any.
pub async fn find_abha_number_by_address(
    db: impl PgExecutor<'_>,
    address: &AbhaAddress,
) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT p.abha_number FROM patient_abha_addresses a JOIN patients p ON p.id = a.patient_id WHERE a.address = $1",
    )
    .bind(address.as_str())
    .fetch_optional(db)
    .await?)
}

/// Updates the name and/or replaces the address set (call inside a transaction).
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
        insert_addresses(conn, id, addresses).await?;
    }
    Ok(())
}
