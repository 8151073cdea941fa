//! The probabilistic forecast of a commitment (SPEC §4): Monte Carlo over
//! its undelivered upstream requests, each duration scaled by a ratio drawn
//! from its agreement's recent history.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::ids::{AgreementId, CommitmentId, OrganisationId};
use crate::entities::request;
use crate::entities::request::RequestStatus;
use crate::error::ApiError;
use crate::projection::{Forecast, RequestIdx};
use crate::services::agreements::turnaround_of;
use crate::services::calendars::CalendarCache;
use crate::services::projection::{project, projection_error};
use crate::services::requests::schedule::ProviderCalendars;

/// Deliveries per agreement that make up its history.
const HISTORY: u64 = 100;
/// Below this many, the organisation's history is used instead.
const MIN_HISTORY: usize = 10;

pub async fn forecast(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: OrganisationId,
    commitment_id: CommitmentId,
    trials: u32,
    seed: u64,
    as_of: DateTime<Utc>,
) -> Result<Forecast, ApiError> {
    let projected = project(db, cache, organisation_id, &[commitment_id], &[], as_of).await?;
    let idx = projected
        .commitments
        .get(&commitment_id)
        .copied()
        .ok_or_else(|| ApiError::not_found("commitment"))?;
    let mut calendars = ProviderCalendars::new(cache, organisation_id);
    let organisation_history = ratios(
        db,
        &mut calendars,
        request::Entity::find().filter(request::Column::OrganisationId.eq(organisation_id)),
    )
    .await?;
    let mut by_agreement: HashMap<AgreementId, Vec<f64>> = HashMap::new();
    for &agreement in &projected.agreement_of {
        if by_agreement.contains_key(&agreement) {
            continue;
        }
        let own = ratios(
            db,
            &mut calendars,
            request::Entity::find()
                .filter(request::Column::OrganisationId.eq(organisation_id))
                .filter(request::Column::AgreementId.eq(agreement)),
        )
        .await?;
        let chosen = if own.len() < MIN_HISTORY {
            organisation_history.clone()
        } else {
            own
        };
        by_agreement.insert(agreement, chosen);
    }
    let empty: Vec<f64> = Vec::new();
    let history = |r: RequestIdx| -> &[f64] {
        projected
            .agreement_of
            .get(r.0 as usize)
            .and_then(|agreement| by_agreement.get(agreement))
            .unwrap_or(&empty)
    };
    projected
        .projection
        .monte_carlo(idx, trials, seed, history)
        .map_err(projection_error)?
        .ok_or_else(|| ApiError::not_found("commitment"))
}

/// Actual ÷ agreed working time of the latest deliveries the query finds:
/// both measured from the clock start in the provider's calendar, pauses
/// left out (elapsed time for calendar units).
async fn ratios(
    db: &impl ConnectionTrait,
    calendars: &mut ProviderCalendars<'_>,
    query: sea_orm::Select<request::Entity>,
) -> Result<Vec<f64>, ApiError> {
    let rows = query
        .filter(request::Column::Status.is_in([RequestStatus::Delivered, RequestStatus::Accepted]))
        .order_by_desc(request::Column::DeliveredAt)
        .limit(HISTORY)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(delivered_at) = row.delivered_at else {
            continue;
        };
        let unit = turnaround_of(row.turnaround_unit, row.turnaround_quantity)?.unit();
        let (actual, agreed) = if unit.is_business() {
            let calendar = calendars.of(db, row.provider_department_id).await?;
            let measure = |to| {
                calendar
                    .working_seconds(row.clock_start, to)
                    .map_err(|error| ApiError::Internal(format!("history: {error}")))
            };
            (
                measure(delivered_at)? - row.pause_shift_seconds,
                measure(row.due_at)? - row.pause_shift_seconds,
            )
        } else {
            (
                (delivered_at - row.clock_start).num_seconds() - row.pause_shift_seconds,
                (row.due_at - row.clock_start).num_seconds() - row.pause_shift_seconds,
            )
        };
        if agreed > 0 {
            out.push(actual.max(0) as f64 / agreed as f64);
        }
    }
    Ok(out)
}
