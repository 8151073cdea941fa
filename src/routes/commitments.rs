//! `/commitments`: promises to outside customers, their projection (when
//! will it really land, and whose slip decides it) and forecast.

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, patch, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::commitment;
use crate::entities::commitment::{CommitmentStatus, StoredRisk};
use crate::entities::ids::{CommitmentId, DepartmentId, RequestId};
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, OptionalBody, Reply, query_id};
use crate::identity::AuthUser;
use crate::pagination::{Page, PageRequest};
use crate::routes::agreements::TurnaroundBody;
use crate::routes::events::EventOut;
use crate::services::ExpectedVersion;
use crate::services::commitments::{
    self, Closing, CommitmentChanges, CommitmentFilter, CommitmentView, NewCommitment,
};
use crate::services::events::{self, Subject};
use crate::services::{forecasting, projection};
use crate::state::AppState;
use crate::time::Turnaround;
use crate::validate::query_named;

pub fn routes() -> Vec<Route> {
    routes![
        create, list, show, update, fulfil, cancel, project, forecast, history
    ]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommitmentBody {
    pub customer_name: String,
    pub title: String,
    pub promised_at: DateTime<Utc>,
    pub owner_department_id: DepartmentId,
    /// Business time the owner needs after the last handoff; default zero.
    #[schema(value_type = Option<TurnaroundBody>)]
    pub lead_time: Option<Turnaround>,
    #[serde(default)]
    pub depends_on: Vec<RequestId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentPatch {
    pub customer_name: Option<String>,
    pub title: Option<String>,
    pub promised_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<TurnaroundBody>)]
    pub lead_time: Option<Turnaround>,
    pub depends_on: Option<Vec<RequestId>>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct FulfilBody {
    pub at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct CommitmentOut {
    pub id: CommitmentId,
    pub customer_name: String,
    pub title: String,
    pub promised_at: DateTime<Utc>,
    pub owner_department_id: DepartmentId,
    #[schema(value_type = TurnaroundBody)]
    pub lead_time: Turnaround,
    /// `open | fulfilled | cancelled`
    #[schema(value_type = String)]
    pub status: CommitmentStatus,
    pub fulfilled_at: Option<DateTime<Utc>>,
    pub depends_on: Vec<RequestId>,
    /// The projection stored at the last change upstream, as of `projected_as_of`
    /// (`GET /commitments/{id}/projection` projects afresh).
    #[schema(value_type = Option<String>)]
    pub risk: Option<StoredRisk>,
    pub projected_at: Option<DateTime<Utc>>,
    pub slip_minutes: Option<i64>,
    pub slack_minutes: Option<i64>,
    pub projected_as_of: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl CommitmentOut {
    fn build(row: commitment::Model, depends_on: Vec<RequestId>) -> ApiResult<Self> {
        Ok(CommitmentOut {
            lead_time: crate::services::agreements::turnaround_of(
                row.lead_time_unit,
                row.lead_time_quantity,
            )?,
            id: row.id,
            customer_name: row.customer_name,
            title: row.title,
            promised_at: row.promised_at,
            owner_department_id: row.owner_department_id,
            status: row.status,
            fulfilled_at: row.fulfilled_at,
            depends_on,
            risk: row.risk,
            projected_at: row.projected_at,
            slip_minutes: row.slip_minutes,
            slack_minutes: row.slack_minutes,
            projected_as_of: row.projected_as_of,
            version: row.version,
            created_at: row.created_at,
        })
    }
}

async fn reply(
    state: &AppState,
    row: commitment::Model,
    created: bool,
) -> ApiResult<Reply<CommitmentOut>> {
    let version = row.version;
    let depends_on = commitments::dependencies(state.db(), row.id).await?;
    let out = CommitmentOut::build(row, depends_on)?;
    Ok(if created {
        Reply::created(out)
    } else {
        Reply::ok(out)
    }
    .versioned(version))
}

/// A projection as of a moment, with that moment.
#[derive(Serialize, ToSchema)]
pub struct ProjectionOut {
    pub commitment_id: CommitmentId,
    pub as_of: DateTime<Utc>,
    pub projected_at: DateTime<Utc>,
    pub baseline_at: DateTime<Utc>,
    pub slip_minutes: i64,
    pub slack_minutes: i64,
    /// `on_track | at_risk | late`
    pub risk: String,
    /// Request ids, upstream first.
    pub critical_path: Vec<i64>,
    #[schema(value_type = Vec<Object>)]
    pub root_causes: Vec<crate::projection::RootCause>,
}

#[derive(Serialize, ToSchema)]
pub struct ForecastOut {
    pub p50: DateTime<Utc>,
    pub p80: DateTime<Utc>,
    pub p90: DateTime<Utc>,
    pub probability_on_time: f64,
    pub trials: u32,
    pub seed: u64,
    pub as_of: DateTime<Utc>,
}

fn as_of_param(value: Option<&str>) -> ApiResult<DateTime<Utc>> {
    Ok(crate::validate::optional_query_instant("as_of", value)?.unwrap_or_else(Utc::now))
}

#[utoipa::path(post, path = "/commitments", tag = "commitments", request_body = NewCommitmentBody,
    security(("bearer" = [])),
    responses((status = 201, body = CommitmentOut), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/commitments", data = "<body>")]
async fn create(
    state: &State<AppState>,
    actor: AuthUser,
    body: Body<NewCommitmentBody>,
) -> ApiResult<Reply<CommitmentOut>> {
    let body = body.0;
    let row = commitments::create(
        &state.context(actor.clone()),
        NewCommitment {
            customer_name: body.customer_name,
            title: body.title,
            promised_at: body.promised_at,
            owner_department_id: body.owner_department_id,
            lead_time: body.lead_time,
            depends_on: body.depends_on,
        },
    )
    .await?;
    reply(state, row, true).await
}

/// Commitments of the organisation; `risk` filters open ones by their stored projection.
#[utoipa::path(get, path = "/commitments", tag = "commitments", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query),
           ("risk" = Option<String>, Query), ("status" = Option<String>, Query),
           ("owner" = Option<i64>, Query)),
    responses((status = 200, description = "one page, by ascending id", body = Page<CommitmentOut>)))]
#[get("/commitments?<limit>&<cursor>&<risk>&<status>&<owner>")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    limit: Option<&str>,
    cursor: Option<&str>,
    risk: Option<&str>,
    status: Option<&str>,
    owner: Option<&str>,
) -> ApiResult<Reply<Page<CommitmentOut>>> {
    let page = PageRequest::parse(limit, cursor)?;
    let filter = CommitmentFilter {
        risk: query_named("risk", risk)?,
        status: query_named("status", status)?,
        owner_department_id: query_id("owner", owner)?,
    };
    let rows = commitments::list(state.db(), &actor, page, filter).await?;
    let page = Page::from_rows(rows, page, |row| row.id, |row| row);
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        let depends_on = commitments::dependencies(state.db(), row.id).await?;
        items.push(CommitmentOut::build(row, depends_on)?);
    }
    Ok(Reply::ok(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/commitments/{id}", tag = "commitments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = CommitmentOut), (status = 404, body = crate::error::Problem)))]
#[get("/commitments/<id>")]
async fn show(
    state: &State<AppState>,
    actor: AuthUser,
    id: CommitmentId,
) -> ApiResult<Reply<CommitmentOut>> {
    let row = commitments::get(state.db(), &actor, id).await?;
    reply(state, row, false).await
}

#[utoipa::path(patch, path = "/commitments/{id}", tag = "commitments", request_body = CommitmentPatch,
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CommitmentOut), (status = 409, body = crate::error::Problem),
              (status = 412, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[patch("/commitments/<id>", data = "<body>")]
async fn update(
    state: &State<AppState>,
    actor: AuthUser,
    id: CommitmentId,
    if_match: ExpectedVersion,
    body: Body<CommitmentPatch>,
) -> ApiResult<Reply<CommitmentOut>> {
    let body = body.0;
    let row = commitments::update(
        &state.context(actor.clone()),
        id,
        if_match,
        CommitmentChanges {
            customer_name: body.customer_name,
            title: body.title,
            promised_at: body.promised_at,
            lead_time: body.lead_time,
            depends_on: body.depends_on,
        },
    )
    .await?;
    reply(state, row, false).await
}

/// `open → fulfilled`.
#[utoipa::path(post, path = "/commitments/{id}/fulfil", tag = "commitments", request_body(content = Option<FulfilBody>),
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CommitmentOut), (status = 409, body = crate::error::Problem)))]
#[post("/commitments/<id>/fulfil", data = "<body>")]
async fn fulfil(
    state: &State<AppState>,
    actor: AuthUser,
    id: CommitmentId,
    if_match: ExpectedVersion,
    body: OptionalBody<FulfilBody>,
) -> ApiResult<Reply<CommitmentOut>> {
    let at = body.0.and_then(|body| body.at);
    let row = commitments::close(
        &state.context(actor.clone()),
        id,
        if_match,
        Closing::Fulfil { at },
    )
    .await?;
    reply(state, row, false).await
}

/// `open → cancelled` with a reason.
#[utoipa::path(post, path = "/commitments/{id}/cancel", tag = "commitments", request_body = CancelBody,
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CommitmentOut), (status = 409, body = crate::error::Problem)))]
#[post("/commitments/<id>/cancel", data = "<body>")]
async fn cancel(
    state: &State<AppState>,
    actor: AuthUser,
    id: CommitmentId,
    if_match: ExpectedVersion,
    body: Body<CancelBody>,
) -> ApiResult<Reply<CommitmentOut>> {
    let reason = body.0.reason;
    let row = commitments::close(
        &state.context(actor.clone()),
        id,
        if_match,
        Closing::Cancel { reason },
    )
    .await?;
    reply(state, row, false).await
}

/// When the commitment will really land, the chain that decides it and whose slip caused it.
#[utoipa::path(get, path = "/commitments/{id}/projection", tag = "commitments", security(("bearer" = [])),
    params(("id" = i64, Path), ("as_of" = Option<String>, Query, description = "RFC 3339; default now")),
    responses((status = 200, body = ProjectionOut), (status = 404, body = crate::error::Problem)))]
#[get("/commitments/<id>/projection?<as_of>")]
async fn project(
    state: &State<AppState>,
    actor: AuthUser,
    id: CommitmentId,
    as_of: Option<&str>,
) -> ApiResult<Reply<ProjectionOut>> {
    let as_of = as_of_param(as_of)?;
    let CommitmentView {
        row,
        projection: view,
        ..
    } = commitments::projection_view(&state.context(actor.clone()), id, as_of).await?;
    Ok(Reply::ok(ProjectionOut {
        commitment_id: row.id,
        as_of,
        projected_at: view.projected_at,
        baseline_at: view.baseline_at,
        slip_minutes: view.slip_minutes,
        slack_minutes: view.slack_minutes,
        risk: projection::risk_name(view.risk).into(),
        critical_path: view.critical_path,
        root_causes: view.root_causes,
    }))
}

/// Monte Carlo forecast: P50/P80/P90 and the probability of keeping the promise.
#[utoipa::path(get, path = "/commitments/{id}/forecast", tag = "commitments", security(("bearer" = [])),
    params(("id" = i64, Path), ("trials" = Option<u32>, Query, description = "1–100000, default 10000"),
           ("seed" = Option<u64>, Query, description = "default 1; the same seed gives the same answer"),
           ("as_of" = Option<String>, Query)),
    responses((status = 200, body = ForecastOut), (status = 422, body = crate::error::Problem)))]
#[get("/commitments/<id>/forecast?<trials>&<seed>&<as_of>")]
async fn forecast(
    state: &State<AppState>,
    actor: AuthUser,
    id: CommitmentId,
    trials: Option<&str>,
    seed: Option<&str>,
    as_of: Option<&str>,
) -> ApiResult<Reply<ForecastOut>> {
    let row = commitments::get(state.db(), &actor, id).await?;
    let trials = match trials.map(str::parse::<u32>) {
        None => 10_000,
        Some(Ok(n)) if (1..=100_000).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::field(
                "trials",
                "must be an integer from 1 to 100000",
            ));
        }
    };
    let seed = match seed.map(str::parse::<u64>) {
        None => 1,
        Some(Ok(seed)) => seed,
        Some(Err(_)) => return Err(ApiError::field("seed", "must be a non-negative integer")),
    };
    let as_of = as_of_param(as_of)?;
    let result = forecasting::forecast(
        state.db(),
        &state.calendars,
        actor.organisation_id,
        row.id,
        trials,
        seed,
        as_of,
    )
    .await?;
    Ok(Reply::ok(ForecastOut {
        p50: result.p50,
        p80: result.p80,
        p90: result.p90,
        probability_on_time: result.probability_on_time,
        trials: result.trials,
        seed,
        as_of,
    }))
}

#[utoipa::path(get, path = "/commitments/{id}/events", tag = "commitments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = [EventOut]), (status = 404, body = crate::error::Problem)))]
#[get("/commitments/<id>/events")]
async fn history(
    state: &State<AppState>,
    actor: AuthUser,
    id: CommitmentId,
) -> ApiResult<Reply<Vec<EventOut>>> {
    let row = commitments::get(state.db(), &actor, id).await?;
    let rows = events::of_subject(
        state.db(),
        actor.organisation_id,
        Subject::Commitment(row.id),
    )
    .await?;
    Ok(Reply::ok(rows.into_iter().map(EventOut::from).collect()))
}
