//! Mediators' external calendars, fetched again: see
//! [`services::mediators::refresh_external_calendars`].

use crate::AppState;
use crate::error::AppResult;
use crate::services;

pub async fn run(state: &AppState) -> AppResult<()> {
    let (refreshed, failed) = services::mediators::refresh_external_calendars(
        &state.db,
        &state.http_client,
        &state.settings,
    )
    .await?;
    tracing::info!(refreshed, failed, "external calendars refreshed");
    Ok(())
}
