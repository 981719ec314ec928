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

/// Lists auditors by username.
pub async fn list_auditors(db: impl PgExecutor<'_>) -> StoreResult<Vec<AuditorRow>> {
    Ok(sqlx::query_as("SELECT id, username, name, created_at FROM auditors ORDER BY username").fetch_all(db).await?)
}

/// A hospital with what it has set up.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HospitalStatusRow {
    /// Id.
    pub id: Uuid,
    /// HFR id.
    pub hfr_id: String,
    /// Display name.
    pub name: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// An active X25519 key.
    pub encryption_key: bool,
    /// An active Ethereum address.
    pub signing_key: bool,
    /// A webhook endpoint.
    pub webhook: bool,
    /// Webhook deliveries given up.
    pub failed_webhook_deliveries: i64,
}

/// Every hospital with its active keys, webhook and failed deliveries, by HFR id.
pub async fn list_hospital_statuses(db: impl PgExecutor<'_>) -> StoreResult<Vec<HospitalStatusRow>> {
    Ok(sqlx::query_as(
        "SELECT h.id, h.hfr_id, h.name, h.created_at,
                EXISTS (SELECT 1 FROM public_keys k WHERE k.owner_role = 'hospital' AND k.owner_id = h.id
                           AND k.kind = 'x25519' AND k.retired_at IS NULL) AS encryption_key,
                EXISTS (SELECT 1 FROM public_keys k WHERE k.owner_role = 'hospital' AND k.owner_id = h.id
                           AND k.kind = 'ethereum' AND k.retired_at IS NULL) AS signing_key,
                EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.hospital_id = h.id) AS webhook,
                (SELECT count(*) FROM webhook_events e WHERE e.hospital_id = h.id AND e.state = 'failed')
                   AS failed_webhook_deliveries
           FROM hospitals h ORDER BY h.hfr_id",
    )
    .fetch_all(db)
    .await?)
}
