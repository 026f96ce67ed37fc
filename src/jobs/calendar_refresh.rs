//! Mediators' external calendars, fetched again: see
//! [`services::availability::busy::refresh_all`].

use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

pub async fn run(state: &AppState) -> AppResult<()> {
    let (refreshed, failed) =
        services::availability::busy::refresh_all(&state.db, &state.calendar_fetcher).await?;
    tracing::info!(refreshed, failed, "external calendars refreshed");
    Ok(())
}
