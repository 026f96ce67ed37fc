//! Idempotency keys older than `idempotency_key_hours` are deleted with the
//! responses they kept: see [`services::idempotency::purge`].

use crate::db::now;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

pub async fn run(state: &AppState) -> AppResult<()> {
    let before = now() - chrono::Duration::hours(state.settings.idempotency_key_hours);
    let purged = services::idempotency::purge(&state.db, before).await?;
    tracing::info!(purged, "old idempotency keys purged");
    Ok(())
}
