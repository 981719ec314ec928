//! `patient_emails`, `notifications`, `notification_preferences` and `mail_outbox`: a patient's
//! email address and its verification, their in-portal notifications, which kinds they get by
//! email, and the outbox of mail the worker delivers over SMTP.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// A patient's email address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailRow {
    /// The address as entered (trimmed).
    pub email: String,
    /// When the patient proved they read it; `None` until then.
    pub verified_at: Option<DateTime<Utc>>,
    /// SHA-256 of the pending code, if one is pending.
    pub code_sha256: Option<Vec<u8>>,
    /// When the pending code stops working.
    pub code_expires_at: Option<DateTime<Utc>>,
    /// Wrong codes entered against the pending code.
    pub code_attempts: i32,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The patient's address, if any.
pub async fn find_email_by_patient(exec: impl PgExecutor<'_>, patient_id: Uuid) -> StoreResult<Option<EmailRow>> {
    Ok(sqlx::query_as(
        "SELECT email, verified_at, code_sha256, code_expires_at, code_attempts, updated_at
         FROM patient_emails WHERE patient_id = $1",
    )
    .bind(patient_id)
    .fetch_optional(exec)
    .await?)
}

/// The patient's address with its row locked (call inside a transaction).
pub async fn lock_email_by_patient(conn: &mut PgConnection, patient_id: Uuid) -> StoreResult<Option<EmailRow>> {
    Ok(sqlx::query_as(
        "SELECT email, verified_at, code_sha256, code_expires_at, code_attempts, updated_at
         FROM patient_emails WHERE patient_id = $1 FOR UPDATE",
    )
    .bind(patient_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Sets the address (unverified) with a new pending code, replacing any earlier address.
pub async fn upsert_email_with_code(
    conn: &mut PgConnection,
    patient_id: Uuid,
    email: &str,
    code_sha256: &[u8; 32],
    code_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO patient_emails (patient_id, email, verified_at, code_sha256, code_expires_at, code_attempts, updated_at)
         VALUES ($1, $2, NULL, $3, $4, 0, $5)
         ON CONFLICT (patient_id) DO UPDATE SET email = EXCLUDED.email, verified_at = NULL,
             code_sha256 = EXCLUDED.code_sha256, code_expires_at = EXCLUDED.code_expires_at,
             code_attempts = 0, updated_at = EXCLUDED.updated_at",
    )
    .bind(patient_id)
    .bind(email)
    .bind(&code_sha256[..])
    .bind(code_expires_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Counts one wrong code against the pending code.
pub async fn mark_code_attempt(conn: &mut PgConnection, patient_id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE patient_emails SET code_attempts = code_attempts + 1 WHERE patient_id = $1")
        .bind(patient_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks the address verified and drops the code.
pub async fn mark_email_verified(conn: &mut PgConnection, patient_id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE patient_emails SET verified_at = $2, code_sha256 = NULL, code_expires_at = NULL,
             code_attempts = 0, updated_at = $2
         WHERE patient_id = $1",
    )
    .bind(patient_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes the patient's address (no more mail).
pub async fn delete_email(exec: impl PgExecutor<'_>, patient_id: Uuid) -> StoreResult<bool> {
    Ok(sqlx::query("DELETE FROM patient_emails WHERE patient_id = $1")
        .bind(patient_id)
        .execute(exec)
        .await?
        .rows_affected()
        > 0)
}

/// Mails of `kind` queued for the patient since `since` (the rate limits on sending codes).
pub async fn count_mails_since(
    exec: impl PgExecutor<'_>,
    patient_id: Uuid,
    kind: &str,
    since: DateTime<Utc>,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM mail_outbox WHERE patient_id = $1 AND kind = $2 AND created_at > $3")
        .bind(patient_id)
        .bind(kind)
        .bind(since)
        .fetch_one(exec)
        .await?)
}

/// A notification as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    /// Id (UUIDv7: ordered by creation).
    pub id: Uuid,
    /// Whose it is.
    pub patient_id: Uuid,
    /// Its kind (`consent_requested`, ...).
    pub kind: String,
    /// The consent, document or hospital it is about.
    pub subject_id: Option<Uuid>,
    /// The hospital involved, by name.
    pub hospital_name: Option<String>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// When the patient read it.
    pub read_at: Option<DateTime<Utc>>,
}

/// Inserts a notification; `false` when a once-only kind already exists for this subject.
pub async fn insert_notification(conn: &mut PgConnection, row: &NotificationRow) -> StoreResult<bool> {
    Ok(sqlx::query(
        "INSERT INTO notifications (id, patient_id, kind, subject_id, hospital_name, created_at, read_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL)
         ON CONFLICT (patient_id, kind, subject_id) WHERE kind IN ('grant_expiring', 'first_access') DO NOTHING",
    )
    .bind(row.id)
    .bind(row.patient_id)
    .bind(&row.kind)
    .bind(row.subject_id)
    .bind(&row.hospital_name)
    .bind(row.created_at)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0)
}

/// A page of the patient's notifications, newest first, older than notification `before` (an
/// id that is not theirs matches nothing older: an empty page).
pub async fn find_notifications_by_patient(
    exec: impl PgExecutor<'_>,
    patient_id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<NotificationRow>> {
    Ok(sqlx::query_as(
        "SELECT id, patient_id, kind, subject_id, hospital_name, created_at, read_at FROM notifications
         WHERE patient_id = $1 AND ($2::uuid IS NULL OR (created_at, id) <
               (SELECT b.created_at, b.id FROM notifications b WHERE b.id = $2 AND b.patient_id = $1))
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(patient_id)
    .bind(before)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}

/// One notification of the patient's (anyone else's is `None`).
pub async fn find_notification(
    exec: impl PgExecutor<'_>,
    patient_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<NotificationRow>> {
    Ok(sqlx::query_as(
        "SELECT id, patient_id, kind, subject_id, hospital_name, created_at, read_at FROM notifications
         WHERE patient_id = $1 AND id = $2",
    )
    .bind(patient_id)
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The patient's unread notifications.
pub async fn count_unread(exec: impl PgExecutor<'_>, patient_id: Uuid) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM notifications WHERE patient_id = $1 AND read_at IS NULL")
        .bind(patient_id)
        .fetch_one(exec)
        .await?)
}

/// Marks one of the patient's notifications read; `false` if it is not theirs (or not there).
pub async fn mark_read(exec: impl PgExecutor<'_>, patient_id: Uuid, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
    Ok(sqlx::query("UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE patient_id = $1 AND id = $2")
        .bind(patient_id)
        .bind(id)
        .bind(now)
        .execute(exec)
        .await?
        .rows_affected()
        > 0)
}

/// Marks all the patient's notifications read; how many were unread.
pub async fn mark_all_read(exec: impl PgExecutor<'_>, patient_id: Uuid, now: DateTime<Utc>) -> StoreResult<u64> {
    Ok(sqlx::query("UPDATE notifications SET read_at = $2 WHERE patient_id = $1 AND read_at IS NULL")
        .bind(patient_id)
        .bind(now)
        .execute(exec)
        .await?
        .rows_affected())
}

/// The kinds the patient switched email off for.
pub async fn find_email_off_kinds(exec: impl PgExecutor<'_>, patient_id: Uuid) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT kind FROM notification_preferences WHERE patient_id = $1 AND NOT email")
        .bind(patient_id)
        .fetch_all(exec)
        .await?)
}

/// Sets whether a kind is mailed.
pub async fn upsert_preference(conn: &mut PgConnection, patient_id: Uuid, kind: &str, email: bool) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO notification_preferences (patient_id, kind, email) VALUES ($1, $2, $3)
         ON CONFLICT (patient_id, kind) DO UPDATE SET email = EXCLUDED.email",
    )
    .bind(patient_id)
    .bind(kind)
    .bind(email)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Where a notification of this kind is mailed: the patient's verified address, unless they
/// switched the kind off.
pub async fn find_mail_target(conn: &mut PgConnection, patient_id: Uuid, kind: &str) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT e.email FROM patient_emails e
         WHERE e.patient_id = $1 AND e.verified_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM notification_preferences p
                           WHERE p.patient_id = $1 AND p.kind = $2 AND NOT p.email)",
    )
    .bind(patient_id)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?)
}

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    /// Id.
    pub id: Uuid,
    /// The patient it goes to.
    pub patient_id: Uuid,
    /// The notification it tells of, if any.
    pub notification_id: Option<Uuid>,
    /// The notification kind, or `email_verification`.
    pub kind: &'a str,
    /// Recipient.
    pub to_address: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub body: &'a str,
    /// When queued (and first due).
    pub now: DateTime<Utc>,
}

/// Queues a mail (call inside the transaction of the event).
pub async fn insert_mail(conn: &mut PgConnection, m: &NewMail<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO mail_outbox (id, patient_id, notification_id, kind, to_address, subject, body, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(m.id)
    .bind(m.patient_id)
    .bind(m.notification_id)
    .bind(m.kind)
    .bind(m.to_address)
    .bind(m.subject)
    .bind(m.body)
    .bind(m.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A mail claimed for one delivery attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedMail {
    /// Id (also the Message-ID's local part, so a receiver can deduplicate).
    pub id: Uuid,
    /// Recipient.
    pub to_address: String,
    /// Subject line.
    pub subject: String,
    /// Body.
    pub body: String,
    /// This attempt's number (1 for the first).
    pub attempts: i32,
}

/// Claims up to `limit` mails due by `now` and pushes each one's next attempt `lease_secs` ahead,
/// so a worker that dies mid-way leaves it to be retried, not lost.
pub async fn claim_next_mails(
    exec: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    lease_secs: f64,
    limit: i64,
) -> StoreResult<Vec<ClaimedMail>> {
    Ok(sqlx::query_as(
        "UPDATE mail_outbox m SET attempts = m.attempts + 1,
             next_attempt_at = $1 + make_interval(secs => $2)
         FROM (SELECT id FROM mail_outbox WHERE state = 'pending' AND next_attempt_at <= $1
               ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
         WHERE m.id = due.id
         RETURNING m.id, m.to_address, m.subject, m.body, m.attempts",
    )
    .bind(now)
    .bind(lease_secs)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}

/// Records a delivered mail (a verification mail's code is dropped from the body).
pub async fn mark_mail_delivered(exec: impl PgExecutor<'_>, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE mail_outbox SET state = 'delivered', delivered_at = $2, last_error = NULL,
             body = CASE WHEN kind = 'email_verification' THEN '' ELSE body END
         WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(exec)
    .await?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or given up when `None`.
pub async fn mark_mail_failed(
    exec: impl PgExecutor<'_>,
    id: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE mail_outbox SET last_error = $2,
             state = CASE WHEN $3::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
             next_attempt_at = COALESCE($3, next_attempt_at)
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_at)
    .execute(exec)
    .await?;
    Ok(())
}

/// Live grants (by consent id, patient and hospital name) that end between `now` and `until`
/// and have no `grant_expiring` notification yet.
pub async fn find_expiring_grants_without_notification(
    exec: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<(Uuid, Uuid, String)>> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.patient_id, h.name FROM consents c JOIN hospitals h ON h.id = c.hospital_id
         WHERE c.status = 'GRANTED' AND c.grant_signature IS NOT NULL
           AND c.data_erase_at > $1 AND c.data_erase_at <= $2
           AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.patient_id = c.patient_id
                           AND n.kind = 'grant_expiring' AND n.subject_id = c.id)
         ORDER BY c.data_erase_at LIMIT $3",
    )
    .bind(now)
    .bind(until)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}

/// A hospital's name.
pub async fn find_hospital_name(exec: impl PgExecutor<'_>, hospital_id: Uuid) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT name FROM hospitals WHERE id = $1").bind(hospital_id).fetch_optional(exec).await?)
}
