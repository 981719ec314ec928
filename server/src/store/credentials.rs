//! `credentials`: one Argon2id-hashed secret per principal.

use sqlx::{PgExecutor, Row, postgres::PgRow};
use uuid::Uuid;

use super::StoreResult;
use pramana_core::Role;

/// A stored credential.
#[derive(Debug, Clone)]
pub struct Credential {
    /// Id.
    pub id: Uuid,
    /// Whose role.
    pub role: Role,
    /// The patient, hospital or auditor id (a fixed id for the admin).
    pub subject_id: Uuid,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// For a hospital staff member's credential: the member (`role` is then `Hospital` and
    /// `subject_id` their hospital, as their sessions act for it).
    pub staff_id: Option<Uuid>,
}

/// Inserts a credential.
pub async fn insert_credential(
    db: impl PgExecutor<'_>,
    role: Role,
    subject_id: Uuid,
    login: &str,
    password_hash: &str,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO credentials (id, role, subject_id, login, password_hash) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(role.as_str())
        .bind(subject_id)
        .bind(login)
        .bind(password_hash)
        .execute(db)
        .await?;
    Ok(id)
}

/// Creates or replaces the bootstrap admin's credential.
pub async fn upsert_admin(
    db: impl PgExecutor<'_>,
    subject_id: Uuid,
    login: &str,
    password_hash: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO credentials (id, role, subject_id, login, password_hash) VALUES ($1, 'admin', $2, $3, $4)
         ON CONFLICT (role, subject_id) DO UPDATE SET login = EXCLUDED.login, password_hash = EXCLUDED.password_hash, updated_at = now()",
    )
    .bind(Uuid::now_v7())
    .bind(subject_id)
    .bind(login)
    .bind(password_hash)
    .execute(db)
    .await?;
    Ok(())
}

/// The credential of a principal (one per role and subject).
pub async fn find_credential_by_subject(
    db: impl PgExecutor<'_>,
    role: Role,
    subject_id: Uuid,
) -> StoreResult<Option<Credential>> {
    let row = sqlx::query("SELECT id, subject_id, password_hash FROM credentials WHERE role = $1 AND subject_id = $2")
        .bind(role.as_str())
        .bind(subject_id)
        .fetch_optional(db)
        .await?;
    row.map(|r: PgRow| {
        Ok(Credential {
            id: r.try_get("id")?,
            role,
            subject_id: r.try_get("subject_id")?,
            password_hash: r.try_get("password_hash")?,
            staff_id: None,
        })
    })
    .transpose()
}

/// A hospital staff member's credential for login `<HFR id>/<username>`, with the member's
/// status (`active` or `disabled`; an invited member has no credential yet).
pub async fn find_staff_credential_by_login(
    db: impl PgExecutor<'_>,
    login: &str,
) -> StoreResult<Option<(Credential, String)>> {
    let row = sqlx::query(
        "SELECT c.id, s.hospital_id, c.password_hash, s.id AS staff_id, s.status
           FROM credentials c JOIN hospital_staff s ON s.id = c.subject_id
          WHERE c.role = 'staff' AND c.login = $1",
    )
    .bind(login)
    .fetch_optional(db)
    .await?;
    row.map(|r: PgRow| {
        Ok((
            Credential {
                id: r.try_get("id")?,
                role: Role::Hospital,
                subject_id: r.try_get("hospital_id")?,
                password_hash: r.try_get("password_hash")?,
                staff_id: Some(r.try_get("staff_id")?),
            },
            r.try_get("status")?,
        ))
    })
    .transpose()
}

/// Inserts a staff member's credential (subject: the member).
pub async fn insert_staff_credential(
    db: impl PgExecutor<'_>,
    staff_id: Uuid,
    login: &str,
    password_hash: &str,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO credentials (id, role, subject_id, login, password_hash) VALUES ($1, 'staff', $2, $3, $4)",
    )
    .bind(id)
    .bind(staff_id)
    .bind(login)
    .bind(password_hash)
    .execute(db)
    .await?;
    Ok(id)
}

/// Finds the hospital, auditor or admin credential for a normalised login (patients sign in
/// through [`find_patient_credentials_by_abha`]: several accounts may claim one number).
pub async fn find_credential_by_login(db: impl PgExecutor<'_>, login: &str) -> StoreResult<Option<Credential>> {
    let row = sqlx::query(
        "SELECT id, role, subject_id, password_hash FROM credentials WHERE login = $1 AND role NOT IN ('patient', 'staff')",
    )
    .bind(login)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(credential_from_row).transpose()
}

fn credential_from_row(r: &PgRow) -> StoreResult<Credential> {
    let role: String = r.try_get("role")?;
    Ok(Credential {
        id: r.try_get("id")?,
        role: Role::parse(&role).ok_or_else(|| super::StoreError::Schema(format!("credentials.role {role}")))?,
        subject_id: r.try_get("subject_id")?,
        password_hash: r.try_get("password_hash")?,
        staff_id: None,
    })
}

/// The credentials of every account claiming ABHA number `digits`, in the order a login tries
/// them: the verified holder first, then the claims, then displaced accounts, oldest first. At
/// most `limit` (registration caps live claims, so this is a bound, not a cut).
pub async fn find_patient_credentials_by_abha(
    db: impl PgExecutor<'_>,
    digits: &str,
    limit: i64,
) -> StoreResult<Vec<Credential>> {
    let rows = sqlx::query(
        "SELECT c.id, c.role, c.subject_id, c.password_hash
         FROM credentials c JOIN patients p ON p.id = c.subject_id
         WHERE c.role = 'patient' AND c.login = $1
         ORDER BY CASE p.abha_status WHEN 'verified' THEN 0 WHEN 'claimed' THEN 1 ELSE 2 END, p.created_at
         LIMIT $2",
    )
    .bind(digits)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(credential_from_row).collect()
}

/// The credential an ABHA address signs in to: the verified account holding it, else the one
/// account claiming it. An address several unverified accounts claim signs in to none of them
/// (each still signs in by number).
/// Returns the credential with its login (the account's ABHA number).
pub async fn find_patient_credential_by_address(
    db: impl PgExecutor<'_>,
    address: &str,
) -> StoreResult<Option<(Credential, String)>> {
    let rows = sqlx::query(
        "SELECT c.id, c.role, c.subject_id, c.password_hash, c.login, a.verified
         FROM patient_abha_addresses a JOIN credentials c ON c.role = 'patient' AND c.subject_id = a.patient_id
         WHERE a.address = $1
         ORDER BY a.verified DESC
         LIMIT 2",
    )
    .bind(address)
    .fetch_all(db)
    .await?;
    let verified = rows.first().map(|r| r.try_get::<bool, _>("verified")).transpose()?.unwrap_or(false);
    if rows.len() == 1 || verified {
        let Some(row) = rows.first() else { return Ok(None) };
        let login: String = row.try_get("login")?;
        return Ok(Some((credential_from_row(row)?, login)));
    }
    Ok(None)
}

/// A credential by its id.
pub async fn find_credential_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<Credential>> {
    // A staff member's credential acts for their hospital (see `Credential::staff_id`).
    let row = sqlx::query(
        "SELECT c.id, CASE WHEN c.role = 'staff' THEN 'hospital' ELSE c.role END AS role,
                coalesce(s.hospital_id, c.subject_id) AS subject_id, c.password_hash, s.id AS staff_id
           FROM credentials c LEFT JOIN hospital_staff s ON c.role = 'staff' AND s.id = c.subject_id
          WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(|r| Ok(Credential { staff_id: r.try_get("staff_id")?, ..credential_from_row(r)? })).transpose()
}

/// A staff member's credential (role `Hospital`, subject their hospital, `staff_id` the member).
pub async fn find_staff_credential_by_id(db: impl PgExecutor<'_>, staff_id: Uuid) -> StoreResult<Option<Credential>> {
    let row = sqlx::query(
        "SELECT c.id, 'hospital' AS role, s.hospital_id AS subject_id, c.password_hash, s.id AS staff_id
           FROM credentials c JOIN hospital_staff s ON s.id = c.subject_id
          WHERE c.role = 'staff' AND c.subject_id = $1",
    )
    .bind(staff_id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(|r| Ok(Credential { staff_id: r.try_get("staff_id")?, ..credential_from_row(r)? })).transpose()
}
