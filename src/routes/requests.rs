//! `/requests`: logging internal requests and working them through their
//! lifecycle (SPEC §3, appendix A).

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Route, State, get, patch, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::ids::{AgreementId, CommitmentId, DepartmentId, RequestId, UserId};
use crate::entities::request::{self, ServiceLevel};
use crate::error::{ApiError, ApiResult};
use crate::http::RequestActor;
use crate::http::csv::RequestsCsv;
use crate::http::{Body, OptionalBody, QueryPairs, Reply};
use crate::identity::AuthUser;
use crate::pagination::{Page, PageRequest, Ranked};
use crate::routes::events::EventOut;
use crate::routes::reports::Format;
use crate::services::ExpectedVersion;
use crate::services::events::{self, Subject};
use crate::services::requests::{
    self, Action, NewRequest, RequestChanges, RequestStatus, RequestView, dependencies_of,
};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![
        create, list, show, update, start, pause, resume, forecast, deliver, accept, reopen,
        cancel, rate, history
    ]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequestBody {
    pub agreement_id: AgreementId,
    pub title: String,
    #[serde(default)]
    pub details: String,
    /// Defaults to now; may be in the past, at most 5 minutes ahead.
    pub requested_at: Option<DateTime<Utc>>,
    /// Requests whose deliverables the provider needs first.
    #[serde(default)]
    pub depends_on: Vec<RequestId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestPatch {
    pub title: Option<String>,
    pub details: Option<String>,
    pub depends_on: Option<Vec<RequestId>>,
    /// Who of the provider department has it; `null` takes it off them
    /// (provider side).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub assignee_user_id: Option<Option<UserId>>,
}

/// A field that may be `null`: absent is `None`, `null` is `Some(None)`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A transition with nothing to say but, optionally, when it happened.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AtBody {
    /// When it really happened (not in the future, not before the previous change).
    pub at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
    pub at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastBody {
    pub expected_at: DateTime<Utc>,
    pub reason: String,
    pub at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// 1 to 10.
    pub score: i64,
    #[serde(default)]
    pub comment: String,
    pub at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct RatingOut {
    pub score: i32,
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct RequestOut {
    pub id: RequestId,
    pub agreement_id: AgreementId,
    /// The agreement's terms version the request was logged under.
    pub agreement_version: i32,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub title: String,
    pub details: String,
    #[schema(value_type = String)]
    pub status: RequestStatus,
    pub requested_at: DateTime<Utc>,
    pub logged_at: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
    pub clock_start: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub expected_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Signed working minutes from due to delivery; `null` until delivered.
    pub lateness_minutes: Option<i64>,
    pub on_time: Option<bool>,
    pub rating: Option<RatingOut>,
    /// Someone of the customer side thanked for the delivery.
    pub thanked: bool,
    /// How well the delivery served its customer, `null` until delivered:
    /// `missed` (late, or rated 4 or lower), `amazed` (on time, rated 10 and
    /// thanked), `delighted` (on time, rated 9 or 10), `exceeded` (on time
    /// within half the agreed time, pauses excluded), else `satisfied`.
    #[schema(value_type = Option<String>)]
    pub service_level: Option<ServiceLevel>,
    pub version: i32,
    /// Who of the provider department has it.
    pub assignee_user_id: Option<UserId>,
    pub depends_on: Vec<RequestId>,
    /// When it will really be done (SPEC §4): its delivery, or the latest
    /// of its due (counted from its inputs' projected finishes), its
    /// forecast and now.
    pub projected_finish: Option<DateTime<Utc>>,
    /// Open commitments, late or at risk, whose critical path runs through it.
    pub endangered_commitment_ids: Vec<CommitmentId>,
}

impl From<RequestView> for RequestOut {
    fn from(view: RequestView) -> Self {
        let RequestView {
            row,
            depends_on,
            projected_finish,
            endangered_commitment_ids,
        } = view;
        RequestOut {
            id: row.id,
            agreement_id: row.agreement_id,
            agreement_version: row.agreement_version,
            provider_department_id: row.provider_department_id,
            customer_department_id: row.customer_department_id,
            title: row.title,
            details: row.details,
            status: row.status,
            requested_at: row.requested_at,
            logged_at: row.logged_at,
            ready_at: row.ready_at,
            clock_start: row.clock_start,
            due_at: row.due_at,
            expected_at: row.expected_at,
            delivered_at: row.delivered_at,
            lateness_minutes: row.lateness_minutes,
            on_time: row.on_time,
            rating: row.rating_score.map(|score| RatingOut {
                score,
                comment: row.rating_comment.unwrap_or_default(),
            }),
            thanked: row.thanked,
            service_level: row.service_level,
            version: row.version,
            assignee_user_id: row.assignee_user_id,
            depends_on,
            projected_finish,
            endangered_commitment_ids,
        }
    }
}

/// Shapes rows for the API: the services' views of them.
async fn render(state: &AppState, rows: Vec<request::Model>) -> ApiResult<Vec<RequestOut>> {
    Ok(requests::views(state.db(), &state.calendars, rows)
        .await?
        .into_iter()
        .map(RequestOut::from)
        .collect())
}

async fn reply(
    state: &AppState,
    row: request::Model,
    status: Status,
) -> ApiResult<Reply<RequestOut>> {
    let version = row.version;
    let out = render(state, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("request vanished while rendering".into()))?;
    let reply = if status == Status::Created {
        Reply::created(out)
    } else {
        Reply::ok(out)
    };
    Ok(reply.versioned(version))
}

/// The optional `Idempotency-Key` header.
pub struct IdempotencyKey(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKey {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(IdempotencyKey(
            request
                .headers()
                .get_one("Idempotency-Key")
                .map(str::to_owned),
        ))
    }
}

/// Logs a request (the customer side) under an active agreement.
#[utoipa::path(post, path = "/requests", tag = "requests", request_body = NewRequestBody,
    security(("bearer" = [])), params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = RequestOut), (status = 403, body = crate::error::Problem),
              (status = 409, description = "agreement not active", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/requests", data = "<body>")]
async fn create(
    state: &State<AppState>,
    actor: AuthUser,
    key: IdempotencyKey,
    body: Body<NewRequestBody>,
) -> ApiResult<Reply<RequestOut>> {
    let body = body.0;
    let input = NewRequest {
        agreement_id: body.agreement_id,
        title: body.title,
        details: body.details,
        requested_at: body.requested_at,
        depends_on: body.depends_on,
    };
    let depends_on = input.depends_on.clone();
    let logged = requests::log(&state.context(actor.clone()), input, key.0.as_deref()).await?;
    let version = logged.request.version;
    let out = if logged.replayed {
        // A replay answers as the first call did, but by then other requests
        // may depend on it: rendered in full.
        render(state, vec![logged.request])
            .await?
            .pop()
            .ok_or_else(|| ApiError::Internal("request vanished while rendering".into()))?
    } else {
        let mut inputs = depends_on;
        inputs.sort_unstable();
        inputs.dedup();
        // Nothing is downstream of a new request yet: it endangers nothing.
        RequestOut::from(RequestView {
            row: logged.request,
            depends_on: inputs,
            projected_finish: logged.projected_finish,
            endangered_commitment_ids: Vec::new(),
        })
    };
    Ok(Reply::created(out).versioned(version))
}

/// The list as JSON pages, or the whole filtered set as CSV.
pub enum ListReply {
    Json(Reply<Page<RequestOut>>),
    Csv(Box<RequestsCsv>),
}

impl<'r> rocket::response::Responder<'r, 'r> for ListReply {
    fn respond_to(self, request: &'r Request<'_>) -> rocket::response::Result<'r> {
        match self {
            ListReply::Json(reply) => reply.respond_to(request),
            ListReply::Csv(csv) => csv.respond_to(request),
        }
    }
}

/// Requests the caller may see (staff and leads: those touching their
/// department), by ascending id; with `q`, those whose title, details or
/// conversation hold every word, best match first. `Accept: text/csv` gives
/// the whole filtered set as CSV.
#[utoipa::path(get, path = "/requests", tag = "requests", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query),
           ("status" = Option<String>, Query), ("provider" = Option<i64>, Query),
           ("customer" = Option<i64>, Query), ("agreement" = Option<i64>, Query),
           ("overdue" = Option<bool>, Query), ("due_before" = Option<String>, Query),
           ("due_after" = Option<String>, Query),
           ("assignee" = Option<String>, Query, description = "`me` or `none`"),
           ("assignee_user_id" = Option<i64>, Query),
           ("q" = Option<String>, Query, description = "words to find, at most 200 characters")),
    responses((status = 200, description = "one page (by ascending id, or best match first with `q`), or CSV",
               content((Page<RequestOut> = "application/json"), (String = "text/csv")))))]
#[get("/requests")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    format: Format,
    query: QueryPairs,
) -> ApiResult<ListReply> {
    let filter = requests::query::filter_of(&actor, |key| query.get(key))?;
    let (limit, cursor) = (query.get("limit"), query.get("cursor"));
    if format == Format::Csv {
        // Paging parameters are still checked: a bad one is a mistake worth saying.
        PageRequest::parse(limit, None)?;
        return Ok(ListReply::Csv(Box::new(RequestsCsv::new(
            state.db().detached(),
            actor,
            filter,
        ))));
    }
    let page = match &filter.search {
        Some(search) => {
            let ranked = Ranked::parse(limit, cursor)?;
            let rows = requests::search(state.db(), &actor, ranked, search, &filter).await?;
            Page::ranked(rows, ranked, |row| row)
        }
        None => {
            let page = PageRequest::parse(limit, cursor)?;
            let rows = requests::list(state.db(), &actor, page, &filter).await?;
            Page::from_rows(rows, page, |row| row.id, |row| row)
        }
    };
    let items = render(state, page.items).await?;
    Ok(ListReply::Json(Reply::ok(Page {
        items,
        next_cursor: page.next_cursor,
    })))
}

#[utoipa::path(get, path = "/requests/{id}", tag = "requests", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = RequestOut), (status = 404, body = crate::error::Problem)))]
#[get("/requests/<id>")]
async fn show(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
) -> ApiResult<Reply<RequestOut>> {
    let row = requests::get(state.db(), &actor, id).await?;
    reply(state, row, Status::Ok).await
}

/// Edits title, details or dependencies (customer side; a cycle is 422),
/// or who has it (provider side: an active person of the provider department).
#[utoipa::path(patch, path = "/requests/{id}", tag = "requests", request_body = RequestPatch,
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = RequestOut), (status = 412, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[patch("/requests/<id>", data = "<body>")]
async fn update(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
    if_match: ExpectedVersion,
    body: Body<RequestPatch>,
) -> ApiResult<Reply<RequestOut>> {
    let body = body.0;
    let row = requests::edit(
        &state.context(actor.clone()),
        id,
        if_match,
        RequestChanges {
            title: body.title,
            details: body.details,
            depends_on: body.depends_on,
            assignee: body.assignee_user_id,
        },
    )
    .await?;
    reply(state, row, Status::Ok).await
}

async fn transition(
    state: &AppState,
    actor: AuthUser,
    id: RequestId,
    if_match: ExpectedVersion,
    action: Action,
    at: Option<DateTime<Utc>>,
) -> ApiResult<Reply<RequestOut>> {
    let (row, projected) =
        requests::act_projected(&state.context(actor.clone()), id, if_match, action, at).await?;
    // The change stored the projection of the commitments downstream; when
    // the request lies in it, the answer is shaped from it, not projected again.
    if let Some(mut projected) = projected.filter(|p| p.requests.contains_key(&row.id)) {
        let version = row.version;
        let inputs = dependencies_of(state.db(), &[row.id])
            .await?
            .into_iter()
            .map(|(_, input)| input)
            .collect();
        let view = RequestView::from_projection(row, inputs, &mut projected);
        return Ok(Reply::ok(RequestOut::from(view)).versioned(version));
    }
    reply(state, row, Status::Ok).await
}

/// A body for transitions whose body is optional: absent means `{}`.
type OptionalAt = OptionalBody<AtBody>;

fn at_of(body: OptionalAt) -> Option<DateTime<Utc>> {
    body.0.and_then(|body| body.at)
}

macro_rules! simple_transition {
    ($name:ident, $doc_path:literal, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $doc_path, tag = "requests", request_body(content = Option<AtBody>),
            security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
            responses((status = 200, body = RequestOut), (status = 403, body = crate::error::Problem),
                      (status = 409, body = crate::error::Problem), (status = 412, body = crate::error::Problem)))]
        #[post($path, data = "<body>")]
        async fn $name(
            state: &State<AppState>,
            actor: RequestActor,
            id: RequestId,
            if_match: ExpectedVersion,
            body: OptionalAt,
        ) -> ApiResult<Reply<RequestOut>> {
            transition(state, actor.0, id, if_match, $action, at_of(body)).await
        }
    };
}

simple_transition!(
    start,
    "/requests/{id}/start",
    "/requests/<id>/start",
    Action::Start,
    "`open | reopened → in_progress` (provider)."
);
simple_transition!(
    resume,
    "/requests/{id}/resume",
    "/requests/<id>/resume",
    Action::Resume,
    "Ends a pause: back to the status before it; the due moves by the working time paused (provider)."
);
simple_transition!(
    deliver,
    "/requests/{id}/deliver",
    "/requests/<id>/deliver",
    Action::Deliver,
    "`in_progress → delivered`, recording lateness (provider)."
);
simple_transition!(
    accept,
    "/requests/{id}/accept",
    "/requests/<id>/accept",
    Action::Accept,
    "`delivered → accepted` (customer)."
);

macro_rules! reason_transition {
    ($name:ident, $doc_path:literal, $path:literal, $variant:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $doc_path, tag = "requests", request_body = ReasonBody,
            security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
            responses((status = 200, body = RequestOut), (status = 403, body = crate::error::Problem),
                      (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
        #[post($path, data = "<body>")]
        async fn $name(
            state: &State<AppState>,
            actor: RequestActor,
            id: RequestId,
            if_match: ExpectedVersion,
            body: Body<ReasonBody>,
        ) -> ApiResult<Reply<RequestOut>> {
            let body = body.0;
            transition(state, actor.0, id, if_match, Action::$variant { reason: body.reason }, body.at).await
        }
    };
}

reason_transition!(
    pause,
    "/requests/{id}/pause",
    "/requests/<id>/pause",
    Pause,
    "`open | in_progress → waiting_on_customer`: the clock stops (provider)."
);
reason_transition!(
    reopen,
    "/requests/{id}/reopen",
    "/requests/<id>/reopen",
    Reopen,
    "`delivered → reopened` for rework; the original due stands (customer)."
);
reason_transition!(
    cancel,
    "/requests/{id}/cancel",
    "/requests/<id>/cancel",
    Cancel,
    "`open | in_progress | waiting_on_customer → cancelled` (customer)."
);

/// Records when the provider now expects to deliver; later than due notifies the customer.
#[utoipa::path(post, path = "/requests/{id}/forecast", tag = "requests", request_body = ForecastBody,
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = RequestOut), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[post("/requests/<id>/forecast", data = "<body>")]
async fn forecast(
    state: &State<AppState>,
    actor: RequestActor,
    id: RequestId,
    if_match: ExpectedVersion,
    body: Body<ForecastBody>,
) -> ApiResult<Reply<RequestOut>> {
    let body = body.0;
    let action = Action::Forecast {
        expected_at: body.expected_at,
        reason: body.reason,
    };
    transition(state, actor.0, id, if_match, action, body.at).await
}

/// Rates a delivery once, 1–10 with a comment (customer).
#[utoipa::path(post, path = "/requests/{id}/rating", tag = "requests", request_body = RatingBody,
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = RequestOut), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[post("/requests/<id>/rating", data = "<body>")]
async fn rate(
    state: &State<AppState>,
    actor: RequestActor,
    id: RequestId,
    if_match: ExpectedVersion,
    body: Body<RatingBody>,
) -> ApiResult<Reply<RequestOut>> {
    let body = body.0;
    let action = Action::Rate {
        score: body.score,
        comment: body.comment,
    };
    transition(state, actor.0, id, if_match, action, body.at).await
}

/// Every change to the request, oldest first.
#[utoipa::path(get, path = "/requests/{id}/events", tag = "requests", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = [EventOut]), (status = 404, body = crate::error::Problem)))]
#[get("/requests/<id>/events")]
async fn history(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
) -> ApiResult<Reply<Vec<EventOut>>> {
    let row = requests::get(state.db(), &actor, id).await?;
    let rows =
        events::of_subject(state.db(), actor.organisation_id, Subject::Request(row.id)).await?;
    Ok(Reply::ok(rows.into_iter().map(EventOut::from).collect()))
}
