//! `audit_log`: the append-only, hash-chained record of every security-relevant event.
//!
//! `hash = SHA-256("pramana/audit/v1" ‖ prev_hash ‖ fields)`, where `fields` is every column but
//! the two hashes, each as a 4-byte big-endian length and its bytes (absent values as the length
//! `0xFFFF_FFFF`): `seq` (8 bytes BE), `at` (microseconds since the Unix epoch, 8 bytes BE),
//! `actor_role`, `actor_id` (16 bytes), `action`, `outcome`, `subject_patient_id`, `target`,
//! `request_id`, `details` (JSON with object keys sorted, no whitespace). The first row's
//! `prev_hash` is 32 zero bytes. Appends are serialised by a transaction-scoped advisory lock.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::StoreResult;

/// Advisory-lock key that serialises appends ("audit" in ASCII).
const AUDIT_LOCK_KEY: i64 = 0x0061_7564_6974;
const DOMAIN: &[u8] = b"pramana/audit/v1";

/// Whether the audited action was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It happened.
    Ok,
    /// It was refused.
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
        }
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// `patient`, `hospital`, `auditor`, `admin`, `anonymous` or `system`.
    pub actor_role: &'static str,
    /// Who acted, when known.
    pub actor_id: Option<Uuid>,
    /// Dotted verb, e.g. `patient.register`.
    pub action: &'static str,
    /// Allowed or refused.
    pub outcome: Outcome,
    /// The patient whose data this concerns.
    pub subject_patient_id: Option<Uuid>,
    /// What was acted on, e.g. `key:<id>`.
    pub target: Option<String>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Small, non-personal details.
    pub details: Value,
}

/// A stored audit row.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// When it was recorded (microsecond precision).
    pub at: DateTime<Utc>,
    /// Role of the actor.
    pub actor_role: String,
    /// Actor id.
    pub actor_id: Option<Uuid>,
    /// Dotted verb.
    pub action: String,
    /// `ok` or `denied`.
    pub outcome: String,
    /// The patient concerned.
    pub subject_patient_id: Option<Uuid>,
    /// What was acted on.
    pub target: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Details.
    pub details: Value,
    /// Hash of the previous row (hex in JSON).
    #[serde(serialize_with = "hex_bytes")]
    pub prev_hash: Vec<u8>,
    /// This row's hash (hex in JSON).
    #[serde(serialize_with = "hex_bytes")]
    pub hash: Vec<u8>,
}

fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

/// Result of walking the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Rows checked.
    pub checked: u64,
    /// The first row whose hash, link or position does not verify; `None` when intact.
    pub first_broken_seq: Option<i64>,
}

/// Appends an event inside the caller's transaction; returns its `seq`.
pub async fn insert_audit_event(conn: &mut PgConnection, event: &AuditEvent) -> StoreResult<i64> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_LOCK_KEY).execute(&mut *conn).await?;
    let last: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let (seq, prev_hash) = last.map_or((1, vec![0; 32]), |(s, h)| (s + 1, h));
    let row = AuditRow {
        seq,
        at: Utc::now().trunc_subsecs(6),
        actor_role: event.actor_role.to_owned(),
        actor_id: event.actor_id,
        action: event.action.to_owned(),
        outcome: event.outcome.as_str().to_owned(),
        subject_patient_id: event.subject_patient_id,
        target: event.target.clone(),
        request_id: event.request_id.clone(),
        details: event.details.clone(),
        prev_hash,
        hash: Vec::new(),
    };
    // Hash exactly the values stored: `at` is already truncated to Postgres' microseconds.
    let hash = row_hash(&row);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_role, actor_id, action, outcome, subject_patient_id, target,
                                request_id, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(row.seq)
    .bind(row.at)
    .bind(&row.actor_role)
    .bind(row.actor_id)
    .bind(&row.action)
    .bind(&row.outcome)
    .bind(row.subject_patient_id)
    .bind(&row.target)
    .bind(&row.request_id)
    .bind(&row.details)
    .bind(&row.prev_hash)
    .bind(&hash[..])
    .execute(&mut *conn)
    .await?;
    Ok(seq)
}

/// Appends an event in a transaction of its own.
pub async fn insert_audit_event_now(pool: &PgPool, event: &AuditEvent) -> StoreResult<i64> {
    let mut tx = pool.begin().await?;
    let seq = insert_audit_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(seq)
}

/// A page of events, oldest first, after `after_seq`; only those about `patient` when given.
pub async fn find_audit_page(
    db: impl PgExecutor<'_>,
    patient: Option<Uuid>,
    after_seq: i64,
    limit: i64,
) -> StoreResult<Vec<AuditRow>> {
    Ok(sqlx::query_as(
        "SELECT seq, at, actor_role, actor_id, action, outcome, subject_patient_id, target, request_id, details,
                prev_hash, hash
           FROM audit_log
          WHERE seq > $1 AND ($2::uuid IS NULL OR subject_patient_id = $2)
          ORDER BY seq LIMIT $3",
    )
    .bind(after_seq)
    .bind(patient)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Walks the whole chain, in pages, and reports the first row that does not verify.
pub async fn verify_audit_chain(pool: &PgPool) -> StoreResult<ChainReport> {
    let mut prev_hash = vec![0u8; 32];
    let mut expected_seq = 1i64;
    let mut checked = 0u64;
    loop {
        let page = find_audit_page(pool, None, expected_seq - 1, 1000).await?;
        if page.is_empty() {
            return Ok(ChainReport { checked, first_broken_seq: None });
        }
        for row in page {
            if row.seq != expected_seq || row.prev_hash != prev_hash || row_hash(&row)[..] != row.hash[..] {
                return Ok(ChainReport { checked, first_broken_seq: Some(expected_seq.min(row.seq)) });
            }
            checked += 1;
            expected_seq += 1;
            prev_hash = row.hash;
        }
    }
}

/// The chain hash of a row (its `hash` field is ignored).
pub fn row_hash(row: &AuditRow) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(&row.prev_hash);
    let mut field = |bytes: Option<&[u8]>| match bytes {
        Some(b) => {
            h.update((b.len() as u32).to_be_bytes());
            h.update(b);
        }
        None => h.update(u32::MAX.to_be_bytes()),
    };
    field(Some(&row.seq.to_be_bytes()));
    field(Some(&row.at.timestamp_micros().to_be_bytes()));
    field(Some(row.actor_role.as_bytes()));
    field(row.actor_id.as_ref().map(|u| &u.as_bytes()[..]));
    field(Some(row.action.as_bytes()));
    field(Some(row.outcome.as_bytes()));
    field(row.subject_patient_id.as_ref().map(|u| &u.as_bytes()[..]));
    field(row.target.as_deref().map(str::as_bytes));
    field(row.request_id.as_deref().map(str::as_bytes));
    field(Some(canonical_json(&row.details).as_bytes()));
    h.finalize().into()
}

/// JSON with object keys sorted at every level and no whitespace, whatever map order
/// `serde_json` was built with (Postgres `jsonb` reorders keys).
pub fn canonical_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&map[k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_everywhere() {
        let v = json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": null}});
        assert_eq!(canonical_json(&v), r#"{"a":{"c":null,"z":[1,{"x":3,"y":2}]},"b":1}"#);
    }
}
