//! A list page of a window of due dates (`due_before`, `due_after`,
//! `overdue=true`), read from an index of due dates or of statuses rather
//! than by walking the organisation.
//!
//! A page is read in id order, and no index orders a window of due dates
//! by id. Walking the organisation by id and keeping the window's requests
//! fills a page at once where the window's requests lie thick, and reads
//! every request where they are few or far from the cursor ("due this
//! week" in an organisation whose requests fall due in the order they are
//! logged; overdue, when what is still owed is the newest: 400 ms at a
//! million requests). So:
//!
//! - a window of dates first reads the next [`NEAR`] ids in order. When
//!   that does not fill the page, the window's ids come from
//!   `idx_requests_org_due`, no further than one more than
//!   [`NARROW_WINDOW`]: a narrow window's page is then read by its ids,
//!   whatever its depth; a wider one is walked by id after all;
//! - overdue requests are still owed, so they are read status by status
//!   (`idx_requests_org_status_id` gives each status in id order), the
//!   first page's worth of each, and the page is the first of those.

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect, QueryTrait, Select};

use super::{RequestFilter, RequestStatus, in_order};
use crate::entities::request;
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::{first_ids_of_few, first_rows, id_in, one_of, union_all};

/// The filter asks for a window of due dates (`due_before`, `due_after`,
/// `overdue=true`) and nothing else, of someone who reads the whole
/// organisation. Every other filter, and a lead's or staff member's
/// department, is served by an index of its own that a walk by id follows
/// (`idx_requests_provider`, `idx_requests_org_status_id`, …); with one of
/// them beside the window, SQLite, which plans without statistics, would
/// read the window's index rather than theirs, however wide the window.
pub(super) fn only_a_due_window(actor: &AuthUser, filter: &RequestFilter) -> bool {
    let RequestFilter {
        status,
        provider_department_id,
        customer_department_id,
        agreement_id,
        overdue,
        due_before,
        due_after,
        assignee_user_id,
        search,
    } = filter;
    let window = *overdue == Some(true) || due_before.is_some() || due_after.is_some();
    let nothing_else = status.is_none()
        && provider_department_id.is_none()
        && customer_department_id.is_none()
        && agreement_id.is_none()
        && assignee_user_id.is_none()
        && search.is_none();
    window && nothing_else && matches!(actor.role, Role::Admin | Role::Leader)
}

/// How many ids past the cursor a page of a window of dates first reads in
/// order.
const NEAR: i64 = 5_000;

/// A window of dates of at most this many requests is read by their ids.
const NARROW_WINDOW: u64 = 20_000;

/// A page of `query`, a window of due dates (`overdue`: of overdue
/// requests, perhaps also of dates).
pub(super) async fn page(
    db: &impl ConnectionTrait,
    query: Select<request::Entity>,
    page: PageRequest,
    overdue: bool,
) -> Result<Vec<request::Model>, ApiError> {
    let ids = if overdue {
        Some(overdue_ids(db, &query, page).await?)
    } else {
        let near = in_order(query.clone(), page)
            .filter(request::Column::Id.lte(page.after_id.saturating_add(NEAR)));
        let found = first_rows(db, near, page.fetch_limit()).await?;
        if found.len() as u64 == page.fetch_limit() {
            return Ok(found);
        }
        // The term `idx_requests_org_due` is made for: no other statement
        // repeats it, so none other reads that index.
        let window = query
            .clone()
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::DueAt.is_not_null());
        first_ids_of_few(db, window, page.after_id, page.fetch_limit(), NARROW_WINDOW).await?
    };
    let query = match ids {
        Some(ids) => query.filter(id_in::<request::Entity>(
            db.get_database_backend(),
            request::Column::Id,
            ids,
        )),
        None => query,
    };
    Ok(first_rows(db, in_order(query, page), page.fetch_limit()).await?)
}

/// The ids of the page of `query` (overdue requests): the first page's
/// worth of each undelivered status past the cursor, in one statement
/// (`UNION ALL`), then the first of them all.
async fn overdue_ids(
    db: &impl ConnectionTrait,
    query: &Select<request::Entity>,
    page: PageRequest,
) -> Result<Vec<i64>, ApiError> {
    let arms = RequestStatus::UNDELIVERED.iter().map(|status| {
        in_order(
            query.clone().filter(one_of::<request::Entity>(
                request::Column::Status,
                [status.as_str()],
            )),
            page,
        )
        .select_only()
        .column(request::Column::Id)
        .limit(page.fetch_limit())
        .into_query()
    });
    let Some(statement) = union_all(arms) else {
        return Ok(Vec::new());
    };
    let mut ids = Vec::new();
    for row in db.query_all(&statement).await? {
        ids.push(row.try_get_by_index::<i64>(0)?);
    }
    ids.sort_unstable();
    ids.truncate(page.fetch_limit() as usize);
    Ok(ids)
}
