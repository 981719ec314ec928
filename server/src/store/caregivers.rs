//! `caregivers`: the proxy rights a patient gives another patient account over their record —
//! HI types, a period, whether consent requests may be denied — and their revocation
//! (docs/caregivers.md).

use chrono::{DateTime, Utc};
use pramana_core::HiType;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{StoreError, StoreResult};

/// A caregiver grant, with both accounts' names.
#[derive(Debug, Clone)]
pub struct CaregiverRow {
    /// Grant id.
    pub id: Uuid,
    /// The patient whose record it is.
    pub patient_id: Uuid,
    /// The patient's name.
    pub patient_name: String,
    /// The caregiver (a patient account).
    pub caregiver_id: Uuid,
    /// The caregiver's name.
    pub caregiver_name: String,
    /// The caregiver's ABHA number (14 digits).
    pub caregiver_abha: String,
    /// The caregiver's current X25519 public key (64 hex digits), if they have one.
    pub caregiver_x25519: Option<String>,
    /// Whether the caregiver may see and deny consent requests.
    pub manage_consents: bool,
    /// HI types the caregiver may read.
    pub hi_types: Vec<HiType>,
    /// Start of the period.
    pub valid_from: DateTime<Utc>,
    /// End of the period.
    pub valid_until: DateTime<Utc>,
    /// When the patient made it.
    pub created_at: DateTime<Utc>,
    /// When the patient revoked it.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// How a grant stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaregiverState {
    /// In force.
    Active,
    /// Its period has not begun.
    NotYet,
    /// Its period is over.
    Expired,
    /// The patient revoked it.
    Revoked,
}

impl CaregiverState {
    /// The name clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NotYet => "not_yet",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

impl CaregiverRow {
    /// The grant's state at `now`.
    pub fn state_at(&self, now: DateTime<Utc>) -> CaregiverState {
        if self.revoked_at.is_some() {
            CaregiverState::Revoked
        } else if now < self.valid_from {
            CaregiverState::NotYet
        } else if now >= self.valid_until {
            CaregiverState::Expired
        } else {
            CaregiverState::Active
        }
    }
}

#[derive(sqlx::FromRow)]
struct RawCaregiver {
    id: Uuid,
    patient_id: Uuid,
    patient_name: String,
    caregiver_id: Uuid,
    caregiver_name: String,
    caregiver_abha: String,
    caregiver_x25519: Option<String>,
    manage_consents: bool,
    hi_types: Vec<String>,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<RawCaregiver> for CaregiverRow {
    type Error = StoreError;

    fn try_from(r: RawCaregiver) -> StoreResult<Self> {
        let hi_types = r
            .hi_types
            .iter()
            .map(|t| HiType::parse(t).map_err(|_| StoreError::Schema(format!("caregivers.hi_types of {}: {t}", r.id))))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Self {
            id: r.id,
            patient_id: r.patient_id,
            patient_name: r.patient_name,
            caregiver_id: r.caregiver_id,
            caregiver_name: r.caregiver_name,
            caregiver_abha: r.caregiver_abha,
            caregiver_x25519: r.caregiver_x25519,
            manage_consents: r.manage_consents,
            hi_types,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        })
    }
}

/// `SELECT` of grants with both names, then `rest` (WHERE, ORDER BY …) on `g`.
fn select(rest: &str) -> String {
    format!(
        "SELECT g.id, g.patient_id, p.name AS patient_name, g.caregiver_id, c.name AS caregiver_name,
                c.abha_number::text AS caregiver_abha,
                (SELECT k.public_key FROM public_keys k WHERE k.owner_id = g.caregiver_id AND k.kind = 'x25519'
                    AND k.retired_at IS NULL ORDER BY k.created_at DESC LIMIT 1) AS caregiver_x25519,
                g.manage_consents, g.hi_types, g.valid_from, g.valid_until,
                g.created_at, g.revoked_at
           FROM caregivers g JOIN patients p ON p.id = g.patient_id JOIN patients c ON c.id = g.caregiver_id {rest}"
    )
}

fn parsed(rows: Vec<RawCaregiver>) -> StoreResult<Vec<CaregiverRow>> {
    rows.into_iter().map(CaregiverRow::try_from).collect()
}

/// A new grant to be inserted.
#[derive(Debug, Clone)]
pub struct NewCaregiver<'a> {
    /// Grant id.
    pub id: Uuid,
    /// The patient.
    pub patient_id: Uuid,
    /// The caregiver.
    pub caregiver_id: Uuid,
    /// May deny consent requests.
    pub manage_consents: bool,
    /// HI types.
    pub hi_types: &'a [HiType],
    /// Start of the period.
    pub valid_from: DateTime<Utc>,
    /// End of the period.
    pub valid_until: DateTime<Utc>,
}

/// Inserts a grant (call inside a transaction). A second open grant for the same pair is
/// `StoreError::Conflict("caregivers_open_key")`.
pub async fn insert_caregiver(conn: &mut PgConnection, g: &NewCaregiver<'_>) -> StoreResult<()> {
    let codes: Vec<&str> = g.hi_types.iter().map(|t| t.code()).collect();
    sqlx::query(
        "INSERT INTO caregivers (id, patient_id, caregiver_id, manage_consents, hi_types, valid_from, valid_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(g.id)
    .bind(g.patient_id)
    .bind(g.caregiver_id)
    .bind(g.manage_consents)
    .bind(codes)
    .bind(g.valid_from)
    .bind(g.valid_until)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A grant by id.
pub async fn find_caregiver_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<CaregiverRow>> {
    let row: Option<RawCaregiver> = sqlx::query_as(&select("WHERE g.id = $1")).bind(id).fetch_optional(db).await?;
    row.map(CaregiverRow::try_from).transpose()
}

/// The grants a patient made, newest first.
pub async fn find_caregivers_by_patient(db: impl PgExecutor<'_>, patient_id: Uuid) -> StoreResult<Vec<CaregiverRow>> {
    parsed(
        sqlx::query_as(&select("WHERE g.patient_id = $1 ORDER BY g.created_at DESC, g.id LIMIT 200"))
            .bind(patient_id)
            .fetch_all(db)
            .await?,
    )
}

/// The grants made to a caregiver, newest first.
pub async fn find_caregivers_by_caregiver(
    db: impl PgExecutor<'_>,
    caregiver_id: Uuid,
) -> StoreResult<Vec<CaregiverRow>> {
    parsed(
        sqlx::query_as(&select("WHERE g.caregiver_id = $1 ORDER BY g.created_at DESC, g.id LIMIT 200"))
            .bind(caregiver_id)
            .fetch_all(db)
            .await?,
    )
}

/// Revokes a grant not yet revoked (call inside a transaction). Returns false if it was already.
pub async fn mark_caregiver_revoked(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE caregivers SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the patient has a grant to the caregiver in force at `now` (not revoked, in period).
pub async fn has_active_caregiver(
    db: impl PgExecutor<'_>,
    patient_id: Uuid,
    caregiver_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM caregivers WHERE patient_id = $1 AND caregiver_id = $2
                           AND revoked_at IS NULL AND valid_from <= $3 AND valid_until > $3)",
    )
    .bind(patient_id)
    .bind(caregiver_id)
    .bind(now)
    .fetch_one(db)
    .await?)
}

/// The patient accounts holding ABHA number `digits` (14 digits), the verified one first, and
/// whether each is verified; at most two (enough to tell one from several).
pub async fn find_accounts_by_abha(db: impl PgExecutor<'_>, digits: &str) -> StoreResult<Vec<(Uuid, bool)>> {
    Ok(sqlx::query_as(
        "SELECT id, abha_status = 'verified' FROM patients WHERE abha_number = $1 AND abha_status <> 'displaced'
          ORDER BY (abha_status = 'verified') DESC, created_at LIMIT 2",
    )
    .bind(digits)
    .fetch_all(db)
    .await?)
}
