//! Open work as the home and department pages show it: the first few
//! undelivered requests a department owes or waits for (or a person has been
//! assigned), soonest due first, and how many there are in all.
//!
//! A page costs what it shows: only the columns of a line are read (not a
//! request's details, which can be long), only as many lines as the page
//! lays out, and the count comes from the same index range. What a reader
//! may not read is left out in the query, not after it, so that a lead
//! looking at another department sees the first of the requests shared
//! with theirs however many others come before them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DerivePartialModel, EntityTrait, PartialModelTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::RequestStatus;
use crate::entities::ids::{DepartmentId, RequestId};
use crate::entities::request;
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::services::{Side, count_of, one_of};

/// An undelivered request as one line of a list.
#[derive(Debug, Clone, DerivePartialModel)]
#[sea_orm(entity = "request::Entity")]
pub struct OpenLine {
    pub id: RequestId,
    pub title: String,
    pub status: RequestStatus,
    pub due_at: DateTime<Utc>,
    pub expected_at: Option<DateTime<Utc>>,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
}

/// The first lines of a set of open work and the size of the whole set.
#[derive(Debug, Clone, Default)]
pub struct OpenWork {
    pub lines: Vec<OpenLine>,
    pub total: u64,
}

/// Undelivered requests department `department_id` owes (provider) or
/// waits for (customer) that `actor` may read: the first `shown`, soonest
/// due first, and how many in all.
pub async fn open_for_department(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    department_id: DepartmentId,
    side: Side,
    shown: u64,
) -> Result<OpenWork, ApiError> {
    match open_for_department_statement(actor, department_id, side, shown) {
        Some(statement) => read(db, statement).await,
        None => Ok(OpenWork::default()),
    }
}

/// The one statement of [`open_for_department`], or none when `actor` may
/// read none of it.
pub fn open_for_department_statement(
    actor: &AuthUser,
    department_id: DepartmentId,
    side: Side,
    shown: u64,
) -> Option<SelectStatement> {
    let (this_side, other_side) = match side {
        Side::Provider => (
            request::Column::ProviderDepartmentId,
            request::Column::CustomerDepartmentId,
        ),
        Side::Customer => (
            request::Column::CustomerDepartmentId,
            request::Column::ProviderDepartmentId,
        ),
    };
    let mut query = undelivered(actor).filter(this_side.eq(department_id));
    let everything = matches!(actor.role, Role::Admin | Role::Leader)
        || actor.department_id == Some(department_id);
    if !everything {
        // A lead or staff member of another department reads only the
        // requests between the two (SPEC §8).
        query = query.filter(other_side.eq(actor.department_id?));
    }
    Some(first_and_count(query, shown))
}

/// Undelivered requests `actor` has been assigned: the first `shown`,
/// soonest due first, and how many in all.
pub async fn assigned_to(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    shown: u64,
) -> Result<OpenWork, ApiError> {
    let query = undelivered(actor).filter(request::Column::AssigneeUserId.eq(actor.id));
    read(db, first_and_count(query, shown)).await
}

fn undelivered(actor: &AuthUser) -> Select<request::Entity> {
    request::Entity::find()
        .filter(request::Column::OrganisationId.eq(actor.organisation_id))
        // Written out, as `idx_requests_*_due_open` are (`one_of`).
        .filter(one_of::<request::Entity>(
            request::Column::Status,
            RequestStatus::UNDELIVERED.map(RequestStatus::as_str),
        ))
}

/// The first `shown` of `query` and the count of it all, in one statement:
/// the count is a subquery of no outer column, which both databases work
/// out once.
fn first_and_count(query: Select<request::Entity>, shown: u64) -> SelectStatement {
    let total = count_of(query.clone());
    OpenLine::select_cols(
        query
            .select_only()
            .order_by_asc(request::Column::DueAt)
            .order_by_asc(request::Column::Id)
            .limit(shown),
    )
    .column_as(total, "total")
    .into_query()
}

/// The lines and count of a [`first_and_count`] statement.
async fn read(db: &impl ConnectionTrait, statement: SelectStatement) -> Result<OpenWork, ApiError> {
    let (lines, total) = crate::services::rows_and_total(db, &statement).await?;
    Ok(OpenWork { lines, total })
}
