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
//!   that does not fill the page, the window's ids come from an index of
//!   due dates, no further than one more than [`NARROW_WINDOW`]: a narrow
//!   window's page is then read by its ids, whatever its depth; a wider
//!   one is walked by id after all;
//! - overdue requests are still owed, so they are few beside the history:
//!   the organisation's are read status by status
//!   (`idx_requests_org_status_id` gives each status in id order), the
//!   first page's worth of each, and the page is the first of those; a
//!   department's are its window of open requests past due, read as a
//!   window of dates is, without the walk.
//!
//! Whose requests the window is read from decides the index ([`Scope`]):
//! the organisation's from `idx_requests_org_due`; a lead's or staff
//! member's department's, those it provides and those it waits for, from
//! `idx_requests_provider_due` and `idx_requests_customer_due` (for
//! overdue, from `idx_requests_*_due_open`), one `UNION` of both sides.

use chrono::Utc;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::{
    RequestFilter, RequestStatus, filtered, first_rows, in_order, in_organisation, narrowed,
};
use crate::entities::ids::DepartmentId;
use crate::entities::{request, request_row};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::{first_ids_of_few, id_in, union_all, union_distinct};

/// Whose requests a window of due dates is read from: what the reader
/// sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scope {
    /// An admin's or leader's: the whole organisation.
    Organisation,
    /// A lead's or staff member's: what their department provides or
    /// waits for.
    Department(DepartmentId),
}

/// Whose window the filter asks for, when it asks for a window of due
/// dates (`due_before`, `due_after`, `overdue=true`) and nothing else.
/// Every other filter is served by an index of its own that a walk by id
/// follows (`idx_requests_provider`, `idx_requests_org_status_id`, …);
/// with one of them beside the window, SQLite, which plans without
/// statistics, would read the window's index rather than theirs, however
/// wide the window.
pub(super) fn only_a_due_window(actor: &AuthUser, filter: &RequestFilter) -> Option<Scope> {
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
    if !(window && nothing_else) {
        return None;
    }
    match (actor.role, actor.department_id) {
        (Role::Admin | Role::Leader, _) => Some(Scope::Organisation),
        (Role::Lead | Role::Staff, Some(department)) => Some(Scope::Department(department)),
        // Someone of no department reads nothing; a walk finds that out.
        (Role::Lead | Role::Staff, None) => None,
    }
}

/// How many ids past the cursor a page of a window of dates first reads in
/// order.
const NEAR: i64 = 5_000;

/// A window of dates of at most this many requests is read by their ids.
const NARROW_WINDOW: u64 = 20_000;

/// A page of the requests `actor` reads that pass `filter`, a window of
/// due dates (perhaps of overdue requests) of `scope`, theirs.
pub(super) async fn page(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    filter: &RequestFilter,
    page: PageRequest,
    scope: Scope,
) -> Result<Vec<request::Model>, ApiError> {
    let query = filtered(actor, filter);
    let window = || window_statement(actor, filter, scope);
    let ids = match (scope, filter.overdue == Some(true)) {
        (Scope::Organisation, true) => Some(overdue_ids(db, actor, filter, page).await?),
        (Scope::Department(_), true) => window_ids(db, window(), page).await?,
        (_, false) => {
            let near = in_order(query.clone(), page)
                .filter(request::Column::Id.lte(page.after_id.saturating_add(NEAR)));
            let found = first_rows(db, near, page.fetch_limit()).await?;
            if found.len() as u64 == page.fetch_limit() {
                return Ok(found);
            }
            window_ids(db, window(), page).await?
        }
    };
    let Some(ids) = ids else {
        return Ok(first_rows(db, in_order(query, page), page.fetch_limit()).await?);
    };
    // The page's ids, found by the filter past the cursor and no more than
    // a page: read by them alone. Beside the cursor's range, SQLite walked
    // the organisation by id from the cursor to the last of them; beside
    // the window's dates, it read the whole window from the index of due
    // dates and kept the page (4 ms for a lead's page at a million
    // requests, against a fifth of one).
    let by_id = in_organisation(actor.organisation_id)
        .filter(id_in::<request::Entity>(
            db.get_database_backend(),
            request::Column::Id,
            ids,
        ))
        .order_by_asc(request::Column::Id);
    Ok(request_row::all(db, by_id).await?)
}

/// The ids of the page past the cursor of `window` (the ids of a window
/// of due dates, [`window_statement`]), when it holds at most
/// [`NARROW_WINDOW`] requests; `None` when it holds more.
async fn window_ids(
    db: &impl ConnectionTrait,
    window: Option<SelectStatement>,
    page: PageRequest,
) -> Result<Option<Vec<i64>>, ApiError> {
    let Some(window) = window else {
        return Ok(None);
    };
    Ok(first_ids_of_few(
        db,
        &window,
        page.after_id,
        page.fetch_limit(),
        NARROW_WINDOW,
    )
    .await?)
}

/// The statement a list page reads its window's ids with from an index
/// of due dates, when it reads one: the filter is a window and nothing
/// else, and not the organisation's overdue requests, which are read
/// status by status ([`page`]).
pub(super) fn index_statement(actor: &AuthUser, filter: &RequestFilter) -> Option<SelectStatement> {
    let scope = only_a_due_window(actor, filter)?;
    if scope == Scope::Organisation && filter.overdue == Some(true) {
        return None;
    }
    window_statement(actor, filter, scope)
}

/// The ids of the requests `actor` reads in `filter`'s window of due dates
/// (`scope` being theirs), from the index of due dates of `scope`: of the
/// organisation, or one `UNION` of both sides of a department.
fn window_statement(
    actor: &AuthUser,
    filter: &RequestFilter,
    scope: Scope,
) -> Option<SelectStatement> {
    // The term the partial indexes of due dates are made for, written out
    // (a database reads a partial index only for a statement that implies
    // its term).
    let ids = |query: Select<request::Entity>| {
        query
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::DueAt.is_not_null())
    };
    let Scope::Department(department) = scope else {
        return Some(ids(filtered(actor, filter)).into_query());
    };
    // Each side is its own statement, without the other side's term, so
    // that its index holds every column it reads (overdue: the index of
    // open requests by due date); each no further than one more than the
    // cap, and a request the department both provides and waits for once.
    let sides = [
        request::Column::ProviderDepartmentId,
        request::Column::CustomerDepartmentId,
    ]
    .map(|side| {
        let theirs = in_organisation(actor.organisation_id).filter(side.eq(department));
        ids(narrowed(theirs, filter))
            .limit(NARROW_WINDOW + 1)
            .into_query()
    });
    union_distinct(sides)
}

/// The ids of the page of the overdue requests `actor` reads in `filter`
/// (perhaps also a window of dates): the first page's worth of each
/// undelivered status past the cursor, in one statement (`UNION ALL`),
/// then the first of them all.
async fn overdue_ids(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    filter: &RequestFilter,
    page: PageRequest,
) -> Result<Vec<i64>, ApiError> {
    let now = Utc::now();
    let arms = RequestStatus::UNDELIVERED.iter().map(|status| {
        // Overdue in one status: in it and due before now (the filter asks
        // nothing else, `only_a_due_window`), the status alone. Beside the
        // list of undelivered statuses, PostgreSQL read every open request
        // of the organisation from the index by status and sorted them
        // (3.5 ms at a million requests) rather than walk the status in id
        // order and stop at a page (0.1 ms).
        let one = RequestFilter {
            status: Some(*status),
            due_before: Some(filter.due_before.map_or(now, |before| before.min(now))),
            due_after: filter.due_after,
            ..RequestFilter::default()
        };
        in_order(filtered(actor, &one), page)
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
