//! Notifications to patients (docs/notifications.md): the kinds, and [`notify`], which records
//! one in the portal and — for a patient with a verified email address who has not switched the
//! kind off — queues its mail in the outbox, both in the caller's transaction, so an event and
//! its notification exist together or not at all. The worker delivers the outbox over SMTP.
//!
//! Mail says only what is needed: which kind of thing happened and, where one is involved, the
//! hospital's name; never a document's title or contents, a consent's purpose or record types.
//! The worker adds the link to the portal when it sends.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::StoreResult;
use crate::store::notifications::{self as store, NewMail, NotificationRow};

/// What a notification tells the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A hospital asks for consent.
    ConsentRequested,
    /// A hospital added a document to the patient's record.
    DocumentAdded,
    /// A grant ends within [`EXPIRING_WITHIN_DAYS`] days (once per grant).
    GrantExpiring,
    /// A hospital read one of the patient's documents for the first time.
    FirstAccess,
    /// The patient's ABHA number was verified (in person or through ABDM).
    AbhaVerified,
}

/// How far ahead a grant's end is announced.
pub const EXPIRING_WITHIN_DAYS: i64 = 3;

impl Kind {
    /// Every kind, in the order the portal lists them.
    pub const ALL: [Kind; 5] =
        [Kind::ConsentRequested, Kind::DocumentAdded, Kind::GrantExpiring, Kind::FirstAccess, Kind::AbhaVerified];

    /// The stable name (API and database).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConsentRequested => "consent_requested",
            Self::DocumentAdded => "document_added",
            Self::GrantExpiring => "grant_expiring",
            Self::FirstAccess => "first_access",
            Self::AbhaVerified => "abha_verified",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The mail's subject and first line (English; the portal shows its own words).
    fn mail_text(self, hospital: Option<&str>) -> (&'static str, String) {
        let h = hospital.unwrap_or("A hospital");
        match self {
            Self::ConsentRequested => {
                ("New consent request", format!("{h} asks for your consent to see some of your health records."))
            }
            Self::DocumentAdded => ("New document in your record", format!("{h} added a document to your record.")),
            Self::GrantExpiring => (
                "A consent you gave ends soon",
                format!("Your consent for {h} ends within {EXPIRING_WITHIN_DAYS} days."),
            ),
            Self::FirstAccess => (
                "A hospital opened your records",
                format!("{h} opened one of your documents for the first time, under a consent you gave."),
            ),
            Self::AbhaVerified => ("Your ABHA number is verified", "Your ABHA number is now verified.".to_owned()),
        }
    }
}

/// Records a notification of `kind` for `patient_id` in `conn`'s transaction and queues its
/// mail if the patient gets this kind by email. `false` when a once-only kind (expiring grant,
/// first access) was already recorded for `subject_id`: nothing is written then.
pub async fn notify(
    conn: &mut PgConnection,
    patient_id: Uuid,
    kind: Kind,
    subject_id: Option<Uuid>,
    hospital_name: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let row = NotificationRow {
        id: Uuid::now_v7(),
        patient_id,
        kind: kind.as_str().to_owned(),
        subject_id,
        hospital_name: hospital_name.map(str::to_owned),
        created_at: now,
        read_at: None,
    };
    if !store::insert_notification(conn, &row).await? {
        return Ok(false);
    }
    if let Some(to) = store::find_mail_target(conn, patient_id, kind.as_str()).await? {
        let (subject, line) = kind.mail_text(hospital_name);
        let body = format!("{line}\n\nSign in to the Pramana portal to see it.\n");
        let mail = NewMail {
            id: Uuid::now_v7(),
            patient_id,
            notification_id: Some(row.id),
            kind: kind.as_str(),
            to_address: &to,
            subject,
            body: &body,
            now,
        };
        store::insert_mail(conn, &mail).await?;
    }
    Ok(true)
}

/// Queues the mail carrying an email verification code (in the caller's transaction).
pub async fn queue_verification_mail(
    conn: &mut PgConnection,
    patient_id: Uuid,
    to: &str,
    code: &str,
    valid_minutes: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let body = format!(
        "Your Pramana verification code is {code}\n\nEnter it in the portal's account settings within \
         {valid_minutes} minutes to get notifications at this address. If you did not ask for this, ignore this mail.\n"
    );
    queue_account_mail(conn, patient_id, "email_verification", to, "Your Pramana verification code", &body, now).await
}

/// Queues the mail carrying a password reset code (in the caller's transaction). It says that
/// the code restores sign-in only: keys come back from the recovery kit.
pub async fn queue_password_reset_mail(
    conn: &mut PgConnection,
    patient_id: Uuid,
    to: &str,
    code: &str,
    valid_minutes: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    // Lines under 76 characters: the mail goes out as plain 7-bit text, readable as is.
    let body = format!(
        "Your Pramana password reset code is {code}\n\n\
         Enter it on the portal's \"Forgot your password?\" page within {valid_minutes}\n\
         minutes to choose a new password. A new password lets you sign in again;\n\
         it does not bring back your keys: only your recovery kit can.\n\n\
         If you did not ask for this, ignore this mail: your password stays as it is.\n"
    );
    queue_account_mail(conn, patient_id, "password_reset", to, "Your Pramana password reset code", &body, now).await
}

/// Queues the notice that the account's password was changed by a reset (in the caller's
/// transaction): the owner hears of it even when it was not them.
pub async fn queue_password_changed_mail(
    conn: &mut PgConnection,
    patient_id: Uuid,
    to: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let body = "The password of your Pramana account was just changed with a code\n\
                mailed to this address, and every device was signed out.\n\n\
                If this was not you, reset your password again at once from the portal's\n\
                sign-in page, and turn on two-factor sign-in in your account settings.\n";
    queue_account_mail(conn, patient_id, "password_changed", to, "Your Pramana password was changed", body, now).await
}

async fn queue_account_mail(
    conn: &mut PgConnection,
    patient_id: Uuid,
    kind: &str,
    to: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mail =
        NewMail { id: Uuid::now_v7(), patient_id, notification_id: None, kind, to_address: to, subject, body, now };
    store::insert_mail(conn, &mail).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_mail_names_no_health_data() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            let (subject, line) = k.mail_text(Some("City Hospital"));
            assert!(!subject.is_empty() && !line.is_empty());
        }
        assert_eq!(Kind::parse("new_device"), None);
    }
}
