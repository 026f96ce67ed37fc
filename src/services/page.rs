//! Keyset pagination shared by every list: `?limit=&cursor=` → `{items, next_cursor}`.
//!
//! Ids are UUIDv7, so ordering by id is ordering by creation and a cursor is
//! simply the last id seen, encoded opaquely.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub fn parse(limit: Option<u64>, cursor: Option<&str>) -> AppResult<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = cursor
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()?;
        Ok(Self { limit, after })
    }
}

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(raw: &str) -> AppResult<Uuid> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::field("cursor", "is not a cursor returned by this list"))
}

/// Runs `query` for one page: ordered by its `id` column, after the cursor,
/// one row more than the page to learn whether another follows. Returns the
/// rows read as `M` and the cursor of the next page.
pub async fn fetch<E, M, C>(
    db: &C,
    query: Select<E>,
    id: E::Column,
    page: PageRequest,
    id_of: impl Fn(&M) -> Uuid,
) -> AppResult<(Vec<M>, Option<String>)>
where
    E: EntityTrait,
    M: FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    let mut query = query.order_by_asc(id);
    if let Some(after) = page.after {
        query = query.filter(id.gt(after));
    }
    let rows = query
        .limit(page.limit + 1)
        .into_model::<M>()
        .all(db)
        .await?;
    Ok(finish(rows, page.limit, id_of))
}

/// Splits one extra fetched row off into a cursor.
fn finish<T>(mut rows: Vec<T>, limit: u64, id_of: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<String>) {
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor(id_of(r)))
    } else {
        None
    };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_a_field_error() {
        let id = Uuid::now_v7();
        let p = PageRequest::parse(Some(10), Some(&encode_cursor(id))).expect("valid");
        assert_eq!(p.after, Some(id));
        assert!(PageRequest::parse(None, Some("!!")).is_err());
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(1000), None).is_err());
    }

    #[test]
    fn finish_gives_a_cursor_only_when_more_rows_exist() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let (items, next) = finish(ids.clone(), 2, |u| *u);
        assert_eq!(items.len(), 2);
        assert_eq!(next, Some(encode_cursor(ids[1])));
        let (items, next) = finish(ids, 3, |u| *u);
        assert_eq!(items.len(), 3);
        assert!(next.is_none());
    }
}
