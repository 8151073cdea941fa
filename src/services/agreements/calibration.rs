//! Promise calibration ("be careful what you say you will do"): how often the
//! provider's past deliveries would have met a proposed turnaround.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::get;
use crate::entities::ids::{AgreementId, DepartmentId, OrganisationId};
use crate::entities::request;
use crate::entities::request::RequestStatus;
use crate::error::ApiError;
use crate::services::Context;
use crate::services::calendars::{CalendarCache, for_department};
use crate::services::requests::shift_due;
use crate::services::stats::{nearest_rank, round1};
use crate::services::users::find_department;
use crate::time::{CompiledCalendar, Turnaround};

/// Below this many deliveries under the agreement, the provider department's
/// deliveries under all its agreements are used instead.
const MIN_AGREEMENT_SAMPLE: usize = 10;
/// The most recent deliveries considered.
const MAX_SAMPLE: u64 = 1_000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Calibration {
    pub sample_size: usize,
    /// `agreement` or `provider_department`: whose deliveries were used.
    pub scope: &'static str,
    /// Share of those deliveries that would have met the turnaround.
    pub would_have_met_pct: Option<f64>,
    /// Working minutes taken (clock start to delivery, pauses excluded), nearest-rank percentiles.
    pub p50_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
}

pub async fn calibrate(
    cx: &Context<'_>,
    agreement_id: AgreementId,
    turnaround: Turnaround,
) -> Result<Calibration, ApiError> {
    let (db, calendars, actor) = (cx.db, cx.calendars, &cx.actor);
    let agreement = get(db, actor, agreement_id).await?;
    let mut scope = "agreement";
    let mut sample = delivered(
        actor.organisation_id,
        request::Entity::find().filter(request::Column::AgreementId.eq(agreement.id)),
    )
    .all(db)
    .await?;
    if sample.len() < MIN_AGREEMENT_SAMPLE {
        scope = "provider_department";
        sample =
            provider_sample(db, actor.organisation_id, agreement.provider_department_id).await?;
    }
    measure(
        db,
        calendars,
        actor.organisation_id,
        agreement.provider_department_id,
        scope,
        &sample,
        turnaround,
    )
    .await
}

/// Calibration before there is an agreement (a draft being written): the
/// provider department's deliveries under all its agreements, exactly the
/// fallback [`calibrate`] uses for an agreement with too few deliveries.
pub async fn calibrate_for_provider(
    cx: &Context<'_>,
    provider_department_id: DepartmentId,
    turnaround: Turnaround,
) -> Result<Calibration, ApiError> {
    let (db, calendars, actor) = (cx.db, cx.calendars, &cx.actor);
    if find_department(db, actor.organisation_id, provider_department_id)
        .await?
        .is_none()
    {
        return Err(ApiError::field(
            "provider_department_id",
            "no such department in this organisation",
        ));
    }
    let sample = provider_sample(db, actor.organisation_id, provider_department_id).await?;
    measure(
        db,
        calendars,
        actor.organisation_id,
        provider_department_id,
        "provider_department",
        &sample,
        turnaround,
    )
    .await
}

/// The most recent finished deliveries matching `filter`.
fn delivered(
    organisation_id: OrganisationId,
    filter: sea_orm::Select<request::Entity>,
) -> sea_orm::Select<request::Entity> {
    filter
        .filter(request::Column::OrganisationId.eq(organisation_id))
        .filter(request::Column::Status.is_in([RequestStatus::Delivered, RequestStatus::Accepted]))
        .order_by_desc(request::Column::DeliveredAt)
        .limit(MAX_SAMPLE)
}

async fn provider_sample(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    provider_department_id: DepartmentId,
) -> Result<Vec<request::Model>, ApiError> {
    Ok(delivered(
        organisation_id,
        request::Entity::find()
            .filter(request::Column::ProviderDepartmentId.eq(provider_department_id)),
    )
    .all(db)
    .await?)
}

/// Replays `sample` against `turnaround` in the provider's calendar.
async fn measure(
    db: &impl ConnectionTrait,
    calendars: &CalendarCache,
    organisation_id: OrganisationId,
    provider_department_id: DepartmentId,
    scope: &'static str,
    sample: &[request::Model],
    turnaround: Turnaround,
) -> Result<Calibration, ApiError> {
    let calendar = for_department(db, calendars, organisation_id, provider_department_id).await?;
    let mut met = 0usize;
    let mut minutes = Vec::with_capacity(sample.len());
    for past in sample {
        let Some(delivered_at) = past.delivered_at else {
            continue;
        };
        let (would_meet, taken) = replay(&calendar, past, delivered_at, turnaround)?;
        met += usize::from(would_meet);
        minutes.push(taken);
    }
    minutes.sort_unstable();
    let n = minutes.len();
    Ok(Calibration {
        sample_size: n,
        scope,
        would_have_met_pct: (n > 0).then(|| round1(met as f64 * 100.0 / n as f64)),
        p50_minutes: nearest_rank(&minutes, 50),
        p90_minutes: nearest_rank(&minutes, 90),
    })
}

/// Whether a past delivery would have met `turnaround` (from the same ready
/// time, its due moved by the same pauses), and the working minutes it took.
/// Pauses are stored as the shift they caused in the request's own unit:
/// working seconds for business units (subtracted from the time taken),
/// elapsed seconds for calendar units (kept, as their working share is unknown).
fn replay(
    calendar: &CompiledCalendar,
    past: &request::Model,
    delivered_at: chrono::DateTime<chrono::Utc>,
    turnaround: Turnaround,
) -> Result<(bool, i64), ApiError> {
    let time_error =
        |error: crate::time::TimeError| ApiError::Internal(format!("calibration: {error}"));
    let past_unit = super::turnaround_of(past.turnaround_unit, past.turnaround_quantity)?.unit();
    let due = calendar
        .due(past.ready_at, turnaround)
        .map_err(time_error)?;
    let due = shift_due(calendar, due.due, past_unit, past.pause_shift_seconds)?;
    let worked = calendar
        .working_seconds(past.clock_start, delivered_at)
        .map_err(time_error)?;
    let paused = if past_unit.is_business() {
        past.pause_shift_seconds
    } else {
        0
    };
    Ok((delivered_at <= due, (worked - paused).max(0) / 60))
}
