//! `GET /v1/admin/health`: the platform's health for the operator — anchoring backlog and lag,
//! the consent relay, webhooks — counted from the tables the worker writes, now and hour by
//! hour (the worker's own `/metrics` is on its private health port, out of the portal's reach).

use axum::extract::State;

use pramana_wire::{AnchoringHealth, HealthHour, PlatformHealth, RelayHealth, WebhookHealth};

use crate::auth::{AuthUser, Role};
use crate::error::{ApiJson, ApiResult};
use crate::state::AppState;
use pramana_server::store::health;

/// Hours of history in the answer.
const HOURS: i32 = 24;

/// The platform's health now and over the last 24 hours (operator only).
#[utoipa::path(get, path = "/v1/admin/health", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = PlatformHealth), (status = 403, body = crate::error::ErrorBody)))]
pub async fn platform_health_get(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<PlatformHealth>> {
    user.require(&[Role::Admin])?;
    // One snapshot: both reads see the same database state and the same `now()`.
    let mut tx = pramana_server::store::begin_snapshot(&state.pool).await?;
    let now = health::find_health_now(&mut *tx).await?;
    let hours = health::find_health_hours(&mut *tx, HOURS).await?;
    pramana_server::store::commit(tx).await?;
    Ok(ApiJson(PlatformHealth {
        generated_at: now.generated_at,
        anchoring: AnchoringHealth {
            backlog: now.backlog,
            unanchored: now.unanchored,
            oldest_unanchored_secs: now.oldest_unanchored_secs,
            last_confirmed_at: now.last_confirmed_at,
            last_confirmed_block: now.last_confirmed_block,
        },
        relay: RelayHealth {
            open: now.relay_open,
            set_aside: now.relay_set_aside,
            failed_24h: now.relay_failed_24h,
            failed_total: now.relay_failed_total,
        },
        webhooks: WebhookHealth {
            pending: now.webhooks_pending,
            failed_24h: now.webhooks_failed_24h,
            failing_hospitals: now.failing_hospitals,
        },
        hours: hours
            .into_iter()
            .map(|h| HealthHour {
                start: h.start,
                anchored: h.anchored,
                max_lag_secs: h.max_lag_secs,
                backlog: h.backlog,
                relay_failed: h.relay_failed,
                webhook_failed_attempts: h.webhook_failed_attempts,
            })
            .collect(),
    }))
}
