//! `/organisation`: the caller's organisation and its settings (admin writes).

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, patch, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::ids::OrganisationId;
use crate::entities::organisation;
use crate::error::ApiResult;
use crate::http::Admin;
use crate::http::{Body, Reply};
use crate::identity::AuthUser;
use crate::routes::nullable;
use crate::services::ExpectedVersion;
use crate::services::organisations::{self, OrganisationChanges};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show, update]
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationOut {
    pub id: OrganisationId,
    pub name: String,
    pub timezone: String,
    /// Slack below this many working minutes makes a commitment `at_risk`.
    pub at_risk_threshold_minutes: i32,
    /// Working minutes (of the provider's calendar) a breach lasts before it
    /// is escalated to the organisation's leaders; null: never.
    pub escalation_minutes: Option<i32>,
    /// The calendar of departments created without one; never deleted.
    pub default_calendar_id: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl From<organisation::Model> for OrganisationOut {
    fn from(row: organisation::Model) -> Self {
        OrganisationOut {
            id: row.id,
            name: row.name,
            timezone: row.timezone,
            at_risk_threshold_minutes: row.at_risk_threshold_minutes,
            escalation_minutes: row.escalation_minutes,
            default_calendar_id: row.default_calendar_id,
            version: row.version,
            created_at: row.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub at_risk_threshold_minutes: Option<i64>,
    /// Null turns the escalation off.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub escalation_minutes: Option<Option<i64>>,
    /// One of the organisation's calendars.
    pub default_calendar_id: Option<i64>,
}

#[utoipa::path(get, path = "/organisation", tag = "organisation", security(("bearer" = [])),
    responses((status = 200, body = OrganisationOut)))]
#[get("/organisation")]
async fn show(state: &State<AppState>, actor: AuthUser) -> ApiResult<Reply<OrganisationOut>> {
    let row = organisations::get(state.db(), &actor).await?;
    let version = row.version;
    Ok(Reply::ok(OrganisationOut::from(row)).versioned(version))
}

#[utoipa::path(patch, path = "/organisation", tag = "organisation", request_body = OrganisationPatch,
    security(("bearer" = [])), params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = OrganisationOut), (status = 403, body = crate::error::Problem),
              (status = 412, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[patch("/organisation", data = "<body>")]
async fn update(
    state: &State<AppState>,
    actor: Admin,
    if_match: ExpectedVersion,
    body: Body<OrganisationPatch>,
) -> ApiResult<Reply<OrganisationOut>> {
    let body = body.0;
    let row = organisations::update(
        state.db(),
        &actor,
        if_match,
        OrganisationChanges {
            name: body.name,
            timezone: body.timezone,
            at_risk_threshold_minutes: body.at_risk_threshold_minutes,
            escalation_minutes: body.escalation_minutes,
            default_calendar_id: body.default_calendar_id,
        },
    )
    .await?;
    let version = row.version;
    Ok(Reply::ok(OrganisationOut::from(row)).versioned(version))
}
