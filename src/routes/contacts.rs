//! `/departments/{id}/contact-plan` and `/departments/{id}/contacts`: the
//! daily contact plan of a providing department's lead (`services::contacts`).

use chrono::{DateTime, NaiveDate, Utc};
use rocket::{Route, State, get, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::contact;
use crate::entities::ids::{DepartmentId, UserId};
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Reply};
use crate::identity::AuthUser;
use crate::services::contacts;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![plan, record]
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionOut {
    pub customer_department_id: DepartmentId,
    pub recent_score: Option<f64>,
    pub last_contact: Option<NaiveDate>,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    pub id: i64,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: Option<DepartmentId>,
    pub user_id: UserId,
    pub day: NaiveDate,
    /// `contacted | skipped`
    #[schema(value_type = String)]
    pub outcome: contact::ContactOutcome,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl From<contact::Model> for ContactOut {
    fn from(row: contact::Model) -> Self {
        ContactOut {
            id: row.id,
            provider_department_id: row.provider_department_id,
            customer_department_id: row.customer_department_id,
            user_id: row.user_id,
            day: row.day,
            outcome: row.outcome,
            note: row.note,
            created_at: row.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PlanOut {
    /// The department's local date.
    pub day: NaiveDate,
    pub working_day: bool,
    /// Whom to contact today; `null` on a day off or without customers.
    pub suggestion: Option<SuggestionOut>,
    /// What was recorded today.
    pub today: Option<ContactOut>,
    /// Days contacted and skipped in the last 30 days.
    pub contacted: u64,
    pub skipped: u64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// Whom you contacted; leave out with `skipped: true`.
    pub customer_department_id: Option<DepartmentId>,
    /// What was said (required for a contact).
    #[serde(default)]
    pub note: String,
    /// Skip today.
    #[serde(default)]
    pub skipped: bool,
}

/// Today's contact plan of a providing department (its lead, admins).
#[utoipa::path(get, path = "/departments/{id}/contact-plan", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PlanOut), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
#[get("/departments/<id>/contact-plan")]
async fn plan(
    state: &State<AppState>,
    actor: AuthUser,
    id: DepartmentId,
) -> ApiResult<Reply<PlanOut>> {
    let plan = contacts::plan(state.db(), &state.calendars, &actor, id, Utc::now()).await?;
    Ok(Reply::ok(PlanOut {
        day: plan.day,
        working_day: plan.working_day,
        suggestion: plan.suggestion.map(|s| SuggestionOut {
            customer_department_id: s.customer_department_id,
            recent_score: s.recent_score,
            last_contact: s.last_contact,
            reason: s.reason,
        }),
        today: plan.today.map(ContactOut::from),
        contacted: plan.contacted,
        skipped: plan.skipped,
    }))
}

/// Records today's contact, or that today is skipped; once a day.
#[utoipa::path(post, path = "/departments/{id}/contacts", tag = "contacts", request_body = ContactBody,
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = ContactOut), (status = 403, body = crate::error::Problem),
              (status = 409, description = "recorded already today, or not a working day", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/departments/<id>/contacts", data = "<body>")]
async fn record(
    state: &State<AppState>,
    actor: AuthUser,
    id: DepartmentId,
    body: Body<ContactBody>,
) -> ApiResult<Reply<ContactOut>> {
    let body = body.0;
    let customer = match (body.customer_department_id, body.skipped) {
        (Some(customer), false) => Some(customer),
        (None, true) => None,
        _ => {
            return Err(ApiError::field(
                "customer_department_id",
                "name whom you contacted, or send skipped: true (not both)",
            ));
        }
    };
    let row = contacts::record(
        state.db(),
        &state.calendars,
        &actor,
        id,
        customer,
        &body.note,
        Utc::now(),
    )
    .await?;
    Ok(Reply::created(ContactOut::from(row)))
}
