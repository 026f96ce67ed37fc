//! Session reminders: see [`services::reminders`].

use crate::db::now;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

pub async fn run(state: &AppState) -> AppResult<()> {
    let sent = services::reminders::send_due(&state.db, &state.settings, now()).await?;
    tracing::info!(sent, "session reminders sent");
    Ok(())
}
