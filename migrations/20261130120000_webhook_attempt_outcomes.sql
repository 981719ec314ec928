-- The delivery log shows how each attempt ended by a stable outcome class instead of the HTTP
-- client's error text (docs/webhooks.md, "The delivery log"): error strings and precise timings
-- told a hospital what lay behind an address, which made the log a network probe. Durations
-- are recorded in whole seconds from now on.
ALTER TABLE webhook_attempts
    ADD COLUMN outcome text CHECK (outcome IN
        ('delivered', 'http_error', 'timeout', 'connect_failed', 'refused_address', 'no_endpoint'));

UPDATE webhook_attempts SET outcome = CASE
        WHEN status_code BETWEEN 200 AND 299 THEN 'delivered'
        WHEN status_code IS NOT NULL THEN 'http_error'
        WHEN error = 'timeout' THEN 'timeout'
        WHEN error LIKE 'no endpoint%' THEN 'no_endpoint'
        ELSE 'connect_failed'
    END,
    duration_ms = ((duration_ms + 999) / 1000) * 1000
  WHERE finished_at IS NOT NULL;

-- An attempt has an outcome exactly when it finished (one without is one whose worker stopped).
ALTER TABLE webhook_attempts DROP COLUMN error,
    ADD CONSTRAINT webhook_attempts_outcome_when_finished CHECK ((outcome IS NULL) = (finished_at IS NULL));
