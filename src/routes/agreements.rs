//! `/agreements`: handoff agreements, their lifecycle and promise calibration.

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, patch, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::agreement;
use crate::entities::agreement::AgreementStatus;
use crate::entities::ids::{AgreementId, DepartmentId};
use crate::error::ApiResult;
use crate::http::AgreementWriter;
use crate::http::{Body, Reply, query_id};
use crate::identity::AuthUser;
use crate::pagination::{Page, PageRequest};
use crate::routes::events::EventOut;
use crate::services::ExpectedVersion;
use crate::services::agreements::{
    self, AgreementChanges, AgreementFilter, Calibration, NewAgreement, OnTimeFigures,
};
use crate::services::events::{self, Subject};
use crate::services::reviews;
use crate::state::AppState;
use crate::validate::query_named;
use crate::validate::turnaround_text;

/// Last held review per department pair.
type LastReviewed = std::collections::HashMap<(DepartmentId, DepartmentId), DateTime<Utc>>;
use crate::time::Turnaround;

pub fn routes() -> Vec<Route> {
    routes![
        create,
        list,
        show,
        update,
        propose,
        accept,
        decline,
        retire,
        calibration,
        history
    ]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgreementBody {
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub title: String,
    pub deliverable: String,
    pub definition_of_done: String,
    /// `{"amount": 16, "unit": "business_hours"}`
    #[schema(value_type = TurnaroundBody)]
    pub turnaround: Turnaround,
    /// Default 90.
    pub on_time_target_pct: Option<i64>,
    /// Default 4.
    pub review_every_weeks: Option<i64>,
    /// The share of a request's working time after which whoever works it
    /// hears it is due soon; default 80.
    pub due_soon_percent: Option<i64>,
}

/// A turnaround: hours with minute precision, or whole days.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TurnaroundBody {
    pub amount: f64,
    /// `business_hours | business_days | calendar_hours | calendar_days`
    pub unit: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementPatch {
    pub title: Option<String>,
    pub deliverable: Option<String>,
    pub definition_of_done: Option<String>,
    /// On an active agreement, a new turnaround or target waits for the customer to accept it.
    #[schema(value_type = Option<TurnaroundBody>)]
    pub turnaround: Option<Turnaround>,
    pub on_time_target_pct: Option<i64>,
    pub review_every_weeks: Option<i64>,
    /// Applies to requests logged, or whose due moves, from now on.
    pub due_soon_percent: Option<i64>,
    /// Every how many weeks (0–52; 0: never) the customer's people are
    /// asked how well the provider serves them; default 4.
    pub pulse_every_weeks: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    pub reason: String,
}

/// New terms of an active agreement waiting for the customer's acceptance.
#[derive(Serialize, ToSchema)]
pub struct PendingChange {
    #[schema(value_type = TurnaroundBody)]
    pub turnaround: Turnaround,
    pub on_time_target_pct: i32,
}

#[derive(Serialize, ToSchema)]
pub struct AgreementOut {
    pub id: AgreementId,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub title: String,
    pub deliverable: String,
    pub definition_of_done: String,
    #[schema(value_type = TurnaroundBody)]
    pub turnaround: Turnaround,
    pub on_time_target_pct: i32,
    pub review_every_weeks: i32,
    /// The share of a request's working time after which whoever works it
    /// hears it is due soon.
    pub due_soon_percent: i32,
    /// Every how many weeks a pulse check asks the customer; 0: never.
    pub pulse_every_weeks: i32,
    /// `draft | proposed | active | retired`
    #[schema(value_type = String)]
    pub status: AgreementStatus,
    /// The version of the terms new requests are logged under.
    pub terms_version: i32,
    pub pending_change: Option<PendingChange>,
    pub decline_reason: Option<String>,
    /// Vague wording found in the text.
    pub warnings: Vec<String>,
    /// Deliveries so far and how many were on time.
    pub figures: OnTimeFigures,
    pub meets_target: Option<bool>,
    /// When the two departments last held a review.
    pub last_reviewed_at: Option<DateTime<Utc>>,
    /// Active, and no review for longer than its review cadence.
    pub review_overdue: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AgreementOut {
    fn build(
        row: agreement::Model,
        figures: OnTimeFigures,
        reviewed: &LastReviewed,
    ) -> ApiResult<Self> {
        let pair = (
            row.provider_department_id.min(row.customer_department_id),
            row.provider_department_id.max(row.customer_department_id),
        );
        let last_reviewed_at = reviewed.get(&pair).copied();
        let since = last_reviewed_at.unwrap_or(row.created_at);
        // A stored instant so late that the sum overflows is not overdue.
        let review_overdue = row.status == AgreementStatus::Active
            && since
                .checked_add_signed(chrono::TimeDelta::weeks(row.review_every_weeks.into()))
                .is_some_and(|due| due < Utc::now());
        let turnaround = agreements::turnaround_of(row.turnaround_unit, row.turnaround_quantity)?;
        let pending_change = match (row.pending_turnaround_unit, row.pending_turnaround_quantity) {
            (Some(unit), Some(quantity)) => Some(PendingChange {
                turnaround: agreements::turnaround_of(unit, quantity)?,
                on_time_target_pct: row
                    .pending_on_time_target_pct
                    .unwrap_or(row.on_time_target_pct),
            }),
            _ => None,
        };
        let warnings = agreements::warnings(&row);
        let meets_target = figures
            .on_time_pct
            .map(|pct| pct >= f64::from(row.on_time_target_pct));
        Ok(AgreementOut {
            id: row.id,
            provider_department_id: row.provider_department_id,
            customer_department_id: row.customer_department_id,
            title: row.title,
            deliverable: row.deliverable,
            definition_of_done: row.definition_of_done,
            turnaround,
            on_time_target_pct: row.on_time_target_pct,
            review_every_weeks: row.review_every_weeks,
            due_soon_percent: row.due_soon_percent,
            pulse_every_weeks: row.pulse_every_weeks,
            status: row.status,
            terms_version: row.terms_version,
            pending_change,
            decline_reason: row.decline_reason,
            warnings,
            figures,
            meets_target,
            last_reviewed_at,
            review_overdue,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

async fn reply(
    state: &AppState,
    row: agreement::Model,
    created: bool,
) -> ApiResult<Reply<AgreementOut>> {
    let version = row.version;
    let figures = agreements::on_time_figures(state.db(), row.organisation_id, &[row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let reviewed = reviews::last_held_by_pair(state.db(), row.organisation_id).await?;
    let out = AgreementOut::build(row, figures, &reviewed)?;
    Ok(if created {
        Reply::created(out)
    } else {
        Reply::ok(out)
    }
    .versioned(version))
}

/// Drafts an agreement (the provider department's lead, or an admin).
#[utoipa::path(post, path = "/agreements", tag = "agreements", request_body = NewAgreementBody,
    security(("bearer" = [])),
    responses((status = 201, body = AgreementOut), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/agreements", data = "<body>")]
async fn create(
    state: &State<AppState>,
    actor: AgreementWriter,
    body: Body<NewAgreementBody>,
) -> ApiResult<Reply<AgreementOut>> {
    let body = body.0;
    let row = agreements::create(
        state.db(),
        &actor,
        NewAgreement {
            provider_department_id: body.provider_department_id,
            customer_department_id: body.customer_department_id,
            title: body.title,
            deliverable: body.deliverable,
            definition_of_done: body.definition_of_done,
            turnaround: body.turnaround,
            on_time_target_pct: body.on_time_target_pct,
            review_every_weeks: body.review_every_weeks,
            due_soon_percent: body.due_soon_percent,
        },
    )
    .await?;
    reply(state, row, true).await
}

/// Agreements of the organisation, with their on-time figures.
#[utoipa::path(get, path = "/agreements", tag = "agreements", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query),
           ("provider" = Option<i64>, Query, description = "provider department id"),
           ("customer" = Option<i64>, Query, description = "customer department id"),
           ("status" = Option<String>, Query)),
    responses((status = 200, description = "one page, by ascending id", body = Page<AgreementOut>)))]
#[get("/agreements?<limit>&<cursor>&<provider>&<customer>&<status>")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    limit: Option<&str>,
    cursor: Option<&str>,
    provider: Option<&str>,
    customer: Option<&str>,
    status: Option<&str>,
) -> ApiResult<Reply<Page<AgreementOut>>> {
    let page = PageRequest::parse(limit, cursor)?;
    let filter = AgreementFilter {
        provider_department_id: query_id("provider", provider)?,
        customer_department_id: query_id("customer", customer)?,
        status: query_named("status", status)?,
    };
    let rows = agreements::list(state.db(), &actor, page, filter).await?;
    let ids: Vec<AgreementId> = rows.iter().map(|row| row.id).collect();
    let mut figures = agreements::on_time_figures(state.db(), actor.organisation_id, &ids).await?;
    let reviewed = reviews::last_held_by_pair(state.db(), actor.organisation_id).await?;
    let page = Page::from_rows(rows, page, |row| row.id, |row| row);
    let items = page
        .items
        .into_iter()
        .map(|row| {
            let numbers = figures.remove(&row.id).unwrap_or_default();
            AgreementOut::build(row, numbers, &reviewed)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Reply::ok(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/agreements/{id}", tag = "agreements", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = AgreementOut), (status = 404, body = crate::error::Problem)))]
#[get("/agreements/<id>")]
async fn show(
    state: &State<AppState>,
    actor: AuthUser,
    id: AgreementId,
) -> ApiResult<Reply<AgreementOut>> {
    let row = agreements::get(state.db(), &actor, id).await?;
    reply(state, row, false).await
}

#[utoipa::path(patch, path = "/agreements/{id}", tag = "agreements", request_body = AgreementPatch,
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = AgreementOut), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 412, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[patch("/agreements/<id>", data = "<body>")]
async fn update(
    state: &State<AppState>,
    actor: AgreementWriter,
    id: AgreementId,
    if_match: ExpectedVersion,
    body: Body<AgreementPatch>,
) -> ApiResult<Reply<AgreementOut>> {
    let body = body.0;
    let row = agreements::update(
        state.db(),
        &actor,
        id,
        if_match,
        AgreementChanges {
            title: body.title,
            deliverable: body.deliverable,
            definition_of_done: body.definition_of_done,
            turnaround: body.turnaround,
            on_time_target_pct: body.on_time_target_pct,
            review_every_weeks: body.review_every_weeks,
            due_soon_percent: body.due_soon_percent,
            pulse_every_weeks: body.pulse_every_weeks,
        },
    )
    .await?;
    reply(state, row, false).await
}

/// `draft → proposed` (provider's lead).
#[utoipa::path(post, path = "/agreements/{id}/propose", tag = "agreements", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = AgreementOut), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
#[post("/agreements/<id>/propose")]
async fn propose(
    state: &State<AppState>,
    actor: AgreementWriter,
    id: AgreementId,
    if_match: ExpectedVersion,
) -> ApiResult<Reply<AgreementOut>> {
    let row = agreements::propose(state.db(), &actor, id, if_match).await?;
    reply(state, row, false).await
}

/// `proposed → active`, or accepts a pending change of terms (customer's lead).
#[utoipa::path(post, path = "/agreements/{id}/accept", tag = "agreements", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = AgreementOut), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
#[post("/agreements/<id>/accept")]
async fn accept(
    state: &State<AppState>,
    actor: AgreementWriter,
    id: AgreementId,
    if_match: ExpectedVersion,
) -> ApiResult<Reply<AgreementOut>> {
    let row = agreements::accept(state.db(), &actor, id, if_match).await?;
    reply(state, row, false).await
}

/// `proposed → draft` with a reason, or drops a pending change (customer's lead).
#[utoipa::path(post, path = "/agreements/{id}/decline", tag = "agreements", request_body = DeclineBody,
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementOut), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[post("/agreements/<id>/decline", data = "<body>")]
async fn decline(
    state: &State<AppState>,
    actor: AgreementWriter,
    id: AgreementId,
    if_match: ExpectedVersion,
    body: Body<DeclineBody>,
) -> ApiResult<Reply<AgreementOut>> {
    let row = agreements::decline(state.db(), &actor, id, if_match, &body.0.reason).await?;
    reply(state, row, false).await
}

/// `active → retired` (provider's lead).
#[utoipa::path(post, path = "/agreements/{id}/retire", tag = "agreements", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = AgreementOut), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
#[post("/agreements/<id>/retire")]
async fn retire(
    state: &State<AppState>,
    actor: AgreementWriter,
    id: AgreementId,
    if_match: ExpectedVersion,
) -> ApiResult<Reply<AgreementOut>> {
    let row = agreements::retire(state.db(), &actor, id, if_match).await?;
    reply(state, row, false).await
}

/// How often past deliveries would have met a turnaround.
#[utoipa::path(get, path = "/agreements/{id}/calibration", tag = "agreements", security(("bearer" = [])),
    params(("id" = i64, Path), ("amount" = String, Query), ("unit" = String, Query)),
    responses((status = 200, body = Calibration), (status = 422, body = crate::error::Problem)))]
#[get("/agreements/<id>/calibration?<amount>&<unit>")]
async fn calibration(
    state: &State<AppState>,
    actor: AuthUser,
    id: AgreementId,
    amount: Option<&str>,
    unit: Option<&str>,
) -> ApiResult<Reply<Calibration>> {
    let turnaround = turnaround_text(amount, unit)?;
    let figures = agreements::calibrate(&state.context(actor.clone()), id, turnaround).await?;
    Ok(Reply::ok(figures))
}

/// The agreement's event log, oldest first.
#[utoipa::path(get, path = "/agreements/{id}/events", tag = "agreements", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = [EventOut]), (status = 404, body = crate::error::Problem)))]
#[get("/agreements/<id>/events")]
async fn history(
    state: &State<AppState>,
    actor: AuthUser,
    id: AgreementId,
) -> ApiResult<Reply<Vec<EventOut>>> {
    let row = agreements::get(state.db(), &actor, id).await?;
    let rows = events::of_subject(
        state.db(),
        actor.organisation_id,
        Subject::Agreement(row.id),
    )
    .await?;
    Ok(Reply::ok(rows.into_iter().map(EventOut::from).collect()))
}
