//! A patient's notifications (docs/notifications.md): the email address and its verification by
//! a one-time code, the in-portal list and unread count, and the per-kind email switches. The
//! notifications themselves are written by the events that cause them
//! (`pramana_server::notifications::notify`).

use chrono::{DateTime, Utc};
use rand::Rng as _;
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::{Actor, ServiceError, ServiceResult};
use crate::auth::Role;
use pramana_server::notifications::{Kind, queue_verification_mail};
use pramana_server::store::audit::{Outcome, insert_audit_event};
use pramana_server::store::notifications::{self as store, EmailRow, NotificationRow};
use pramana_server::store::{self as db};

/// How long a verification code works.
pub const CODE_VALID_MINUTES: i64 = 15;
/// Wrong codes allowed against one code; after that it is void.
pub const CODE_MAX_ATTEMPTS: i32 = 5;
/// Verification mails one patient may have sent per hour.
pub const CODES_PER_HOUR: i64 = 5;

/// Why a code send was not queued: too many in the last hour (retry after this many seconds).
#[derive(Debug, Clone, Copy)]
pub struct TooManyCodes(pub u64);

/// A valid-looking email address, trimmed; `invalid_email` otherwise.
pub fn check_email(raw: &str) -> ServiceResult<String> {
    let e = raw.trim();
    let bad = || ServiceError::invalid_field("email", "not an email address (name@domain)");
    if e.len() < 3 || e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>') {
        return Err(bad());
    }
    let (local, domain) = e.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain.contains('.') {
        return Err(bad());
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(bad());
    }
    Ok(e.to_owned())
}

fn code_hash(code: &str) -> [u8; 32] {
    Sha256::digest(code.as_bytes()).into()
}

/// The patient's address.
pub async fn email(pool: &PgPool, actor: &Actor) -> ServiceResult<Option<EmailRow>> {
    actor.require(&[Role::Patient])?;
    Ok(store::find_email_by_patient(pool, actor.id).await?)
}

/// Sets the address (unverified) and queues a mail with a new code, in one transaction.
pub async fn set_email(
    pool: &PgPool,
    actor: &Actor,
    raw: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Result<(), TooManyCodes>> {
    actor.require(&[Role::Patient])?;
    let email = check_email(raw)?;
    let mut tx = db::begin(pool).await?;
    // Serialise a patient's sends, so the hourly count cannot be raced past.
    let _ = store::lock_email_by_patient(&mut tx, actor.id).await?;
    let sent =
        store::count_mails_since(&mut *tx, actor.id, "email_verification", now - chrono::Duration::hours(1)).await?;
    if sent >= CODES_PER_HOUR {
        return Ok(Err(TooManyCodes(3600)));
    }
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    let expires = now + chrono::Duration::minutes(CODE_VALID_MINUTES);
    store::upsert_email_with_code(&mut tx, actor.id, &email, &code_hash(&code), expires, now).await?;
    queue_verification_mail(&mut tx, actor.id, &email, &code, CODE_VALID_MINUTES, now).await?;
    insert_audit_event(&mut tx, &actor.event("patient.email.set", Outcome::Ok).patient(actor.id)).await?;
    db::commit(tx).await?;
    Ok(Ok(()))
}

/// Verifies the pending code: `no_code_pending`, `code_expired` (also after too many wrong
/// codes) or `invalid_code` otherwise.
pub async fn verify_email(pool: &PgPool, actor: &Actor, code: &str, now: DateTime<Utc>) -> ServiceResult<()> {
    actor.require(&[Role::Patient])?;
    let mut tx = db::begin(pool).await?;
    let row = store::lock_email_by_patient(&mut tx, actor.id).await?;
    let Some(row) = row else {
        return Err(ServiceError::refused("no_code_pending", "no email address is waiting for verification"));
    };
    let (Some(hash), Some(expires)) = (&row.code_sha256, row.code_expires_at) else {
        return Err(ServiceError::refused("no_code_pending", "no code is pending; ask for a new one"));
    };
    if expires <= now || row.code_attempts >= CODE_MAX_ATTEMPTS {
        return Err(ServiceError::refused("code_expired", "this code has expired; ask for a new one"));
    }
    let code = code.trim();
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    if !well_formed || hash.as_slice() != code_hash(code).as_slice() {
        store::mark_code_attempt(&mut tx, actor.id).await?;
        insert_audit_event(&mut tx, &actor.event("patient.email.verify", Outcome::Denied).patient(actor.id)).await?;
        db::commit(tx).await?;
        return Err(ServiceError::refused("invalid_code", "the code is not the one we sent"));
    }
    store::mark_email_verified(&mut tx, actor.id, now).await?;
    insert_audit_event(&mut tx, &actor.event("patient.email.verify", Outcome::Ok).patient(actor.id)).await?;
    db::commit(tx).await?;
    Ok(())
}

/// Removes the address.
pub async fn delete_email(pool: &PgPool, actor: &Actor) -> ServiceResult<()> {
    actor.require(&[Role::Patient])?;
    let mut tx = db::begin(pool).await?;
    store::delete_email(&mut *tx, actor.id).await?;
    insert_audit_event(&mut tx, &actor.event("patient.email.delete", Outcome::Ok).patient(actor.id)).await?;
    db::commit(tx).await?;
    Ok(())
}

/// A page of the caller's notifications, newest first.
pub async fn list(
    pool: &PgPool,
    actor: &Actor,
    before: Option<Uuid>,
    limit: i64,
) -> ServiceResult<Vec<NotificationRow>> {
    actor.require(&[Role::Patient])?;
    Ok(store::find_notifications_by_patient(pool, actor.id, before, limit).await?)
}

/// The caller's unread count.
pub async fn unread(pool: &PgPool, actor: &Actor) -> ServiceResult<i64> {
    actor.require(&[Role::Patient])?;
    Ok(store::count_unread(pool, actor.id).await?)
}

/// Marks one of the caller's notifications read; another patient's is `NotFound`.
pub async fn mark_read(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<NotificationRow> {
    actor.require(&[Role::Patient])?;
    if !store::mark_read(pool, actor.id, id, now).await? {
        return Err(ServiceError::NotFound);
    }
    store::find_notification(pool, actor.id, id).await?.ok_or(ServiceError::NotFound)
}

/// Marks all the caller's notifications read.
pub async fn mark_all_read(pool: &PgPool, actor: &Actor, now: DateTime<Utc>) -> ServiceResult<u64> {
    actor.require(&[Role::Patient])?;
    Ok(store::mark_all_read(pool, actor.id, now).await?)
}

/// Kind → mailed, for every kind.
pub async fn preferences(pool: &PgPool, actor: &Actor) -> ServiceResult<Vec<(Kind, bool)>> {
    actor.require(&[Role::Patient])?;
    let off = store::find_email_off_kinds(pool, actor.id).await?;
    Ok(Kind::ALL.into_iter().map(|k| (k, !off.iter().any(|o| o == k.as_str()))).collect())
}

/// Sets switches; an unknown kind is `invalid_kind` and nothing changes.
pub async fn set_preferences(pool: &PgPool, actor: &Actor, changes: &[(String, bool)]) -> ServiceResult<()> {
    actor.require(&[Role::Patient])?;
    let mut parsed = Vec::with_capacity(changes.len());
    for (name, on) in changes {
        let kind = Kind::parse(name)
            .ok_or_else(|| ServiceError::refused("invalid_kind", format!("unknown notification kind {name:?}")))?;
        parsed.push((kind, *on));
    }
    let mut tx = db::begin(pool).await?;
    for (kind, on) in parsed {
        store::upsert_preference(&mut tx, actor.id, kind.as_str(), on).await?;
    }
    db::commit(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_checked() {
        assert_eq!(check_email(" a@b.in ").unwrap(), "a@b.in");
        for bad in ["", "a", "a@b", "@b.in", "a b@c.in", "a@.in", "a@b..in", "<a@b.in>", "a@b.in.", "a\n@b.in"] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }
}
