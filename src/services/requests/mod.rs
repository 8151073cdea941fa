//! Internal requests: one handoff owed under an active agreement, its due in
//! the provider's calendar, its lifecycle and its dependencies (SPEC §3).

mod alerts;
mod create;
mod due_window;
mod edit;
pub mod export;
mod group;
mod intake;
pub mod levels;
pub mod neighbours;
mod open_work;
mod overdue;
pub mod query;
pub mod schedule;
pub mod search;
mod transitions;
mod view;

pub use alerts::{Alerted, due_soon_moment, escalation_moment, sweep_alerts};
pub use create::log;
pub use edit::{RequestChanges, edit};
pub use group::LogGroup;
pub use intake::NewRequest;
pub use open_work::{Open, OpenLine, OpenWork, open_work, open_work_statement};
pub use overdue::sweep_overdue;
pub use schedule::shift_due;
pub use search::Search;
pub use transitions::{Action, act, act_projected, offered_moves};
pub use view::{RequestView, view, views};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use crate::entities::ids::{AgreementId, DepartmentId, OrganisationId, RequestId, UserId};
use crate::entities::{request, request_dependency, request_row};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::{PageRequest, Ranked};
use crate::services::one_of;

pub use crate::entities::request::RequestStatus;

/// Admins and leaders read every request; leads and staff those touching
/// their department (SPEC §8).
pub fn can_read(actor: &AuthUser, row: &request::Model) -> bool {
    can_read_between(
        actor,
        row.provider_department_id,
        row.customer_department_id,
    )
}

/// [`can_read`] for a request between `provider` and `customer`.
pub fn can_read_between(actor: &AuthUser, provider: DepartmentId, customer: DepartmentId) -> bool {
    match actor.role {
        Role::Admin | Role::Leader => true,
        Role::Lead | Role::Staff => actor
            .department_id
            .is_some_and(|department| department == provider || department == customer),
    }
}

/// A request the caller may read; anything else is 404.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: RequestId,
) -> Result<request::Model, ApiError> {
    let query = request::Entity::find_by_id(id)
        .filter(request::Column::OrganisationId.eq(actor.organisation_id));
    request_row::one(db, query)
        .await?
        .filter(|row| can_read(actor, row))
        .ok_or_else(|| ApiError::not_found("request"))
}

/// Ids each request depends on, for a batch of requests.
pub async fn dependencies_of(
    db: &impl ConnectionTrait,
    request_ids: &[RequestId],
) -> Result<Vec<(RequestId, RequestId)>, ApiError> {
    if request_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(dependencies_query(db.get_database_backend(), request_ids)
        .order_by_asc(request_dependency::Column::DependsOnId)
        .into_tuple()
        .all(db)
        .await?)
}

/// (request, input) pairs of `request_ids`, unordered ([`dependencies_of`]
/// orders them).
pub fn dependencies_query(
    backend: DbBackend,
    request_ids: &[RequestId],
) -> Select<request_dependency::Entity> {
    request_dependency::Entity::find()
        .select_only()
        .column(request_dependency::Column::RequestId)
        .column(request_dependency::Column::DependsOnId)
        .filter(crate::services::id_in::<request_dependency::Entity>(
            backend,
            request_dependency::Column::RequestId,
            request_ids.iter().map(|id| id.0),
        ))
}

#[derive(Default)]
pub struct RequestFilter {
    pub status: Option<RequestStatus>,
    pub provider_department_id: Option<DepartmentId>,
    pub customer_department_id: Option<DepartmentId>,
    pub agreement_id: Option<AgreementId>,
    /// Undelivered with a due in the past.
    pub overdue: Option<bool>,
    pub due_before: Option<DateTime<Utc>>,
    pub due_after: Option<DateTime<Utc>>,
    /// `Some(None)`: nobody has it.
    pub assignee_user_id: Option<Option<UserId>>,
    /// Words of the title, the details or the conversation.
    pub search: Option<Search>,
}

/// One page of the requests the caller may read that pass the filter, by
/// ascending id (a search narrows the set; see [`search`] for best first).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: PageRequest,
    filter: &RequestFilter,
) -> Result<Vec<request::Model>, ApiError> {
    if let Some(scope) = due_window::only_a_due_window(actor, filter) {
        return due_window::page(db, actor, filter, page, scope).await;
    }
    let query = filtered(actor, filter);
    if let Some(search) = &filter.search {
        // Words are not a closed set: a search keeps PostgreSQL planning
        // each page for its words.
        return Ok(search
            .apply(db.get_database_backend(), in_order(query, page))
            .limit(page.fetch_limit())
            .all(db)
            .await?);
    }
    Ok(first_rows(db, in_order(query, page), page.fetch_limit()).await?)
}

/// The statement that reads the ids of the filter's window of due dates
/// from an index of due dates, when a list page may read them so (the
/// filter is a window and nothing else, and not the organisation's overdue
/// requests, which are read status by status; see `due_window`): for a
/// test to see its plan.
pub fn due_window_statement(
    actor: &AuthUser,
    filter: &RequestFilter,
) -> Option<sea_orm::sea_query::SelectStatement> {
    due_window::index_statement(actor, filter)
}

/// The first `n` requests of `query` (ordered by the caller), read by
/// position (`entities::request_row`), with the `LIMIT` written into the
/// statement rather than bound. PostgreSQL costs a generic plan with a
/// bound `LIMIT` as if it kept a tenth of the rows, so every generic plan
/// of a page looked dearer than a custom one and each page was planned
/// afresh (0.4–0.6 ms of a list page's millisecond of
/// PostgreSQL's time at 1M requests); written out, it keeps one plan after
/// its first executions. Page sizes are few, so are the statements.
pub(super) async fn first_rows(
    db: &impl ConnectionTrait,
    query: Select<request::Entity>,
    n: u64,
) -> Result<Vec<request::Model>, DbErr> {
    let mut statement = query.build(db.get_database_backend());
    statement.sql.push_str(&format!(" LIMIT {n}"));
    request_row::rows(db, statement).await
}

/// `query` past the page's cursor, by ascending id.
fn in_order(query: Select<request::Entity>, page: PageRequest) -> Select<request::Entity> {
    query
        .filter(request::Column::Id.gt(page.after_id))
        .order_by_asc(request::Column::Id)
}

/// One page of the requests the caller may read that match `search` and
/// pass the filter, best match first (among the newest
/// [`search::RANKED_WINDOW`] of them).
pub async fn search(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: Ranked,
    search: &Search,
    filter: &RequestFilter,
) -> Result<Vec<request::Model>, ApiError> {
    let query = search.ranked(db.get_database_backend(), filtered(actor, filter));
    Ok(query
        .offset(page.offset)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// The request is still owed ([`RequestStatus::UNDELIVERED`]), its
/// statuses written out (`one_of`) as `idx_requests_*_due_open` are.
fn undelivered_status() -> sea_orm::sea_query::Expr {
    one_of::<request::Entity>(
        request::Column::Status,
        RequestStatus::UNDELIVERED.map(RequestStatus::as_str),
    )
}

/// The requests of the caller's organisation they may read, narrowed by
/// every filter but the search.
fn filtered(actor: &AuthUser, filter: &RequestFilter) -> Select<request::Entity> {
    let mut query = in_organisation(actor.organisation_id);
    if matches!(actor.role, Role::Lead | Role::Staff) {
        let department = actor.department_id.unwrap_or(DepartmentId(-1));
        query = query.filter(
            Condition::any()
                .add(request::Column::ProviderDepartmentId.eq(department))
                .add(request::Column::CustomerDepartmentId.eq(department)),
        );
    }
    narrowed(query, filter)
}

/// Every request of the organisation.
fn in_organisation(organisation_id: OrganisationId) -> Select<request::Entity> {
    request::Entity::find().filter(request::Column::OrganisationId.eq(organisation_id))
}

/// `query` narrowed by every filter but the search.
fn narrowed(mut query: Select<request::Entity>, filter: &RequestFilter) -> Select<request::Entity> {
    // Statuses are written out (`one_of`): a list page's LIMIT is, so
    // PostgreSQL keeps a generic plan of it, and a bound status would hide
    // from that plan how few requests are open (its generic plan walked
    // the whole organisation by id for `status=open`: 330 ms).
    if let Some(status) = filter.status {
        query = query.filter(one_of::<request::Entity>(
            request::Column::Status,
            [status.as_str()],
        ));
    }
    if let Some(provider) = filter.provider_department_id {
        query = query.filter(request::Column::ProviderDepartmentId.eq(provider));
    }
    if let Some(customer) = filter.customer_department_id {
        query = query.filter(request::Column::CustomerDepartmentId.eq(customer));
    }
    if let Some(agreement) = filter.agreement_id {
        query = query.filter(request::Column::AgreementId.eq(agreement));
    }
    match filter.assignee_user_id {
        Some(Some(person)) => query = query.filter(request::Column::AssigneeUserId.eq(person)),
        Some(None) => query = query.filter(request::Column::AssigneeUserId.is_null()),
        None => {}
    }
    match filter.overdue {
        Some(true) => {
            query = query
                .filter(undelivered_status())
                .filter(request::Column::DueAt.lt(Utc::now()));
        }
        Some(false) => {
            query = query.filter(
                Condition::any()
                    .add(sea_orm::sea_query::ExprTrait::not(undelivered_status()))
                    .add(request::Column::DueAt.gte(Utc::now())),
            );
        }
        None => {}
    }
    if let Some(before) = filter.due_before {
        query = query.filter(request::Column::DueAt.lt(before));
    }
    if let Some(after) = filter.due_after {
        query = query.filter(request::Column::DueAt.gte(after));
    }
    query
}
