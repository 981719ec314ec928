-- Signed webhooks for consent events (docs/webhooks.md). A hospital registers one endpoint and
-- receives a secret once; consent changes write an event row in the same transaction as the
-- change (the outbox); the worker delivers each event, retrying with backoff, and logs every
-- attempt.

-- The endpoint replaces the operator-set `hospitals.webhook_url`, which had no secret to sign
-- with and was never delivered to: a hospital now registers its own endpoint.
ALTER TABLE hospitals DROP COLUMN webhook_url;

CREATE TABLE webhook_endpoints (
    hospital_id uuid        PRIMARY KEY REFERENCES hospitals (id) ON DELETE CASCADE,
    url         text        NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    -- Kept usable, not hashed: the worker signs every delivery with it (HMAC-SHA256). Shown to
    -- the hospital once, when set or rotated.
    secret      text        NOT NULL,
    -- Registration time (a new endpoint after a DELETE starts afresh); updated_at: last PUT.
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per event for a hospital that had an endpoint when the event happened, with its
-- delivery state. The payload is fixed when the event is recorded.
CREATE TABLE webhook_events (
    id               uuid        PRIMARY KEY,
    hospital_id      uuid        NOT NULL REFERENCES hospitals (id) ON DELETE CASCADE,
    consent_id       uuid        NOT NULL REFERENCES consents (id),
    event_type       text        NOT NULL CHECK (event_type IN ('consent.granted', 'consent.revoked', 'consent.expired', 'consent.denied')),
    payload          jsonb       NOT NULL,
    created_at       timestamptz NOT NULL,
    -- pending: to be (re)tried at next_attempt_at; delivered: a 2xx answer; failed: gave up
    -- after the last attempt; cancelled: the endpoint was removed first.
    state            text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL,
    delivered_at     timestamptz,
    CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
);
-- A consent changes into each state at most once, so each event exists at most once (this also
-- makes the worker's expiry scan idempotent).
CREATE UNIQUE INDEX webhook_events_once_idx ON webhook_events (consent_id, event_type);
CREATE INDEX webhook_events_due_idx ON webhook_events (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_events_hospital_idx ON webhook_events (hospital_id, id);
-- The worker's expiry scan: grants (live, or closed as expired) by when they end.
CREATE INDEX consents_grant_end_idx ON consents (data_erase_at)
    WHERE status IN ('GRANTED', 'EXPIRED') AND grant_signature IS NOT NULL;

-- Every delivery attempt. The row is written when the attempt is claimed; a row without an
-- outcome (no status_code, no error, no finished_at) is an attempt whose worker stopped mid-way.
CREATE TABLE webhook_attempts (
    event_id     uuid        NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    attempt      integer     NOT NULL CHECK (attempt > 0),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    duration_ms  integer     CHECK (duration_ms >= 0),
    -- The receiver's HTTP status, or why there was none (timeout, connection refused, ...).
    status_code  integer,
    error        text,
    PRIMARY KEY (event_id, attempt)
);
