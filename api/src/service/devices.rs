//! A patient's devices (docs/devices.md): pairing a new device from one that holds the keys —
//! the new device's public key and the code committing to it, the lookup by code (wrong codes
//! counted per account and locked at [`MAX_WRONG_CODES`]), the keys sealed to it (stored as
//! given, opaque here) and fetched once by the pairing's own session — and the list and
//! removal, which ends the device's sessions. Every refusal is audited and changes nothing but
//! the count of wrong codes.

use chrono::{DateTime, Duration, Utc};
use pramana_core::X25519PublicKey;
use pramana_core::pairing;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Actor, ServiceError, ServiceResult, conflict_as};
use crate::auth::Role;
use pramana_server::notifications::{Kind, notify};
use pramana_server::store::audit::{Outcome, insert_audit_event};
use pramana_server::store::devices::{self as store, DeviceRow, NewPairing, PairingRow};
use pramana_server::store::{self as db};

/// How long a pairing code works.
pub const PAIRING_TTL_MINUTES: i64 = 10;
/// Wrong codes in a row, per account, that lock the lookup.
pub const MAX_WRONG_CODES: i32 = 5;
/// How long the lookup stays locked.
pub const LOCK_SECS: i64 = 300;
/// Longest device name.
pub const MAX_NAME_CHARS: usize = 80;

/// The lookup is locked after too many wrong codes: retry after this many seconds.
#[derive(Debug, Clone, Copy)]
pub struct Locked(pub u64);

/// A short name for a device from its `User-Agent`: "Chrome on Android", "Firefox on Windows";
/// "Unknown device" when there is nothing to go by.
pub fn name_from_user_agent(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|u| !u.is_empty()) else {
        return "Unknown device".to_owned();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("pramana", "Pramana CLI"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => o.to_owned(),
        (None, None) => {
            let short: String = ua.chars().filter(|c| !c.is_control()).take(40).collect();
            if short.trim().is_empty() { "Unknown device".to_owned() } else { short.trim().to_owned() }
        }
    }
}

/// A name the person gave a device, trimmed: 1 to 80 printable characters.
pub fn check_name(raw: &str) -> ServiceResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ServiceError::invalid_field("name", format!("must be 1 to {MAX_NAME_CHARS} printable characters")));
    }
    Ok(name.to_owned())
}

/// Records a refusal (`details.reason`) in the caller's transaction, commits it, and returns
/// `err`: nothing else the transaction did is kept except what the caller wrote on purpose
/// (the count of wrong codes).
async fn deny(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    actor: &Actor,
    action: &'static str,
    reason: &str,
    pairing: Option<Uuid>,
    err: ServiceError,
) -> ServiceResult<ServiceError> {
    let mut event = actor.event(action, Outcome::Denied).patient(actor.id).details(json!({"reason": reason}));
    if let Some(id) = pairing {
        event = event.target("device_pairing", id);
    }
    insert_audit_event(&mut tx, &event).await?;
    db::commit(tx).await?;
    Ok(err)
}

fn expired() -> ServiceError {
    ServiceError::refused("device_code_expired", "this pairing code has expired; start again on the new device")
}

fn used() -> ServiceError {
    ServiceError::conflict(
        "pairing_used",
        "this pairing has already been given the keys; start again on the new device",
    )
}

fn same_device() -> ServiceError {
    ServiceError::conflict(
        "pairing_same_device",
        "enter the code on a device that already has the keys, not on this one",
    )
}

/// The new device (`session_id`, no keys yet) asks to be paired: its public key, and
/// optionally a name for it. The code it gets commits to the key.
pub async fn create_pairing(
    pool: &PgPool,
    actor: &Actor,
    session_id: Uuid,
    public_key: &str,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<PairingRow> {
    actor.require(&[Role::Patient])?;
    let key = X25519PublicKey::parse(public_key).map_err(ServiceError::invalid("public_key"))?;
    let name = name.map(check_name).transpose()?;
    let mut tx = db::begin(pool).await?;
    let Some(device_id) = store::find_device_by_session(&mut *tx, session_id).await? else {
        return Err(ServiceError::conflict("sign_in_again", "this session has no device; sign in again to pair it"));
    };
    if let Some(name) = &name {
        store::mark_device_named(&mut *tx, device_id, name).await?;
    }
    let id = Uuid::now_v7();
    let code = pairing::code_for(&key.0);
    let expires_at = now + Duration::minutes(PAIRING_TTL_MINUTES);
    let new = NewPairing {
        id,
        patient_id: actor.id,
        device_id,
        session_id,
        public_key: &key.0,
        code: &code,
        created_at: now,
        expires_at,
    };
    store::insert_pairing(&mut *tx, &new)
        .await
        .map_err(conflict_as("pairing_exists", "this key already has a pairing; make a new key"))?;
    insert_audit_event(
        &mut tx,
        &actor
            .event("device.pairing.create", Outcome::Ok)
            .patient(actor.id)
            .target("device_pairing", id)
            .details(json!({"device": device_id})),
    )
    .await?;
    let row = store::lock_pairing(&mut tx, actor.id, id)
        .await?
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("pairing vanished")))?;
    db::commit(tx).await?;
    Ok(row)
}

/// A device with the keys (`session_id`) looks a pairing of the same account up by its code.
/// Unknown codes, and other accounts' codes, are `device_code_invalid` (404) and counted; an
/// expired code is `device_code_expired`; a pairing already given keys is `pairing_used`.
pub async fn find_pairing(
    pool: &PgPool,
    actor: &Actor,
    session_id: Uuid,
    typed: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Result<PairingRow, Locked>> {
    const ACTION: &str = "device.pairing.find";
    actor.require(&[Role::Patient])?;
    let mut tx = db::begin(pool).await?;
    let (_, locked_until) = store::lock_code_attempts(&mut tx, actor.id).await?;
    if let Some(until) = locked_until.filter(|u| *u > now) {
        let secs = u64::try_from((until - now).num_seconds()).unwrap_or(0).max(1);
        deny(tx, actor, ACTION, "locked", None, ServiceError::NotFound).await?;
        return Ok(Err(Locked(secs)));
    }
    let found = match pairing::normalize_code(typed) {
        Some(code) => store::lock_pairing_by_code(&mut tx, actor.id, &code).await?,
        None => None,
    };
    let Some(p) = found else {
        store::mark_code_failed(&mut *tx, actor.id, MAX_WRONG_CODES, now + Duration::seconds(LOCK_SECS)).await?;
        let err = ServiceError::Missing {
            code: "device_code_invalid",
            message: "no pairing of this account has that code; check it on the new device".into(),
        };
        return Err(deny(tx, actor, ACTION, "device_code_invalid", None, err).await?);
    };
    if let Some(err) = refusal(&p, session_id, now) {
        let reason = refusal_code(&err);
        return Err(deny(tx, actor, ACTION, reason, Some(p.id), err).await?);
    }
    store::mark_code_succeeded(&mut *tx, actor.id).await?;
    insert_audit_event(
        &mut tx,
        &actor
            .event(ACTION, Outcome::Ok)
            .patient(actor.id)
            .target("device_pairing", p.id)
            .details(json!({"device": p.device_id})),
    )
    .await?;
    db::commit(tx).await?;
    Ok(Ok(p))
}

/// Why pairing `p` may not be given keys by `session_id` now, if it may not.
fn refusal(p: &PairingRow, session_id: Uuid, now: DateTime<Utc>) -> Option<ServiceError> {
    if p.sealed_at.is_some() {
        Some(used())
    } else if p.expires_at <= now {
        Some(expired())
    } else if p.session_id == session_id {
        Some(same_device())
    } else {
        None
    }
}

fn refusal_code(err: &ServiceError) -> &'static str {
    match err {
        ServiceError::Refused { code, .. }
        | ServiceError::Conflict { code, .. }
        | ServiceError::Missing { code, .. } => code,
        _ => "refused",
    }
}

/// A device with the keys (`session_id`) stores them sealed to pairing `id`'s public key; the
/// `new_device` notification is written in the same transaction.
pub async fn seal_pairing(
    pool: &PgPool,
    actor: &Actor,
    session_id: Uuid,
    id: Uuid,
    sealed_hex: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    const ACTION: &str = "device.pairing.seal";
    actor.require(&[Role::Patient])?;
    let sealed = hex::decode(sealed_hex.trim())
        .ok()
        .filter(|b| pairing::is_seal_len(b.len()))
        .ok_or_else(|| ServiceError::invalid_field("sealed", "not a sealed pairing payload (hex of the HPKE seal)"))?;
    let mut tx = db::begin(pool).await?;
    let Some(p) = store::lock_pairing(&mut tx, actor.id, id).await? else {
        return Err(deny(tx, actor, ACTION, "not_found", None, ServiceError::NotFound).await?);
    };
    if let Some(err) = refusal(&p, session_id, now) {
        let reason = refusal_code(&err);
        return Err(deny(tx, actor, ACTION, reason, Some(p.id), err).await?);
    }
    let by = store::find_device_by_session(&mut *tx, session_id).await?;
    store::mark_pairing_sealed(&mut *tx, p.id, &sealed, by, now).await?;
    notify(&mut tx, actor.id, Kind::NewDevice, Some(p.device_id), None, now).await?;
    insert_audit_event(
        &mut tx,
        &actor
            .event(ACTION, Outcome::Ok)
            .patient(actor.id)
            .target("device_pairing", p.id)
            .details(json!({"device": p.device_id, "sealed_by": by})),
    )
    .await?;
    db::commit(tx).await?;
    Ok(())
}

/// What the new device's poll finds.
#[derive(Debug, Clone)]
pub enum PairingState {
    /// No keys yet.
    Waiting,
    /// The sealed keys, given now and deleted.
    Sealed(Vec<u8>),
    /// Given already.
    Fetched,
    /// The code expired with no keys sealed.
    Expired,
}

/// The new device's poll of its own pairing: only the session that made it sees it (any other
/// is `NotFound`); the sealed keys are given once and then deleted.
pub async fn fetch_pairing(
    pool: &PgPool,
    actor: &Actor,
    session_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<(PairingRow, PairingState)> {
    actor.require(&[Role::Patient])?;
    let mut tx = db::begin(pool).await?;
    let p = match store::lock_pairing(&mut tx, actor.id, id).await? {
        Some(p) if p.session_id == session_id => p,
        other => {
            let target = other.map(|p| p.id);
            return Err(
                deny(tx, actor, "device.pairing.fetch", "not_own_session", target, ServiceError::NotFound).await?
            );
        }
    };
    let state = match (&p.sealed, p.fetched_at) {
        (_, Some(_)) => PairingState::Fetched,
        (Some(sealed), None) => {
            store::mark_pairing_fetched(&mut *tx, p.id, now).await?;
            insert_audit_event(
                &mut tx,
                &actor.event("device.pairing.fetch", Outcome::Ok).patient(actor.id).target("device_pairing", p.id),
            )
            .await?;
            PairingState::Sealed(sealed.clone())
        }
        (None, None) if p.expires_at <= now => PairingState::Expired,
        (None, None) => PairingState::Waiting,
    };
    db::commit(tx).await?;
    Ok((p, state))
}

/// The patient's signed-in devices, each with whether it is `session_id`'s.
pub async fn list(pool: &PgPool, actor: &Actor, session_id: Uuid) -> ServiceResult<Vec<(DeviceRow, bool)>> {
    actor.require(&[Role::Patient])?;
    let current = store::find_device_by_session(pool, session_id).await?;
    let rows = store::find_devices_by_patient(pool, actor.id).await?;
    Ok(rows
        .into_iter()
        .map(|d| {
            let is_current = Some(d.id) == current;
            (d, is_current)
        })
        .collect())
}

/// Removes one of the patient's devices: its sessions end at once (its access and refresh
/// tokens stop working) and its unfinished pairings are deleted. Keys it saved stay on it.
pub async fn remove(pool: &PgPool, actor: &Actor, device_id: Uuid, now: DateTime<Utc>) -> ServiceResult<()> {
    actor.require(&[Role::Patient])?;
    let mut tx = db::begin(pool).await?;
    if store::lock_device(&mut tx, actor.id, device_id).await?.is_none() {
        return Err(deny(tx, actor, "device.remove", "not_found", None, ServiceError::NotFound).await?);
    }
    let ended = store::mark_device_removed(&mut tx, device_id, now).await?;
    insert_audit_event(
        &mut tx,
        &actor
            .event("device.remove", Outcome::Ok)
            .patient(actor.id)
            .target("device", device_id)
            .details(json!({"sessions_ended": ended})),
    )
    .await?;
    db::commit(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_from_the_user_agent() {
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(name_from_user_agent(Some(android)), "Chrome on Android");
        let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(name_from_user_agent(Some(firefox)), "Firefox on Windows");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(name_from_user_agent(Some(iphone)), "Safari on iPhone");
        assert_eq!(name_from_user_agent(Some("reqwest")), "reqwest");
        assert_eq!(name_from_user_agent(None), "Unknown device");
        assert_eq!(name_from_user_agent(Some("  ")), "Unknown device");
        assert!(name_from_user_agent(Some(&"x".repeat(500))).chars().count() <= 40);
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name(" Asha's phone ").unwrap(), "Asha's phone");
        assert!(check_name("").is_err() && check_name("a\nb").is_err() && check_name(&"a".repeat(81)).is_err());
    }
}
