//! The shape of every list: `?limit=&cursor=` in, `{items, next_cursor}`
//! out (keyset pages, see `services::page`).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `?limit=&cursor=` of every list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> ListResponse<T> {
    pub fn new<M: Into<T>>(items: Vec<M>, next_cursor: Option<String>) -> Self {
        Self {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
        }
    }
}
