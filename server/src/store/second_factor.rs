//! `credential_totp`, `recovery_codes`, `login_challenges`, `second_factor_attempts`: the second
//! factor of a credential (passkeys: [`super::passkeys`]).

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use secrecy::ExposeSecret as _;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::{StoreError, StoreResult};
use crate::config::AuthSettings;
use pramana_core::Role;

/// Seals TOTP secrets at rest: AES-256-GCM under a key derived with HKDF-SHA256 from
/// `auth.second_factor_key` (or, unset, `auth.jwt_secret`), the credential's id as associated
/// data, so a sealed secret moved to another credential's row does not open. Stored form:
/// version `0x01` ‖ 12-byte random nonce ‖ ciphertext of the 20 bytes ‖ 16-byte tag (49 bytes).
#[derive(Clone)]
pub struct SecretSeal(Aes256Gcm);

impl std::fmt::Debug for SecretSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSeal(..)")
    }
}

/// Length of a sealed secret.
pub const SEALED_LEN: usize = 1 + 12 + 20 + 16;
const SEAL_VERSION: u8 = 1;

impl SecretSeal {
    /// The seal the settings name.
    pub fn from_settings(auth: &AuthSettings) -> Self {
        let ikm = auth.second_factor_key.as_ref().unwrap_or(&auth.jwt_secret).expose_secret().as_bytes();
        Self::from_key_material(ikm)
    }

    /// The seal of some key material (at least 32 bytes of it, as the settings check).
    pub fn from_key_material(ikm: &[u8]) -> Self {
        let mut key = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(Some(b"pramana"), ikm)
            .expand(b"pramana/totp-secret/v1", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self(Aes256Gcm::new(&key.into()))
    }

    /// Seals `secret` for the row of `credential_id`.
    pub fn seal(&self, credential_id: Uuid, secret: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut body = secret.to_vec();
        let tag = self
            .0
            .encrypt_inout_detached(&Nonce::from(nonce), credential_id.as_bytes(), body.as_mut_slice().into())
            .expect("AES-GCM seals 20 bytes");
        [&[SEAL_VERSION][..], &nonce, &body, tag.as_slice()].concat()
    }

    /// Opens what [`Self::seal`] made for `credential_id`. A secret stored before sealing (20
    /// bytes as is) is returned as is until [`seal_plain_secrets`] has sealed it.
    pub fn open(&self, credential_id: Uuid, stored: &[u8]) -> StoreResult<Vec<u8>> {
        if stored.len() == 20 {
            return Ok(stored.to_vec());
        }
        let opened = (stored.len() == SEALED_LEN && stored[0] == SEAL_VERSION)
            .then(|| {
                let nonce = Nonce::try_from(&stored[1..13]).ok()?;
                let tag = Tag::try_from(&stored[SEALED_LEN - 16..]).ok()?;
                let mut body = stored[13..SEALED_LEN - 16].to_vec();
                self.0
                    .decrypt_inout_detached(&nonce, credential_id.as_bytes(), body.as_mut_slice().into(), &tag)
                    .ok()
                    .map(|()| body)
            })
            .flatten();
        opened.ok_or_else(|| {
            StoreError::Schema(format!(
                "the TOTP secret of credential {credential_id} does not open: auth.second_factor_key (or auth.jwt_secret) is not the key it was sealed with"
            ))
        })
    }
}

/// Seals every TOTP secret still stored as is (rows written before secrets were sealed); run at
/// start-up. Returns how many were sealed.
pub async fn seal_plain_secrets(pool: &sqlx::PgPool, seal: &SecretSeal) -> StoreResult<u64> {
    let mut tx = pool.begin().await?;
    let rows: Vec<(Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT credential_id, secret FROM credential_totp WHERE length(secret) = 20 FOR UPDATE")
            .fetch_all(&mut *tx)
            .await?;
    for (id, secret) in &rows {
        sqlx::query("UPDATE credential_totp SET secret = $2 WHERE credential_id = $1")
            .bind(id)
            .bind(seal.seal(*id, secret))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows.len() as u64)
}

/// A credential's TOTP state.
#[derive(Debug, Clone)]
pub struct Totp {
    /// The shared secret (20 bytes).
    pub secret: Vec<u8>,
    /// Whether the second factor is on (enrolment confirmed).
    pub enabled: bool,
    /// The last time step whose code was accepted.
    pub last_used_step: Option<i64>,
    /// Until when wrong codes have locked the factor.
    pub locked_until: Option<DateTime<Utc>>,
}

/// The TOTP state of `credential_id`, locked for update (inside a transaction), its secret
/// opened.
pub async fn lock_totp(db: impl PgExecutor<'_>, seal: &SecretSeal, credential_id: Uuid) -> StoreResult<Option<Totp>> {
    let row = sqlx::query(
        "SELECT t.secret, t.enabled_at IS NOT NULL AS enabled, t.last_used_step, a.locked_until
         FROM credential_totp t LEFT JOIN second_factor_attempts a USING (credential_id)
         WHERE t.credential_id = $1 FOR UPDATE OF t",
    )
    .bind(credential_id)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Totp {
            secret: seal.open(credential_id, &r.try_get::<Vec<u8>, _>("secret")?)?,
            enabled: r.try_get("enabled")?,
            last_used_step: r.try_get("last_used_step")?,
            locked_until: r.try_get("locked_until")?,
        })
    })
    .transpose()
}

/// Whether the credential of `role` and `subject_id` has its second factor on.
pub async fn is_enabled_for(db: impl PgExecutor<'_>, role: Role, subject_id: Uuid) -> StoreResult<bool> {
    let on: Option<bool> = sqlx::query_scalar(&format!(
        "SELECT {HAS_FACTOR} FROM credentials c WHERE c.role = $1 AND c.subject_id = $2 LIMIT 1"
    ))
    .bind(role.as_str())
    .bind(subject_id)
    .fetch_optional(db)
    .await?;
    Ok(on.unwrap_or(false))
}

/// Whether hospital staff member `staff_id`'s credential has its second factor on.
pub async fn is_enabled_for_staff(db: impl PgExecutor<'_>, staff_id: Uuid) -> StoreResult<bool> {
    let on: Option<bool> = sqlx::query_scalar(&format!(
        "SELECT {HAS_FACTOR} FROM credentials c WHERE c.role = 'staff' AND c.subject_id = $1"
    ))
    .bind(staff_id)
    .fetch_optional(db)
    .await?;
    Ok(on.unwrap_or(false))
}

/// Whether `credential_id` has a second factor: TOTP on, or a passkey.
pub async fn is_enabled(db: impl PgExecutor<'_>, credential_id: Uuid) -> StoreResult<bool> {
    let on: Option<bool> = sqlx::query_scalar(&format!("SELECT {HAS_FACTOR} FROM credentials c WHERE c.id = $1"))
        .bind(credential_id)
        .fetch_optional(db)
        .await?;
    Ok(on.unwrap_or(false))
}

/// Which second factors `credential_id` has: `totp` (on) and `passkey` (at least one).
pub async fn factors(db: impl PgExecutor<'_>, credential_id: Uuid) -> StoreResult<Vec<&'static str>> {
    let row = sqlx::query(
        "SELECT EXISTS (SELECT 1 FROM credential_totp WHERE credential_id = $1 AND enabled_at IS NOT NULL) AS totp,
                EXISTS (SELECT 1 FROM credential_passkeys WHERE credential_id = $1) AS passkey",
    )
    .bind(credential_id)
    .fetch_one(db)
    .await?;
    let mut out = Vec::new();
    if row.try_get::<bool, _>("totp")? {
        out.push("totp");
    }
    if row.try_get::<bool, _>("passkey")? {
        out.push("passkey");
    }
    Ok(out)
}

/// SQL: whether credential `c` has a second factor (TOTP on, or a passkey).
const HAS_FACTOR: &str =
    "(EXISTS (SELECT 1 FROM credential_totp t WHERE t.credential_id = c.id AND t.enabled_at IS NOT NULL)
     OR EXISTS (SELECT 1 FROM credential_passkeys p WHERE p.credential_id = c.id))";

/// Until when wrong second-factor attempts have locked `credential_id`'s second factor (the
/// row is locked for update, so concurrent attempts count one after the other).
pub async fn lock_attempts(db: &mut sqlx::PgConnection, credential_id: Uuid) -> StoreResult<Option<DateTime<Utc>>> {
    sqlx::query("INSERT INTO second_factor_attempts (credential_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(credential_id)
        .execute(&mut *db)
        .await?;
    Ok(sqlx::query_scalar("SELECT locked_until FROM second_factor_attempts WHERE credential_id = $1 FOR UPDATE")
        .bind(credential_id)
        .fetch_one(&mut *db)
        .await?)
}

/// Starts (or restarts) enrolment with a new secret. `false` when the factor is already on
/// (nothing changed).
pub async fn start_enrolment(
    db: impl PgExecutor<'_>,
    seal: &SecretSeal,
    credential_id: Uuid,
    secret: &[u8],
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO credential_totp (credential_id, secret) VALUES ($1, $2)
         ON CONFLICT (credential_id) DO UPDATE
             SET secret = EXCLUDED.secret, created_at = now(), last_used_step = NULL
             WHERE credential_totp.enabled_at IS NULL",
    )
    .bind(credential_id)
    .bind(seal.seal(credential_id, secret))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Switches the factor on; `step` is the step of the code that proved it.
pub async fn enable(db: impl PgExecutor<'_>, credential_id: Uuid, step: i64) -> StoreResult<()> {
    sqlx::query(
        "WITH t AS (UPDATE credential_totp SET enabled_at = now(), last_used_step = $2 WHERE credential_id = $1)
         DELETE FROM second_factor_attempts WHERE credential_id = $1",
    )
    .bind(credential_id)
    .bind(step)
    .execute(db)
    .await?;
    Ok(())
}

/// A right code: remembers its step (a TOTP code; `None` for a recovery code) and clears the
/// count of wrong ones.
pub async fn record_success(db: impl PgExecutor<'_>, credential_id: Uuid, step: Option<i64>) -> StoreResult<()> {
    sqlx::query(
        "WITH t AS (UPDATE credential_totp SET last_used_step = COALESCE($2, last_used_step) WHERE credential_id = $1)
         DELETE FROM second_factor_attempts WHERE credential_id = $1",
    )
    .bind(credential_id)
    .bind(step)
    .execute(db)
    .await?;
    Ok(())
}

/// A wrong (or replayed) code, or a refused passkey: counts it; at `max_failures` the factor is locked for
/// `lock_secs` and the count starts again. Returns whether it is now locked.
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    credential_id: Uuid,
    max_failures: i32,
    lock_secs: i64,
) -> StoreResult<bool> {
    let locked: Option<bool> = sqlx::query_scalar(
        "INSERT INTO second_factor_attempts AS a (credential_id, failed_attempts, locked_until)
         VALUES ($1, CASE WHEN 1 >= $2 THEN 0 ELSE 1 END,
                 CASE WHEN 1 >= $2 THEN now() + make_interval(secs => $3) END)
         ON CONFLICT (credential_id) DO UPDATE
         SET failed_attempts = CASE WHEN a.failed_attempts + 1 >= $2 THEN 0 ELSE a.failed_attempts + 1 END,
             locked_until = CASE WHEN a.failed_attempts + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE a.locked_until END
         RETURNING a.locked_until IS NOT NULL AND a.locked_until > now()",
    )
    .bind(credential_id)
    .bind(max_failures)
    .bind(lock_secs as f64)
    .fetch_optional(db)
    .await?;
    Ok(locked.unwrap_or(false))
}

/// Turns TOTP off: the secret and the recovery codes are deleted (passkeys stay).
pub async fn delete(db: &mut sqlx::PgConnection, credential_id: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE credential_id = $1").bind(credential_id).execute(&mut *db).await?;
    sqlx::query("DELETE FROM credential_totp WHERE credential_id = $1").bind(credential_id).execute(&mut *db).await?;
    Ok(())
}

/// Replaces every recovery code of `credential_id` with `hashes`.
pub async fn replace_recovery_codes(
    db: &mut sqlx::PgConnection,
    credential_id: Uuid,
    hashes: &[[u8; 32]],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE credential_id = $1").bind(credential_id).execute(&mut *db).await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (credential_id, code_hash) VALUES ($1, $2)")
            .bind(credential_id)
            .bind(h.as_slice())
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// What presenting a recovery code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryUse {
    /// It was unused; it is used now.
    Used,
    /// It was used before.
    AlreadyUsed,
    /// No such code.
    Unknown,
}

/// Uses the recovery code hashed `hash` of `credential_id`, once.
pub async fn use_recovery_code(
    db: &mut sqlx::PgConnection,
    credential_id: Uuid,
    hash: &[u8; 32],
) -> StoreResult<RecoveryUse> {
    let used: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("SELECT used_at FROM recovery_codes WHERE credential_id = $1 AND code_hash = $2 FOR UPDATE")
            .bind(credential_id)
            .bind(hash.as_slice())
            .fetch_optional(&mut *db)
            .await?;
    match used {
        None => Ok(RecoveryUse::Unknown),
        Some(Some(_)) => Ok(RecoveryUse::AlreadyUsed),
        Some(None) => {
            sqlx::query("UPDATE recovery_codes SET used_at = now() WHERE credential_id = $1 AND code_hash = $2")
                .bind(credential_id)
                .bind(hash.as_slice())
                .execute(&mut *db)
                .await?;
            Ok(RecoveryUse::Used)
        }
    }
}

/// Unused recovery codes of `credential_id`.
pub async fn recovery_codes_left(db: impl PgExecutor<'_>, credential_id: Uuid) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE credential_id = $1 AND used_at IS NULL")
        .bind(credential_id)
        .fetch_one(db)
        .await?)
}

/// Stores a login challenge.
pub async fn insert_challenge(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
    credential_id: Uuid,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO login_challenges (token_hash, credential_id, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash.as_slice())
        .bind(credential_id)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The credential of a live (unused, unexpired) challenge, locked for update.
pub async fn lock_live_challenge(db: impl PgExecutor<'_>, token_hash: &[u8; 32]) -> StoreResult<Option<Uuid>> {
    let row = sqlx::query(
        "SELECT credential_id FROM login_challenges
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() FOR UPDATE",
    )
    .bind(token_hash.as_slice())
    .fetch_optional(db)
    .await?;
    row.map(|r| r.try_get("credential_id").map_err(Into::into)).transpose()
}

/// Keeps a started passkey sign-in's state on its (live) challenge, replacing an earlier one.
pub async fn set_passkey_state(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
    state: &serde_json::Value,
) -> StoreResult<()> {
    sqlx::query("UPDATE login_challenges SET passkey_state = $2 WHERE token_hash = $1")
        .bind(token_hash.as_slice())
        .bind(state)
        .execute(db)
        .await?;
    Ok(())
}

/// The started passkey sign-in of a challenge (locked by [`lock_live_challenge`] before).
pub async fn passkey_state(db: impl PgExecutor<'_>, token_hash: &[u8; 32]) -> StoreResult<Option<serde_json::Value>> {
    Ok(sqlx::query_scalar("SELECT passkey_state FROM login_challenges WHERE token_hash = $1")
        .bind(token_hash.as_slice())
        .fetch_optional(db)
        .await?
        .flatten())
}

/// Marks a challenge used.
pub async fn use_challenge(db: impl PgExecutor<'_>, token_hash: &[u8; 32]) -> StoreResult<()> {
    sqlx::query("UPDATE login_challenges SET used_at = now() WHERE token_hash = $1")
        .bind(token_hash.as_slice())
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_credential_and_key() {
        let seal = SecretSeal::from_key_material(&[7u8; 32]);
        let (id, other) = (Uuid::now_v7(), Uuid::now_v7());
        let secret = [42u8; 20];
        let sealed = seal.seal(id, &secret);
        assert_eq!(sealed.len(), SEALED_LEN);
        assert_ne!(sealed, seal.seal(id, &secret), "a fresh nonce each time");
        assert_eq!(seal.open(id, &sealed).unwrap(), secret);
        assert!(seal.open(other, &sealed).is_err(), "bound to the credential");
        assert!(SecretSeal::from_key_material(&[8u8; 32]).open(id, &sealed).is_err(), "and to the key");
        let mut flipped = sealed;
        flipped[20] ^= 1;
        assert!(seal.open(id, &flipped).is_err());
        assert_eq!(seal.open(id, &secret).unwrap(), secret, "a secret stored before sealing is read as is");
        assert!(seal.open(id, &[1u8; 30]).is_err());
    }
}
