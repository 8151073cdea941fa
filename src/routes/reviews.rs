//! `/reviews`, `/actions` and the calendar feed: departments meeting with
//! the facts on the table (SPEC §5).

use chrono::{DateTime, NaiveDate, Utc};
use rocket::http::{ContentType, Status};
use rocket::{Route, State, delete, get, patch, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::action_item::ActionStatus;
use crate::entities::ids::{DepartmentId, UserId};
use crate::entities::review::ReviewStatus;
use crate::entities::{action_item, review};
use crate::error::{ApiError, ApiResult};
use crate::http::ReviewWriter;
use crate::http::{Body, Reply, query_id};
use crate::identity::AuthUser;
use crate::pagination::{Page, PageRequest};
use crate::services::ExpectedVersion;
use crate::services::reviews::{
    self, ActionChanges, ActionFilter, Agenda, HoldInput, NewAction, NewReview, ReviewChanges,
    ReviewFilter,
};
use crate::state::AppState;
use crate::validate::query_named;

pub fn routes() -> Vec<Route> {
    routes![
        create,
        list,
        show,
        update,
        agenda,
        hold,
        add_action,
        review_actions,
        actions,
        show_action,
        update_action,
        issue_feed_token,
        revoke_feed_token
    ]
}

/// The feed itself lives outside the bearer-token API (calendar clients
/// cannot send headers), but under the same prefix.
pub fn feed_routes() -> Vec<Route> {
    routes![calendar_feed]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReviewBody {
    /// The two departments.
    pub department_ids: Vec<DepartmentId>,
    pub scheduled_at: DateTime<Utc>,
    pub duration_minutes: i64,
    /// Weeks until the next review once this one is held; 0 for none.
    pub every_weeks: i64,
    #[serde(default)]
    pub attendee_user_ids: Vec<UserId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewPatch {
    pub scheduled_at: Option<DateTime<Utc>>,
    pub duration_minutes: Option<i64>,
    pub every_weeks: Option<i64>,
    pub attendee_user_ids: Option<Vec<UserId>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    pub minutes: String,
    #[serde(default)]
    pub decisions: Vec<String>,
    /// When it was held; default now.
    pub at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActionBody {
    pub title: String,
    pub owner_user_id: UserId,
    pub due_on: NaiveDate,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionPatch {
    pub title: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// `done` or `dropped` closes it (a resolution note is then required).
    pub status: Option<String>,
    pub resolution_note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewOut {
    pub id: i64,
    pub department_ids: [DepartmentId; 2],
    pub scheduled_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub every_weeks: i32,
    /// `scheduled | held | cancelled`
    #[schema(value_type = String)]
    pub status: ReviewStatus,
    pub held_at: Option<DateTime<Utc>>,
    pub minutes: Option<String>,
    pub decisions: Vec<String>,
    pub attendee_user_ids: Vec<UserId>,
    /// The review this one follows in its series.
    pub follows_review_id: Option<i64>,
    /// Set in the answer to `hold` when a next review was scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_review_id: Option<i64>,
    pub version: i32,
}

impl ReviewOut {
    fn build(row: review::Model, attendee_user_ids: Vec<UserId>) -> Self {
        ReviewOut {
            id: row.id,
            department_ids: [row.department_a_id, row.department_b_id],
            scheduled_at: row.scheduled_at,
            duration_minutes: row.duration_minutes,
            every_weeks: row.every_weeks,
            status: row.status,
            held_at: row.held_at,
            minutes: row.minutes,
            decisions: serde_json::from_str(&row.decisions).unwrap_or_default(),
            attendee_user_ids,
            follows_review_id: row.follows_review_id,
            next_review_id: None,
            version: row.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ActionOut {
    pub id: i64,
    pub review_id: i64,
    pub title: String,
    pub owner_user_id: UserId,
    pub due_on: NaiveDate,
    /// `open | done | dropped`
    #[schema(value_type = String)]
    pub status: ActionStatus,
    pub resolution_note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub version: i32,
}

impl From<action_item::Model> for ActionOut {
    fn from(row: action_item::Model) -> Self {
        ActionOut {
            overdue: row.status == ActionStatus::Open && row.due_on < Utc::now().date_naive(),
            id: row.id,
            review_id: row.review_id,
            title: row.title,
            owner_user_id: row.owner_user_id,
            due_on: row.due_on,
            status: row.status,
            resolution_note: row.resolution_note,
            closed_at: row.closed_at,
            version: row.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FeedTokenOut {
    pub token: String,
    /// Where a calendar client subscribes.
    pub url: String,
}

async fn reply(
    state: &AppState,
    row: review::Model,
    status: Status,
) -> ApiResult<Reply<ReviewOut>> {
    let version = row.version;
    let people = reviews::attendees(state.db(), row.id).await?;
    let out = ReviewOut::build(row, people);
    Ok(if status == Status::Created {
        Reply::created(out)
    } else {
        Reply::ok(out)
    }
    .versioned(version))
}

#[utoipa::path(post, path = "/reviews", tag = "reviews", request_body = NewReviewBody, security(("bearer" = [])),
    responses((status = 201, body = ReviewOut), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/reviews", data = "<body>")]
async fn create(
    state: &State<AppState>,
    actor: ReviewWriter,
    body: Body<NewReviewBody>,
) -> ApiResult<Reply<ReviewOut>> {
    let body = body.0;
    let row = reviews::create(
        state.db(),
        &actor,
        NewReview {
            department_ids: body.department_ids,
            scheduled_at: body.scheduled_at,
            duration_minutes: body.duration_minutes,
            every_weeks: body.every_weeks,
            attendee_user_ids: body.attendee_user_ids,
        },
    )
    .await?;
    reply(state, row, Status::Created).await
}

/// Reviews the caller may read (staff and leads: their department's).
#[utoipa::path(get, path = "/reviews", tag = "reviews", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query),
           ("department" = Option<i64>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, description = "one page, by ascending id", body = Page<ReviewOut>)))]
#[get("/reviews?<limit>&<cursor>&<department>&<status>")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    limit: Option<&str>,
    cursor: Option<&str>,
    department: Option<&str>,
    status: Option<&str>,
) -> ApiResult<Reply<Page<ReviewOut>>> {
    let page = PageRequest::parse(limit, cursor)?;
    let filter = ReviewFilter {
        department_id: query_id("department", department)?,
        status: query_named("status", status)?,
    };
    let rows = reviews::list(state.db(), &actor, page, filter).await?;
    let page = Page::from_rows(rows, page, |row| row.id, |row| row);
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        let people = reviews::attendees(state.db(), row.id).await?;
        items.push(ReviewOut::build(row, people));
    }
    Ok(Reply::ok(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/reviews/{id}", tag = "reviews", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ReviewOut), (status = 404, body = crate::error::Problem)))]
#[get("/reviews/<id>")]
async fn show(state: &State<AppState>, actor: AuthUser, id: i64) -> ApiResult<Reply<ReviewOut>> {
    let row = reviews::get(state.db(), &actor, id).await?;
    reply(state, row, Status::Ok).await
}

/// Moves or changes a scheduled review.
#[utoipa::path(patch, path = "/reviews/{id}", tag = "reviews", request_body = ReviewPatch, security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ReviewOut), (status = 409, body = crate::error::Problem),
              (status = 412, body = crate::error::Problem)))]
#[patch("/reviews/<id>", data = "<body>")]
async fn update(
    state: &State<AppState>,
    actor: ReviewWriter,
    id: i64,
    if_match: ExpectedVersion,
    body: Body<ReviewPatch>,
) -> ApiResult<Reply<ReviewOut>> {
    let body = body.0;
    let row = reviews::update(
        state.db(),
        &actor,
        id,
        if_match,
        ReviewChanges {
            scheduled_at: body.scheduled_at,
            duration_minutes: body.duration_minutes,
            every_weeks: body.every_weeks,
            attendee_user_ids: body.attendee_user_ids,
        },
    )
    .await?;
    reply(state, row, Status::Ok).await
}

/// The agenda, built from the data for the window since the pair's previous review.
#[utoipa::path(get, path = "/reviews/{id}/agenda", tag = "reviews", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Agenda), (status = 404, body = crate::error::Problem)))]
#[get("/reviews/<id>/agenda")]
async fn agenda(state: &State<AppState>, actor: AuthUser, id: i64) -> ApiResult<Reply<Agenda>> {
    Ok(Reply::ok(
        reviews::agenda(&state.context(actor.clone()), id).await?,
    ))
}

/// Records minutes and decisions; with a cadence, schedules the next review once.
#[utoipa::path(post, path = "/reviews/{id}/hold", tag = "reviews", request_body = HoldBody, security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ReviewOut), (status = 409, description = "already held", body = crate::error::Problem)))]
#[post("/reviews/<id>/hold", data = "<body>")]
async fn hold(
    state: &State<AppState>,
    actor: ReviewWriter,
    id: i64,
    body: Body<HoldBody>,
) -> ApiResult<Reply<ReviewOut>> {
    let body = body.0;
    let held = reviews::hold(
        state.db(),
        &actor,
        id,
        HoldInput {
            minutes: body.minutes,
            decisions: body.decisions,
            at: body.at,
        },
    )
    .await?;
    let version = held.review.version;
    let people = reviews::attendees(state.db(), held.review.id).await?;
    let mut out = ReviewOut::build(held.review, people);
    out.next_review_id = held.next.map(|next| next.id);
    Ok(Reply::ok(out).versioned(version))
}

#[utoipa::path(post, path = "/reviews/{id}/actions", tag = "reviews", request_body = NewActionBody, security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 201, body = ActionOut), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/reviews/<id>/actions", data = "<body>")]
async fn add_action(
    state: &State<AppState>,
    actor: ReviewWriter,
    id: i64,
    body: Body<NewActionBody>,
) -> ApiResult<Reply<ActionOut>> {
    let body = body.0;
    let row = reviews::add_action(
        state.db(),
        &actor,
        id,
        NewAction {
            title: body.title,
            owner_user_id: body.owner_user_id,
            due_on: body.due_on,
        },
    )
    .await?;
    let version = row.version;
    Ok(Reply::created(ActionOut::from(row)).versioned(version))
}

#[utoipa::path(get, path = "/reviews/{id}/actions", tag = "reviews", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = [ActionOut]), (status = 404, body = crate::error::Problem)))]
#[get("/reviews/<id>/actions")]
async fn review_actions(
    state: &State<AppState>,
    actor: AuthUser,
    id: i64,
) -> ApiResult<Reply<Vec<ActionOut>>> {
    let rows = reviews::list_actions(state.db(), &actor, id).await?;
    Ok(Reply::ok(rows.into_iter().map(ActionOut::from).collect()))
}

/// Action items of the reviews the caller may read, by id.
#[utoipa::path(get, path = "/actions", tag = "reviews", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query),
           ("review_id" = Option<i64>, Query),
           ("owner" = Option<String>, Query, description = "`me`, or a user id"),
           ("status" = Option<String>, Query, description = "open, done or dropped")),
    responses((status = 200, body = ActionPage), (status = 404, description = "an unknown or unreadable review_id", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[get("/actions?<limit>&<cursor>&<review_id>&<owner>&<status>")]
async fn actions(
    state: &State<AppState>,
    actor: AuthUser,
    limit: Option<&str>,
    cursor: Option<&str>,
    review_id: Option<&str>,
    owner: Option<&str>,
    status: Option<&str>,
) -> ApiResult<Reply<Page<ActionOut>>> {
    let page = PageRequest::parse(limit, cursor)?;
    let owner_user_id = match owner {
        Some("me") => Some(actor.id),
        other => query_id("owner", other)
            .map_err(|_| ApiError::field("owner", "must be me or a user id"))?,
    };
    let filter = ActionFilter {
        review_id: query_id("review_id", review_id)?,
        owner_user_id,
        status: query_named("status", status)?,
    };
    let rows = reviews::find_actions(state.db(), &actor, &filter, page).await?;
    Ok(Reply::ok(Page::from_rows(
        rows,
        page,
        |row| row.id,
        ActionOut::from,
    )))
}

/// One page of action items.
#[derive(Serialize, ToSchema)]
pub struct ActionPage {
    pub items: Vec<ActionOut>,
    pub next_cursor: Option<String>,
}

/// An action item of a review the caller may read.
#[utoipa::path(get, path = "/actions/{id}", tag = "reviews", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ActionOut), (status = 404, body = crate::error::Problem)))]
#[get("/actions/<id>")]
async fn show_action(
    state: &State<AppState>,
    actor: AuthUser,
    id: i64,
) -> ApiResult<Reply<ActionOut>> {
    let row = reviews::get_action(state.db(), &actor, id).await?;
    let version = row.version;
    Ok(Reply::ok(ActionOut::from(row)).versioned(version))
}

/// Edits or closes an action item; closing notifies the other department.
#[utoipa::path(patch, path = "/actions/{id}", tag = "reviews", request_body = ActionPatch, security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ActionOut), (status = 409, body = crate::error::Problem),
              (status = 412, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[patch("/actions/<id>", data = "<body>")]
async fn update_action(
    state: &State<AppState>,
    actor: AuthUser,
    id: i64,
    if_match: ExpectedVersion,
    body: Body<ActionPatch>,
) -> ApiResult<Reply<ActionOut>> {
    let body = body.0;
    let row = reviews::update_action(
        state.db(),
        &actor,
        id,
        if_match,
        ActionChanges {
            title: body.title,
            due_on: body.due_on,
            status: body.status,
            resolution_note: body.resolution_note,
        },
    )
    .await?;
    let version = row.version;
    Ok(Reply::ok(ActionOut::from(row)).versioned(version))
}

/// A new calendar-feed token for the caller (any earlier one stops working).
#[utoipa::path(post, path = "/calendar-feed-token", tag = "reviews", security(("bearer" = [])),
    responses((status = 201, body = FeedTokenOut)))]
#[post("/calendar-feed-token")]
async fn issue_feed_token(
    state: &State<AppState>,
    actor: AuthUser,
) -> ApiResult<Reply<FeedTokenOut>> {
    let token = reviews::issue_feed_token(state.db(), &actor).await?;
    Ok(Reply::created(FeedTokenOut {
        url: format!("/api/v1/calendar.ics?token={token}"),
        token,
    }))
}

/// Revokes the caller's calendar-feed token.
#[utoipa::path(delete, path = "/calendar-feed-token", tag = "reviews", security(("bearer" = [])),
    responses((status = 204, description = "revoked")))]
#[delete("/calendar-feed-token")]
async fn revoke_feed_token(state: &State<AppState>, actor: AuthUser) -> ApiResult<Status> {
    reviews::revoke_feed_token(state.db(), &actor).await?;
    Ok(Status::NoContent)
}

/// The caller's upcoming reviews as an RFC 5545 calendar.
#[utoipa::path(get, path = "/calendar.ics", tag = "reviews", params(("token" = String, Query)),
    responses((status = 200, content_type = "text/calendar", description = "iCalendar feed"),
              (status = 401, body = crate::error::Problem)))]
#[get("/calendar.ics?<token>")]
async fn calendar_feed(
    state: &State<AppState>,
    token: Option<&str>,
) -> ApiResult<(ContentType, String)> {
    let token = token.ok_or_else(|| ApiError::Unauthorized("the feed needs ?token=".into()))?;
    let body = reviews::feed_for_token(state.db(), token).await?;
    Ok((
        ContentType::new("text", "calendar").with_params(("charset", "utf-8")),
        body,
    ))
}
