-- The access log becomes a verifiable log in the Certificate Transparency manner
-- (docs/audit-log.md). A request appends a row with a plain INSERT: no lock, `seq` from a
-- sequence, `id` a UUID v7, and `leaf_hash` = SHA-256(0x00 ‖ entry) computed at insert. The
-- worker's sequencer later gives each row its `position` (consecutive, from 0) in an RFC 9162
-- Merkle tree, stores the tree's perfect subtrees and a tree head, and queues the head for
-- anchoring on chain. The old hash chain (and its global lock) goes.

DROP TRIGGER audit_log_no_update ON audit_log;
ALTER TABLE audit_log DROP COLUMN prev_hash, DROP COLUMN hash;

CREATE SEQUENCE audit_log_seq OWNED BY audit_log.seq;
SELECT setval('audit_log_seq', coalesce((SELECT max(seq) FROM audit_log), 0) + 1, false);
ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq');

-- Rows written before this migration get a random id and no leaf hash; the sequencer computes
-- theirs from their content when it sequences them.
ALTER TABLE audit_log
    ADD COLUMN id        uuid,
    ADD COLUMN leaf_hash bytea  CHECK (length(leaf_hash) = 32),
    ADD COLUMN position  bigint CHECK (position >= 0);
UPDATE audit_log SET id = gen_random_uuid();
ALTER TABLE audit_log ALTER COLUMN id SET NOT NULL;
-- Partial, so an append writes no entry here (every request pays for each index it touches).
-- `id` has no index: nothing looks entries up by it, and a UUID v7 does not repeat.
CREATE UNIQUE INDEX audit_log_position_idx ON audit_log (position) WHERE position IS NOT NULL;
-- What the sequencer has still to integrate.
CREATE INDEX audit_log_unsequenced_idx ON audit_log (seq) WHERE position IS NULL;

-- Still append-only, but for the sequencer's one change: giving a row its position (and a
-- pre-migration row its leaf hash), once.
CREATE FUNCTION audit_log_only_sequenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.position IS NULL AND NEW.position IS NOT NULL
       AND (OLD.leaf_hash IS NULL OR NEW.leaf_hash = OLD.leaf_hash) AND NEW.leaf_hash IS NOT NULL
       AND ROW(NEW.seq, NEW.id, NEW.at, NEW.actor_role, NEW.actor_id, NEW.action, NEW.outcome,
               NEW.subject_patient_id, NEW.target, NEW.request_id, NEW.details)
           IS NOT DISTINCT FROM
           ROW(OLD.seq, OLD.id, OLD.at, OLD.actor_role, OLD.actor_id, OLD.action, OLD.outcome,
               OLD.subject_patient_id, OLD.target, OLD.request_id, OLD.details) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_only_sequenced();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

-- The tree's perfect subtrees: (level, idx) covers the 2^level leaves from idx * 2^level; level
-- 0 holds the leaf hashes by position. Any proof is a fold of O(log² n) of these.
CREATE TABLE audit_tree_nodes (
    level smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   bigint   NOT NULL CHECK (idx >= 0),
    hash  bytea    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

-- Signed by nobody: a head is trusted once its anchor job is confirmed on chain.
CREATE TABLE audit_tree_heads (
    tree_size  bigint      PRIMARY KEY CHECK (tree_size > 0),
    root       bytea       NOT NULL CHECK (length(root) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_tree_nodes_append_only BEFORE UPDATE OR DELETE ON audit_tree_nodes
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_tree_nodes_no_truncate BEFORE TRUNCATE ON audit_tree_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_tree_heads_append_only BEFORE UPDATE OR DELETE ON audit_tree_heads
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_tree_heads_no_truncate BEFORE TRUNCATE ON audit_tree_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- A tree head is anchored as one more leaf of the next document batch (no transaction of its
-- own while documents flow).
ALTER TABLE anchor_jobs DROP CONSTRAINT anchor_jobs_kind_check;
ALTER TABLE anchor_jobs
    ADD CONSTRAINT anchor_jobs_kind_check CHECK (kind IN ('document', 'audit_head')),
    ADD COLUMN audit_tree_size bigint UNIQUE REFERENCES audit_tree_heads (tree_size),
    ADD CHECK ((kind = 'audit_head') = (audit_tree_size IS NOT NULL));
