-- Notifications to patients (docs/notifications.md). Each event that concerns a patient (a new
-- consent request, a document added by a hospital, a grant about to expire, a hospital's first
-- access, a verified ABHA claim) writes a notification row in the same transaction as the event;
-- for a patient with a verified email address who has not switched that kind off, the same
-- transaction queues a mail in `mail_outbox`, which the worker delivers over SMTP with retries.

-- A patient's email address: only a verified one gets mail. A one-time code (stored hashed)
-- proves the patient reads the mailbox; changing the address starts unverified again.
CREATE TABLE patient_emails (
    patient_id        uuid        PRIMARY KEY REFERENCES patients (id) ON DELETE CASCADE,
    email             text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    verified_at       timestamptz,
    -- SHA-256 of the pending code; NULL once verified (or never sent).
    code_sha256       bytea       CHECK (code_sha256 IS NULL OR length(code_sha256) = 32),
    code_expires_at   timestamptz,
    -- Wrong codes entered against the pending code; the code is void after a few.
    code_attempts     integer     NOT NULL DEFAULT 0 CHECK (code_attempts >= 0),
    updated_at        timestamptz NOT NULL
);

CREATE TABLE notifications (
    id           uuid        PRIMARY KEY,
    patient_id   uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    kind         text        NOT NULL CHECK (kind IN ('consent_requested', 'document_added', 'grant_expiring', 'first_access', 'abha_verified')),
    -- What it is about: the consent, document or hospital id (no health data is kept here).
    subject_id   uuid,
    -- The hospital involved, if any, by name as it was then.
    hospital_name text,
    created_at   timestamptz NOT NULL,
    read_at      timestamptz
);
CREATE INDEX notifications_patient_idx ON notifications (patient_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (patient_id) WHERE read_at IS NULL;
-- Once per grant (expiring) and once per hospital (first access).
CREATE UNIQUE INDEX notifications_once_idx ON notifications (patient_id, kind, subject_id)
    WHERE kind IN ('grant_expiring', 'first_access');

-- A patient's per-kind email switches; a missing row means on.
CREATE TABLE notification_preferences (
    patient_id uuid    NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    kind       text    NOT NULL CHECK (kind IN ('consent_requested', 'document_added', 'grant_expiring', 'first_access', 'abha_verified')),
    email      boolean NOT NULL,
    PRIMARY KEY (patient_id, kind)
);

-- Mail to deliver. The body is fixed when queued and says only what is needed (no health data;
-- a link to the portal). A verification mail carries its code until delivered.
CREATE TABLE mail_outbox (
    id              uuid        PRIMARY KEY,
    patient_id      uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    notification_id uuid        REFERENCES notifications (id) ON DELETE CASCADE,
    kind            text        NOT NULL,
    to_address      text        NOT NULL,
    subject         text        NOT NULL,
    body            text        NOT NULL,
    -- pending: to be (re)tried at next_attempt_at; delivered: the SMTP server accepted it;
    -- failed: gave up after the last attempt.
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    -- The last failure's class (connect, rejected, timeout), never the server's text.
    last_error      text,
    CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE state = 'pending';
