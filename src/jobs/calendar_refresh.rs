//! Mediators' external calendars, fetched again: see
//! [`services::availability::busy::refresh_all`].

use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

pub async fn run(state: &AppState) -> AppResult<()> {
    let (refreshed, failed) =
        services::availability::busy::refresh_all(&state.db, &state.http_client, &state.settings)
            .await?;
    tracing::info!(refreshed, failed, "external calendars refreshed");
    Ok(())
}
