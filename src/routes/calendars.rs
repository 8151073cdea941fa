//! `/calendars`: admins write; everyone reads; `due` and `working-time`
//! expose the business-time engine (SPEC §2, appendix A).

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::{Route, State, delete, get, patch, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::calendar;
use crate::error::{ApiError, ApiResult};
use crate::http::Admin;
use crate::http::{Body, Reply};
use crate::identity::AuthUser;
use crate::pagination::{Page, PageRequest};
use crate::services::ExpectedVersion;
use crate::services::calendars::{self, CalendarChanges, CalendarInput, Holiday, WeeklyHours};
use crate::state::AppState;
use crate::validate::turnaround_text;

pub fn routes() -> Vec<Route> {
    routes![create, list, show, update, remove, due, working_time]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    pub name: String,
    pub timezone: String,
    pub weekly: WeeklyHours,
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarPatch {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub weekly: Option<WeeklyHours>,
    pub holidays: Option<Vec<Holiday>>,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarOut {
    pub id: i64,
    pub name: String,
    pub timezone: String,
    pub weekly: WeeklyHours,
    pub holidays: Vec<Holiday>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<calendar::Model> for CalendarOut {
    type Error = ApiError;

    fn try_from(row: calendar::Model) -> Result<Self, ApiError> {
        let (weekly, holidays) = calendars::decode(&row)?;
        Ok(CalendarOut {
            id: row.id,
            name: row.name,
            timezone: row.timezone,
            weekly,
            holidays,
            version: row.version,
            created_at: row.created_at,
        })
    }
}

fn reply(row: calendar::Model, created: bool) -> ApiResult<Reply<CalendarOut>> {
    let version = row.version;
    let out = CalendarOut::try_from(row)?;
    Ok(if created {
        Reply::created(out)
    } else {
        Reply::ok(out)
    }
    .versioned(version))
}

#[derive(Serialize, ToSchema)]
pub struct DueOut {
    /// First working instant at or after `from`.
    pub clock_start: DateTime<Utc>,
    pub due: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct WorkingTimeOut {
    /// Whole working minutes between `from` and `to`.
    pub minutes: i64,
}

#[utoipa::path(post, path = "/calendars", tag = "calendars", request_body = CalendarBody,
    security(("bearer" = [])),
    responses((status = 201, body = CalendarOut), (status = 403, body = crate::error::Problem),
              (status = 422, description = "invalid zone, ranges, or no working time", body = crate::error::Problem)))]
#[post("/calendars", data = "<body>")]
async fn create(
    state: &State<AppState>,
    actor: Admin,
    body: Body<CalendarBody>,
) -> ApiResult<Reply<CalendarOut>> {
    let body = body.0;
    let row = calendars::create(
        state.db(),
        &actor,
        CalendarInput {
            name: body.name,
            timezone: body.timezone,
            weekly: body.weekly,
            holidays: body.holidays,
        },
    )
    .await?;
    reply(row, true)
}

#[utoipa::path(get, path = "/calendars", tag = "calendars", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "one page, by ascending id", body = Page<CalendarOut>)))]
#[get("/calendars?<limit>&<cursor>")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Reply<Page<CalendarOut>>> {
    let page = PageRequest::parse(limit, cursor)?;
    let rows = calendars::list(state.db(), &actor, page).await?;
    let mut items = Vec::with_capacity(rows.len());
    let page = Page::from_rows(rows, page, |c| c.id, |row| row);
    for row in page.items {
        items.push(CalendarOut::try_from(row)?);
    }
    Ok(Reply::ok(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/calendars/{id}", tag = "calendars", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = CalendarOut), (status = 404, body = crate::error::Problem)))]
#[get("/calendars/<id>")]
async fn show(state: &State<AppState>, actor: AuthUser, id: i64) -> ApiResult<Reply<CalendarOut>> {
    reply(calendars::get(state.db(), &actor, id).await?, false)
}

#[utoipa::path(patch, path = "/calendars/{id}", tag = "calendars", request_body = CalendarPatch,
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CalendarOut), (status = 412, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[patch("/calendars/<id>", data = "<body>")]
async fn update(
    state: &State<AppState>,
    actor: Admin,
    id: i64,
    if_match: ExpectedVersion,
    body: Body<CalendarPatch>,
) -> ApiResult<Reply<CalendarOut>> {
    let body = body.0;
    let row = calendars::update(
        state.db(),
        &actor,
        id,
        if_match,
        CalendarChanges {
            name: body.name,
            timezone: body.timezone,
            weekly: body.weekly,
            holidays: body.holidays,
        },
    )
    .await?;
    reply(row, false)
}

/// When a turnaround started at `from` is due in this calendar.
#[utoipa::path(get, path = "/calendars/{id}/due", tag = "calendars", security(("bearer" = [])),
    params(("id" = i64, Path), ("from" = String, Query, description = "RFC 3339 ready time"),
           ("amount" = String, Query, description = "hours with minute precision, or whole days"),
           ("unit" = String, Query, description = "business_hours | business_days | calendar_hours | calendar_days")),
    responses((status = 200, body = DueOut), (status = 422, body = crate::error::Problem)))]
#[get("/calendars/<id>/due?<from>&<amount>&<unit>")]
async fn due(
    state: &State<AppState>,
    actor: AuthUser,
    id: i64,
    from: Option<&str>,
    amount: Option<&str>,
    unit: Option<&str>,
) -> ApiResult<Reply<DueOut>> {
    let row = calendars::get(state.db(), &actor, id).await?;
    let from = parse_instant("from", from)?;
    let turnaround = turnaround_text(amount, unit)?;
    let compiled = state.calendars.get_or_compile(&row)?;
    let due = compiled
        .due(from, turnaround)
        .map_err(|error| ApiError::field("from", error.to_string()))?;
    Ok(Reply::ok(DueOut {
        clock_start: due.clock_start,
        due: due.due,
    }))
}

/// Working minutes between two instants in this calendar.
#[utoipa::path(get, path = "/calendars/{id}/working-time", tag = "calendars", security(("bearer" = [])),
    params(("id" = i64, Path), ("from" = String, Query), ("to" = String, Query)),
    responses((status = 200, body = WorkingTimeOut), (status = 422, body = crate::error::Problem)))]
#[get("/calendars/<id>/working-time?<from>&<to>")]
async fn working_time(
    state: &State<AppState>,
    actor: AuthUser,
    id: i64,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<Reply<WorkingTimeOut>> {
    let row = calendars::get(state.db(), &actor, id).await?;
    let from_at = parse_instant("from", from);
    let to_at = parse_instant("to", to);
    let (from, to) = match (from_at, to_at) {
        (Ok(from), Ok(to)) if to < from => {
            return Err(ApiError::field("to", "must not be before from"));
        }
        (Ok(from), Ok(to)) => (from, to),
        (Err(error), _) | (_, Err(error)) => return Err(error),
    };
    let compiled = state.calendars.get_or_compile(&row)?;
    let seconds = compiled
        .working_seconds(from, to)
        .map_err(|error| ApiError::field("from", error.to_string()))?;
    Ok(Reply::ok(WorkingTimeOut {
        minutes: seconds / 60,
    }))
}

fn parse_instant(field: &str, value: Option<&str>) -> Result<DateTime<Utc>, ApiError> {
    let value = value.ok_or_else(|| ApiError::field(field, "is required (RFC 3339)"))?;
    crate::validate::query_instant(field, value)
}

/// Deletes a calendar no department uses (admin); 409 names the departments
/// still on it. The organisation's default calendar is never deleted.
#[utoipa::path(delete, path = "/calendars/{id}", tag = "calendars", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "deleted"), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 412, body = crate::error::Problem)))]
#[delete("/calendars/<id>")]
async fn remove(
    state: &State<AppState>,
    actor: Admin,
    id: i64,
    if_match: ExpectedVersion,
) -> ApiResult<Status> {
    calendars::delete(state.db(), &actor, id, if_match).await?;
    Ok(Status::NoContent)
}
