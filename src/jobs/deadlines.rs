//! Deadline watch: see [`services::deadlines`].

use crate::db::now;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

pub async fn run(state: &AppState) -> AppResult<()> {
    let (warned, expired) = services::deadlines::watch(&state.db, &state.settings, now()).await?;
    tracing::info!(warned, expired, "mediation deadlines checked");
    Ok(())
}
