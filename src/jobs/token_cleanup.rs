//! Expired and revoked API tokens are deleted: see
//! [`services::expired_tokens::purge`].

use crate::db::now;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

pub async fn run(state: &AppState) -> AppResult<()> {
    let purged = services::expired_tokens::purge(&state.db, now()).await?;
    tracing::info!(purged, "expired and revoked tokens purged");
    Ok(())
}
