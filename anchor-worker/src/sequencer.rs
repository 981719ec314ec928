//! The access log's sequencer (docs/audit-log.md): integrates the entries requests appended
//! into the RFC 9162 tree, a batch at a time, and stores each new tree head with its anchor job,
//! so the next anchoring batch carries the head to the chain. One sequencer runs at a time (a
//! transaction-scoped advisory lock in `store::audit::sequence_next_entries`), whichever worker
//! it is in.

use std::time::Duration;

use chrono::{DateTime, Utc};
use pramana_server::store::audit::{self, Sequenced};
use sqlx::PgPool;

use crate::WorkerError;

/// Postgres and the sequencing rules.
#[derive(Debug, Clone)]
pub struct Sequencer {
    pub(crate) pool: PgPool,
    /// A head at most this often, unless `batch_max_size` entries wait.
    pub head_interval: Duration,
    /// Most entries per head.
    pub batch_max_size: u32,
}

impl Sequencer {
    /// One pass at `now`: when the last head is at least `head_interval` old (or a full batch
    /// waits), integrates up to `batch_max_size` entries and stores the new head.
    #[tracing::instrument(skip_all)]
    pub async fn step(&self, now: DateTime<Utc>) -> Result<Sequenced, WorkerError> {
        let waiting = audit::count_unsequenced(&self.pool).await?;
        metrics::gauge!("audit_unsequenced").set(waiting as f64);
        if waiting == 0 {
            return Ok(Sequenced::Nothing);
        }
        let last = audit::find_latest_head_time(&self.pool).await?;
        let due = last.is_none_or(|t| (now - t).to_std().unwrap_or_default() >= self.head_interval);
        if !due && waiting < i64::from(self.batch_max_size) {
            return Ok(Sequenced::Nothing);
        }
        let done = audit::sequence_next_entries(&self.pool, i64::from(self.batch_max_size)).await?;
        if let Sequenced::Head { added, tree_size } = done {
            metrics::counter!("audit_sequenced_total").increment(added as u64);
            tracing::info!(added, tree_size, "access log sequenced; head queued for anchoring");
        }
        Ok(done)
    }
}
