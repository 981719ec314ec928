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
        })
    })
    .transpose()
}

/// Finds the credential for a normalised login.
pub async fn find_credential_by_login(db: impl PgExecutor<'_>, login: &str) -> StoreResult<Option<Credential>> {
    let row = sqlx::query("SELECT id, role, subject_id, password_hash FROM credentials WHERE login = $1")
        .bind(login)
        .fetch_optional(db)
        .await?;
    row.map(|r: PgRow| {
        let role: String = r.try_get("role")?;
        Ok(Credential {
            id: r.try_get("id")?,
            role: Role::parse(&role).ok_or_else(|| super::StoreError::Schema(format!("credentials.role {role}")))?,
            subject_id: r.try_get("subject_id")?,
            password_hash: r.try_get("password_hash")?,
        })
    })
    .transpose()
}
