//! Certification watch: see [`services::certification`].

use crate::db::now;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

pub async fn run(state: &AppState) -> AppResult<()> {
    let (warned, suspended) =
        services::certification::watch(&state.db, &state.settings, now()).await?;
    tracing::info!(warned, suspended, "certifications checked");
    Ok(())
}
