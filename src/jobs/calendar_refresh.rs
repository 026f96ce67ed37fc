//! Fetches every mediator's external calendar again and replaces their busy
//! blocks; a feed that fails keeps the last good blocks and records the error
//! for the mediator to see.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::AppState;
use crate::error::AppResult;
use crate::services::mediators;

/// Returns (refreshed, failed).
pub async fn run(state: &AppState) -> AppResult<(usize, usize)> {
    let with_url = entity::mediators::Entity::find()
        .filter(entity::mediators::Column::ExternalCalendarUrl.is_not_null())
        .all(&state.db)
        .await?;
    let (mut ok, mut failed) = (0, 0);
    for m in with_url {
        let Some(url) = m.external_calendar_url.clone() else {
            continue;
        };
        let fetched = mediators::fetch_ics(
            &state.http_client,
            &url,
            state.settings.external_calendar_max_bytes,
        )
        .await;
        let outcome = match fetched {
            Ok(text) => mediators::import_busy(&state.db, &m, text, "url", Some(url))
                .await
                .map(|_| ()),
            Err(message) => {
                mediators::record_calendar_error(&state.db, m.id, None, &message).await?;
                Err(crate::error::AppError::field("ics_url", message))
            }
        };
        match outcome {
            Ok(()) => ok += 1,
            Err(e) => {
                failed += 1;
                tracing::info!(mediator_id = %m.id, error = %e, "external calendar not refreshed");
            }
        }
    }
    Ok((ok, failed))
}
