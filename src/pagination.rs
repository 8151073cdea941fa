//! Keyset pagination with opaque cursors: `{"items": [...], "next_cursor"}`,
//! `limit` ≤ 200 (default 50), `?cursor=` for the next page (SPEC §7).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// Where a page starts and how long it is. Items are listed by ascending id.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub after_id: i64,
    pub limit: u64,
}

impl PageRequest {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = match limit.map(str::parse::<u64>) {
            None => DEFAULT_LIMIT,
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => return Err(ApiError::field("limit", "must be an integer from 1 to 200")),
        };
        let after_id = match cursor {
            None | Some("") => 0,
            Some(cursor) => decode_cursor(cursor)
                .ok_or_else(|| ApiError::field("cursor", "is not a cursor this API gave out"))?,
        };
        Ok(PageRequest { after_id, limit })
    }

    /// Fetch one more than the page so we know whether another page follows.
    pub fn fetch_limit(&self) -> u64 {
        self.limit + 1
    }
}

/// A page of a list read newest first (the audit log): items below
/// `before_id`, by descending id. Its cursors are not interchangeable with
/// [`PageRequest`]'s.
#[derive(Debug, Clone, Copy)]
pub struct NewestFirst {
    pub before_id: i64,
    pub limit: u64,
}

impl NewestFirst {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = PageRequest::parse(limit, None)?.limit;
        let before_id = match cursor {
            None | Some("") => i64::MAX,
            Some(cursor) => decode(cursor, "before:")
                .ok_or_else(|| ApiError::field("cursor", "is not a cursor this API gave out"))?,
        };
        Ok(NewestFirst { before_id, limit })
    }

    pub fn fetch_limit(&self) -> u64 {
        self.limit + 1
    }
}

/// A page of a list in an order that is not by id (search results, best
/// first): the rows after the first `offset`. Its cursors are not
/// interchangeable with [`PageRequest`]'s. A row that moves in the ranking
/// between two pages may show twice or not at all; a search is read, not
/// walked.
#[derive(Debug, Clone, Copy)]
pub struct Ranked {
    pub offset: u64,
    pub limit: u64,
}

impl Ranked {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = PageRequest::parse(limit, None)?.limit;
        let offset = match cursor {
            None | Some("") => 0,
            Some(cursor) => decode(cursor, "rank:")
                .and_then(|offset| u64::try_from(offset).ok())
                .ok_or_else(|| ApiError::field("cursor", "is not a cursor this API gave out"))?,
        };
        Ok(Ranked { offset, limit })
    }

    pub fn fetch_limit(&self) -> u64 {
        self.limit + 1
    }
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in id order.
    pub fn from_rows<R, Id: Into<i64>>(
        rows: Vec<R>,
        request: PageRequest,
        id_of: impl Fn(&R) -> Id,
        render: impl FnMut(R) -> T,
    ) -> Self {
        Page::of(
            rows,
            request.limit,
            |row| encode_cursor(id_of(row).into()),
            render,
        )
    }

    /// Builds a page from up to `limit + 1` rows fetched newest first.
    pub fn newest_first<R>(
        rows: Vec<R>,
        request: NewestFirst,
        id_of: impl Fn(&R) -> i64,
        render: impl FnMut(R) -> T,
    ) -> Self {
        let cursor_of = |row: &R| URL_SAFE_NO_PAD.encode(format!("before:{}", id_of(row)));
        Page::of(rows, request.limit, cursor_of, render)
    }

    /// Builds a page from up to `limit + 1` rows fetched from `request.offset` on.
    pub fn ranked<R>(rows: Vec<R>, request: Ranked, render: impl FnMut(R) -> T) -> Self {
        let next = request.offset + request.limit;
        let cursor_of = |_: &R| URL_SAFE_NO_PAD.encode(format!("rank:{next}"));
        Page::of(rows, request.limit, cursor_of, render)
    }

    /// The first `limit` rows, and a cursor after the last of them when a
    /// further row was fetched.
    fn of<R>(
        mut rows: Vec<R>,
        limit: u64,
        cursor_of: impl Fn(&R) -> String,
        render: impl FnMut(R) -> T,
    ) -> Self {
        let has_more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = has_more.then(|| rows.last().map(&cursor_of)).flatten();
        Page {
            items: rows.into_iter().map(render).collect(),
            next_cursor,
        }
    }
}

fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{id}"))
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    decode(cursor, "after:")
}

fn decode(cursor: &str, prefix: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(prefix)?.parse().ok()
}
