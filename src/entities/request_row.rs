//! Request rows read by position, for the reads that take many of them (a
//! list page, the upstream cone of its open requests).
//!
//! The `FromQueryResult` SeaORM derives finds each of a request's 40 columns
//! by name, checks its type, and on every NULL formats the column's name
//! into an error it then drops. At a page of 50 open requests and their
//! cone that was a quarter of the application's time on PostgreSQL (perf,
//! `?overdue=true` at 1M requests). Here each column is read at its place
//! in the statement, which is the place of its [`Column`] (a
//! `request::Entity::find()` selects every column in that order), and
//! decoded without the type check: a statement of any other shape is
//! refused by its width, and the tests read the same rows both ways on both
//! databases.

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{ColumnIndex, Decode, Row};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Iterable, QueryFilter,
    QueryResult, QueryTrait, Select, Statement,
};

use super::Named;
use super::ids::{OrganisationId, RequestId};
use super::request::{self, Column};

/// Every row of `statement`, which selects a request's columns in order.
pub async fn rows(
    db: &impl ConnectionTrait,
    statement: Statement,
) -> Result<Vec<request::Model>, DbErr> {
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(decode)
        .collect()
}

/// Every row `query` (every column of a request) selects.
pub async fn all(
    db: &impl ConnectionTrait,
    query: Select<request::Entity>,
) -> Result<Vec<request::Model>, DbErr> {
    rows(db, query.build(db.get_database_backend())).await
}

/// The requests of organisation `organisation_id` among `ids` (a chunk
/// small enough to bind), in the database's order.
pub async fn with_ids(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    ids: &[RequestId],
) -> Result<Vec<request::Model>, DbErr> {
    let query = request::Entity::find()
        .filter(Column::OrganisationId.eq(organisation_id))
        .filter(Column::Id.is_in(ids.iter().copied()));
    all(db, query).await
}

/// The first row `query` selects, if any.
pub async fn one(
    db: &impl ConnectionTrait,
    query: Select<request::Entity>,
) -> Result<Option<request::Model>, DbErr> {
    let statement = query.build(db.get_database_backend());
    db.query_one_raw(statement)
        .await?
        .as_ref()
        .map(decode)
        .transpose()
}

/// One request from a row of every request column in order.
pub fn decode(row: &QueryResult) -> Result<request::Model, DbErr> {
    let refused = |error: String| DbErr::Type(format!("a request row: {error}"));
    if let Some(row) = row.try_as_pg_row() {
        return read(row).map_err(refused);
    }
    if let Some(row) = row.try_as_sqlite_row() {
        return read(row).map_err(refused);
    }
    request::Model::from_query_result(row, "")
}

fn read<R>(row: &R) -> Result<request::Model, String>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database>,
    for<'r> i32: Decode<'r, R::Database>,
    for<'r> bool: Decode<'r, R::Database>,
    for<'r> String: Decode<'r, R::Database>,
    for<'r> DateTime<Utc>: Decode<'r, R::Database>,
{
    let width = Column::iter().count();
    if row.len() != width {
        return Err(format!("{} columns where a request has {width}", row.len()));
    }
    fn get<'r, R, T>(row: &'r R, column: Column) -> Result<T, String>
    where
        R: Row,
        usize: ColumnIndex<R>,
        T: Decode<'r, R::Database>,
    {
        row.try_get_unchecked(column as usize)
            .map_err(|error| format!("{column:?}: {error}"))
    }
    fn named<R, T: Named>(row: &R, column: Column) -> Result<Option<T>, String>
    where
        R: Row,
        usize: ColumnIndex<R>,
        for<'a> String: Decode<'a, R::Database>,
    {
        get::<R, Option<String>>(row, column)?
            .map(|text| T::named(&text).ok_or_else(|| format!("{column:?}: no member {text:?}")))
            .transpose()
    }
    fn required<T>(value: Option<T>, column: Column) -> Result<T, String> {
        value.ok_or_else(|| format!("{column:?} is null"))
    }
    Ok(request::Model {
        id: get::<R, i64>(row, Column::Id)?.into(),
        organisation_id: get::<R, i64>(row, Column::OrganisationId)?.into(),
        agreement_id: get::<R, i64>(row, Column::AgreementId)?.into(),
        agreement_version: get(row, Column::AgreementVersion)?,
        provider_department_id: get::<R, i64>(row, Column::ProviderDepartmentId)?.into(),
        customer_department_id: get::<R, i64>(row, Column::CustomerDepartmentId)?.into(),
        title: get(row, Column::Title)?,
        details: get(row, Column::Details)?,
        turnaround_unit: required(named(row, Column::TurnaroundUnit)?, Column::TurnaroundUnit)?,
        turnaround_quantity: get(row, Column::TurnaroundQuantity)?,
        status: required(named(row, Column::Status)?, Column::Status)?,
        status_before_pause: named(row, Column::StatusBeforePause)?,
        requested_at: get(row, Column::RequestedAt)?,
        logged_at: get(row, Column::LoggedAt)?,
        ready_at: get(row, Column::ReadyAt)?,
        clock_start: get(row, Column::ClockStart)?,
        due_at: get(row, Column::DueAt)?,
        pause_shift_seconds: get(row, Column::PauseShiftSeconds)?,
        paused_at: get(row, Column::PausedAt)?,
        expected_at: get(row, Column::ExpectedAt)?,
        delivered_at: get(row, Column::DeliveredAt)?,
        lateness_minutes: get(row, Column::LatenessMinutes)?,
        on_time: get(row, Column::OnTime)?,
        rating_score: get(row, Column::RatingScore)?,
        rating_comment: get(row, Column::RatingComment)?,
        last_event_at: get(row, Column::LastEventAt)?,
        overdue_notified_at: get(row, Column::OverdueNotifiedAt)?,
        due_soon_at: get(row, Column::DueSoonAt)?,
        due_soon_notified_at: get(row, Column::DueSoonNotifiedAt)?,
        escalate_at: get(row, Column::EscalateAt)?,
        escalated_at: get(row, Column::EscalatedAt)?,
        created_by_user_id: get::<R, i64>(row, Column::CreatedByUserId)?.into(),
        assignee_user_id: get::<R, Option<i64>>(row, Column::AssigneeUserId)?.map(Into::into),
        used_seconds: get(row, Column::UsedSeconds)?,
        agreed_seconds: get(row, Column::AgreedSeconds)?,
        thanked: get(row, Column::Thanked)?,
        service_level: named(row, Column::ServiceLevel)?,
        version: get(row, Column::Version)?,
    })
}
