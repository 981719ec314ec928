//! `hospitals` and `auditors`: accounts an operator creates.

use chrono::{DateTime, Utc};
use pramana_core::{HfrId, HospitalId};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::StoreResult;

/// A hospital (HIP/HIU).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HospitalRow {
    /// Id.
    pub id: Uuid,
    /// Health Facility Registry id.
    pub hfr_id: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// An auditor account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditorRow {
    /// Id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Inserts a hospital.
pub async fn insert_hospital(
    db: impl PgExecutor<'_>,
    id: HospitalId,
    hfr_id: &HfrId,
    name: &str,
) -> StoreResult<HospitalRow> {
    Ok(sqlx::query_as(
        "INSERT INTO hospitals (id, hfr_id, name) VALUES ($1, $2, $3) RETURNING id, hfr_id, name, created_at",
    )
    .bind(id.0)
    .bind(hfr_id.as_str())
    .bind(name)
    .fetch_one(db)
    .await?)
}

/// Finds a hospital by id.
pub async fn find_hospital_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<HospitalRow>> {
    Ok(sqlx::query_as("SELECT id, hfr_id, name, created_at FROM hospitals WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// Lists hospitals by HFR id.
pub async fn list_hospitals(db: impl PgExecutor<'_>) -> StoreResult<Vec<HospitalRow>> {
    Ok(sqlx::query_as("SELECT id, hfr_id, name, created_at FROM hospitals ORDER BY hfr_id").fetch_all(db).await?)
}

/// Inserts an auditor.
pub async fn insert_auditor(db: impl PgExecutor<'_>, id: Uuid, username: &str, name: &str) -> StoreResult<AuditorRow> {
    Ok(sqlx::query_as(
        "INSERT INTO auditors (id, username, name) VALUES ($1, $2, $3) RETURNING id, username, name, created_at",
    )
    .bind(id)
    .bind(username)
    .bind(name)
    .fetch_one(db)
    .await?)
}
