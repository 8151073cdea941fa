//! `/pulses`: pulse checks of agreements (how well a provider serves its
//! internal customer, 1–10, and the one thing it could do better), their
//! answers and the provider's answer back. Who sees whose name is the
//! service's rule (`services::pulses`).

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::ids::{AgreementId, DepartmentId, UserId};
use crate::error::ApiResult;
use crate::http::{Body, Reply, query_id};
use crate::identity::AuthUser;
use crate::pagination::{NewestFirst, Page};
use crate::services::pulses::{self, SeenPulse};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![list, show, answer, respond]
}

#[derive(Serialize, ToSchema)]
pub struct PulseAnswerOut {
    pub score: i32,
    /// The one thing the provider could do better (may be empty).
    pub one_thing: String,
    pub answered_at: DateTime<Utc>,
    /// Who answered: only for the provider's lead, admins, and the person
    /// who answered; `null` for everyone else (answers are shown by department).
    pub user_id: Option<UserId>,
    /// The reader gave this answer.
    pub mine: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PulseOut {
    pub id: i64,
    pub agreement_id: AgreementId,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    /// 1 for the agreement's first pulse.
    pub period: i32,
    pub opened_at: DateTime<Utc>,
    /// Answers are taken until then (5 working days of the customer's calendar).
    pub closes_at: DateTime<Utc>,
    pub open: bool,
    /// Mean score, two decimals; `null` without answers.
    pub average_score: Option<f64>,
    pub answers: Vec<PulseAnswerOut>,
    /// The provider's answer back: what they will do.
    pub response: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    pub responded_by_user_id: Option<UserId>,
    /// The action item the answer back became (on the pair's next review).
    pub action_item_id: Option<i64>,
    /// The reader may answer now.
    pub may_answer: bool,
    /// The reader may answer back now.
    pub may_respond: bool,
}

impl PulseOut {
    fn of(seen: SeenPulse, now: DateTime<Utc>) -> Self {
        let open = seen.is_open(now);
        let average_score = seen.average();
        let row = seen.row;
        PulseOut {
            id: row.id,
            agreement_id: row.agreement_id,
            provider_department_id: row.provider_department_id,
            customer_department_id: row.customer_department_id,
            period: row.period,
            opened_at: row.opened_at,
            closes_at: row.closes_at,
            open,
            average_score,
            answers: seen
                .answers
                .into_iter()
                .map(|a| PulseAnswerOut {
                    score: a.score,
                    one_thing: a.one_thing,
                    answered_at: a.answered_at,
                    user_id: a.user_id,
                    mine: a.mine,
                })
                .collect(),
            response: row.response,
            responded_at: row.responded_at,
            responded_by_user_id: row.responded_by_user_id,
            action_item_id: row.action_item_id,
            may_answer: seen.may_answer,
            may_respond: seen.may_respond,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PulseAnswerBody {
    /// 1 to 10.
    pub score: i64,
    /// The one thing they could do better; up to 2,000 characters, may be empty.
    #[serde(default)]
    pub one_thing: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PulseResponseBody {
    /// What the provider will do; 1 to 2,000 characters.
    pub response: String,
    /// Make it an action item, followed up at the pair's next scheduled
    /// review (`409` when none is scheduled); its closing is reported to
    /// the customer.
    pub action: Option<PulseActionBody>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PulseActionBody {
    pub title: String,
    pub owner_user_id: UserId,
    /// `YYYY-MM-DD`
    #[schema(value_type = String)]
    pub due_on: chrono::NaiveDate,
}

/// Pulses the caller may read (leads and staff: their department's), newest first.
#[utoipa::path(get, path = "/pulses", tag = "pulses", security(("bearer" = [])),
    params(("agreement" = Option<i64>, Query), ("department" = Option<i64>, Query, description = "provider or customer"),
           ("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<PulseOut>), (status = 422, body = crate::error::Problem)))]
#[get("/pulses?<agreement>&<department>&<limit>&<cursor>")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    agreement: Option<&str>,
    department: Option<&str>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Reply<Page<PulseOut>>> {
    let page = NewestFirst::parse(limit, cursor)?;
    let now = Utc::now();
    let rows = pulses::list(
        state.db(),
        &actor,
        page,
        query_id("agreement", agreement)?,
        query_id("department", department)?,
        now,
    )
    .await?;
    Ok(Reply::ok(Page::newest_first(
        rows,
        page,
        |seen| seen.row.id,
        |seen| PulseOut::of(seen, now),
    )))
}

#[utoipa::path(get, path = "/pulses/{id}", tag = "pulses", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PulseOut), (status = 404, body = crate::error::Problem)))]
#[get("/pulses/<id>")]
async fn show(state: &State<AppState>, actor: AuthUser, id: i64) -> ApiResult<Reply<PulseOut>> {
    let now = Utc::now();
    let seen = pulses::show(state.db(), &actor, id, now).await?;
    Ok(Reply::ok(PulseOut::of(seen, now)))
}

/// Answers a pulse (the customer department's leads and staff, once, while open).
#[utoipa::path(post, path = "/pulses/{id}/answers", tag = "pulses", request_body = PulseAnswerBody,
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = PulseOut),
              (status = 403, description = "not of the customer department", body = crate::error::Problem),
              (status = 404, body = crate::error::Problem),
              (status = 409, description = "closed, or answered already", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/pulses/<id>/answers", data = "<body>")]
async fn answer(
    state: &State<AppState>,
    actor: AuthUser,
    id: i64,
    body: Body<PulseAnswerBody>,
) -> ApiResult<Reply<PulseOut>> {
    let now = Utc::now();
    pulses::answer(state.db(), &actor, id, body.0.score, &body.0.one_thing, now).await?;
    let seen = pulses::show(state.db(), &actor, id, now).await?;
    Ok(Reply::created(PulseOut::of(seen, now)))
}

/// The provider's lead answers back, once: what they will do. The customer
/// department's people are told.
#[utoipa::path(post, path = "/pulses/{id}/response", tag = "pulses", request_body = PulseResponseBody,
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = PulseOut),
              (status = 403, description = "not the provider's lead", body = crate::error::Problem),
              (status = 404, body = crate::error::Problem),
              (status = 409, description = "answered back already", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/pulses/<id>/response", data = "<body>")]
async fn respond(
    state: &State<AppState>,
    actor: AuthUser,
    id: i64,
    body: Body<PulseResponseBody>,
) -> ApiResult<Reply<PulseOut>> {
    let now = Utc::now();
    let body = body.0;
    let action = body
        .action
        .map(|action| crate::services::reviews::NewAction {
            title: action.title,
            owner_user_id: action.owner_user_id,
            due_on: action.due_on,
        });
    pulses::respond(state.db(), &actor, id, &body.response, action, now).await?;
    let seen = pulses::show(state.db(), &actor, id, now).await?;
    Ok(Reply::ok(PulseOut::of(seen, now)))
}
