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
    ColumnTrait, ConnectionTrait, DerivePartialModel, EntityTrait, FromQueryResult,
    PartialModelTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::RequestStatus;
use crate::entities::ids::{DepartmentId, RequestId};
use crate::entities::request;
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::services::{Side, count_of};

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

/// A set of open work a page lists.
#[derive(Debug, Clone, Copy)]
pub enum Open {
    /// Undelivered requests a department owes (provider) or waits for
    /// (customer) that the reader may read.
    Department(DepartmentId, Side),
    /// Undelivered requests the reader has been assigned.
    Assigned,
}

/// The first `shown` of each of `sets` as `actor` may read them, soonest
/// due first, and how many each holds in all, in the order asked, read in
/// one statement ([`open_work_statement`]).
pub async fn open_work(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    sets: &[Open],
    shown: u64,
) -> Result<Vec<OpenWork>, ApiError> {
    let mut read = vec![OpenWork::default(); sets.len()];
    let Some(statement) = open_work_statement(actor, sets, shown) else {
        return Ok(read);
    };
    for found in db.query_all(&statement).await? {
        let part = crate::services::tag_of(&found)?;
        let set = usize::try_from(part)
            .ok()
            .and_then(|part| read.get_mut(part))
            .ok_or_else(|| ApiError::Internal(format!("open work: no set {part}")))?;
        set.total = found.try_get::<i64>("", "total")?.max(0) as u64;
        set.lines.push(OpenLine::from_query_result(&found, "")?);
    }
    // The order of a UNION's rows is not promised: each list is put back
    // in its own.
    for set in &mut read {
        set.lines.sort_by_key(|line| (line.due_at, line.id));
    }
    Ok(read)
}

/// The one statement of [`open_work`] (none when `actor` may read none of
/// it): each set's first lines with its count ([`first_and_count`]),
/// tagged with its place (`services::tag`), one after the other (`UNION ALL`), so
/// that a page showing several lists waits for the database once.
pub fn open_work_statement(actor: &AuthUser, sets: &[Open], shown: u64) -> Option<SelectStatement> {
    crate::services::union_all(sets.iter().enumerate().filter_map(|(part, set)| {
        let mut statement = match *set {
            Open::Department(department_id, side) => {
                open_for_department(actor, department_id, side, shown)?
            }
            Open::Assigned => first_and_count(
                undelivered(actor).filter(request::Column::AssigneeUserId.eq(actor.id)),
                shown,
            ),
        };
        crate::services::tag(&mut statement, part as i32);
        Some(statement)
    }))
}

/// The statement of an [`Open::Department`], or none when `actor` may
/// read none of it.
fn open_for_department(
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

fn undelivered(actor: &AuthUser) -> Select<request::Entity> {
    request::Entity::find()
        .filter(request::Column::OrganisationId.eq(actor.organisation_id))
        .filter(super::undelivered_status())
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
