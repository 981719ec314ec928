//! All SQL lives here: one module per table family, functions named `insert_*`, `find_*_by_*`,
//! `mark_*`. Nothing outside `store` writes SQL.

pub mod abha;
pub mod accounts;
pub mod anchor;
pub mod audit;
pub mod caregivers;
pub mod consents;
pub mod credentials;
pub mod devices;
pub mod documents;
pub mod exports;
pub mod guardians;
pub mod health;
pub mod keys;
pub mod links;
pub mod notifications;
pub mod passkeys;
pub mod password_resets;
pub mod patients;
pub mod relay;
pub mod second_factor;
pub mod sessions;
pub mod staff;
pub mod uploads;
pub mod webhooks;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// Migrations embedded from the workspace's `migrations/` folder.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; carries the constraint's name.
    #[error("unique constraint {0} violated")]
    Conflict(String),
    /// Postgres could not be reached in time.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The schema is not what this build expects.
    #[error("schema: {0}")]
    Schema(String),
}

/// `Result` with [`StoreError`].
pub type StoreResult<T, E = StoreError> = Result<T, E>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("23505") => {
                Self::Conflict(db.constraint().unwrap_or("unknown").to_owned())
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => Self::Unavailable(e),
            _ => Self::Database(e),
        }
    }
}

/// A fixed-length byte column, or a schema error naming it (`what`: table, column and row).
pub fn fixed_bytes<const N: usize>(what: impl std::fmt::Display, raw: &[u8]) -> StoreResult<[u8; N]> {
    <[u8; N]>::try_from(raw).map_err(|_| StoreError::Schema(format!("{what}: {} bytes, not {N}", raw.len())))
}

/// A non-negative integer column, or a schema error naming it.
pub fn unsigned(what: impl std::fmt::Display, v: i64) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| StoreError::Schema(format!("{what}: {v} is negative")))
}

/// A transaction on `pool`.
pub async fn begin(pool: &PgPool) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    Ok(pool.begin().await?)
}

/// Commits `tx`.
pub async fn commit(tx: sqlx::Transaction<'_, sqlx::Postgres>) -> StoreResult<()> {
    Ok(tx.commit().await?)
}

/// Opens a pool lazily, so the process starts (and `/readyz` reports) even while Postgres is down.
pub fn connect_lazy(url: &str, max_connections: u32) -> StoreResult<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(url)
        .map_err(StoreError::from)
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> StoreResult<()> {
    MIGRATOR.run(pool).await.map_err(|e| StoreError::Schema(e.to_string()))
}

/// Fails unless every migration this build knows is applied (the worker's start-up check).
pub async fn check_schema(pool: &PgPool) -> StoreResult<()> {
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(pool)
        .await
        .map_err(|e| {
            StoreError::Schema(format!("no migrations table ({e}); run the API or `pramana-api migrate` first"))
        })?;
    let missing: Vec<i64> = MIGRATOR.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect();
    if missing.is_empty() { Ok(()) } else { Err(StoreError::Schema(format!("migrations not applied: {missing:?}"))) }
}

/// Begins a read-only `REPEATABLE READ` transaction: every query in it sees one snapshot (for
/// reads that span several tables, such as a patient's export).
pub async fn begin_snapshot(pool: &PgPool) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    Ok(tx)
}

/// `SELECT 1`, for readiness.
pub async fn ping(pool: &PgPool) -> StoreResult<()> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}
