-- A consent message the worker cannot settle now (its dry run keeps failing, or the chain holds
-- it but its event is older than the worker's log search) is set aside instead of being checked
-- again on every step: it keeps its place in the outbox (still `pending`), records why, and is
-- not claimed again before `next_attempt_at` (the delay doubles with each set-aside, up to a
-- cap), so it never holds up document anchoring or the other messages.
ALTER TABLE consent_chain_events
    ADD COLUMN set_aside_count integer NOT NULL DEFAULT 0 CHECK (set_aside_count >= 0),
    ADD COLUMN set_aside_reason text,
    ADD COLUMN next_attempt_at timestamptz,
    ADD CONSTRAINT consent_chain_events_set_aside_check
        CHECK ((set_aside_reason IS NULL) = (next_attempt_at IS NULL));
