//! Message retention: see [`services::retention`].

use crate::db::now;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

pub async fn run(state: &AppState) -> AppResult<()> {
    let purged =
        services::retention::purge_message_bodies(&state.db, &state.settings, now()).await?;
    tracing::info!(
        bodies = purged.bodies,
        spool_files = purged.spool_files,
        "old message bodies purged"
    );
    Ok(())
}
