//! What is kept of projections between reads: each open commitment's
//! figures and risk on its row (for lists and filters), when time alone may
//! next move them (`refresh_at`, for the risk refresh), and which requests
//! endanger which commitments (`endangerments`). All of it is written inside
//! the transaction of the change that moved it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Select, Set,
};

use super::{Projected, commitments_downstream, project, risk_name};
use crate::entities::ids::{CommitmentId, OrganisationId, RequestId};
use crate::entities::{commitment, endangerment};
use crate::error::ApiError;
use crate::projection::CommitmentIdx;
use crate::services::calendars::CalendarCache;

/// Re-projects and stores the commitments downstream of `changed` requests,
/// inside the caller's transaction. On PostgreSQL the commitment rows are
/// locked first, so two instances changing the same cone at once serialise
/// and the later one projects with the earlier one's change in view.
pub async fn store_downstream(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: OrganisationId,
    changed: &[RequestId],
) -> Result<Option<Projected>, ApiError> {
    let ids = commitments_downstream(db, organisation_id, changed).await?;
    store(db, cache, organisation_id, &ids).await
}

/// Projects `commitment_ids` now and stores the figures on their rows.
pub async fn store(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: OrganisationId,
    commitment_ids: &[CommitmentId],
) -> Result<Option<Projected>, ApiError> {
    if commitment_ids.is_empty() {
        return Ok(None);
    }
    if db.get_database_backend() == DbBackend::Postgres {
        let mut locked = commitment_ids.to_vec();
        locked.sort_unstable();
        commitment::Entity::find()
            .select_only()
            .column(commitment::Column::Id)
            .filter(commitment::Column::Id.is_in(locked))
            .lock_exclusive()
            .into_tuple::<CommitmentId>()
            .all(db)
            .await?;
    }
    // As stored before: a turn for the worse is told once (`endangered`).
    // In chunks, so that no statement grows with the cone.
    let mut before: HashMap<CommitmentId, commitment::Model> = HashMap::new();
    for chunk in commitment_ids.chunks(500) {
        before.extend(
            commitment::Entity::find()
                .filter(commitment::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|row| (row.id, row)),
        );
    }
    let now = Utc::now();
    let projected = project(db, cache, organisation_id, commitment_ids, &[], now).await?;
    for (&id, &idx) in &projected.commitments {
        let Some(figures) = projected.projection.commitment(idx) else {
            continue;
        };
        if let Some(row) = before.get(&id) {
            crate::services::endangered::announce(db, row, figures.risk.into()).await?;
        }
        commitment::Entity::update_many()
            .col_expr(
                commitment::Column::ProjectedAt,
                Expr::value(figures.projected_at),
            )
            .col_expr(
                commitment::Column::BaselineAt,
                Expr::value(figures.baseline_at),
            )
            .col_expr(
                commitment::Column::SlipMinutes,
                Expr::value(figures.slip_minutes),
            )
            .col_expr(
                commitment::Column::SlackMinutes,
                Expr::value(figures.slack_minutes),
            )
            .col_expr(
                commitment::Column::Risk,
                Expr::value(risk_name(figures.risk)),
            )
            .col_expr(commitment::Column::ProjectedAsOf, Expr::value(now))
            .col_expr(
                commitment::Column::RefreshAt,
                Expr::value(refresh_at(&projected, idx)),
            )
            .filter(commitment::Column::Id.eq(id))
            .exec(db)
            .await?;
    }
    store_endangerments(db, organisation_id, &projected).await?;
    Ok(Some(projected))
}

/// When the risk refresh must look at commitment `idx` again. While an
/// input moves with the clock (overdue, paused) a commitment not yet late
/// may turn at risk or late at any moment: at once (the next refresh).
/// Otherwise when the next undelivered input falls due (then it starts
/// moving, and the critical path may change); the end of the supported
/// range when none will (every input delivered, or late already with only
/// moving inputs: it can only grow later).
fn refresh_at(projected: &Projected, idx: CommitmentIdx) -> DateTime<Utc> {
    let holds = projected.projection.holds(idx, |r| {
        projected.paused.get(r.0 as usize).copied().unwrap_or(false)
    });
    let late = projected
        .projection
        .commitment(idx)
        .is_some_and(|figures| figures.risk == crate::projection::Risk::Late);
    if holds.moving && !late {
        projected.projection.as_of()
    } else {
        holds.next.unwrap_or(crate::time::END_INSTANT)
    }
}

/// Rewrites the endangerments of the projected commitments: for each one
/// open and at risk or late, the requests on its critical path.
async fn store_endangerments(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    projected: &Projected,
) -> Result<(), ApiError> {
    let ids: Vec<CommitmentId> = projected.commitments.keys().copied().collect();
    for chunk in ids.chunks(5_000) {
        endangerment::Entity::delete_many()
            .filter(endangerment::Column::CommitmentId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    let graph = projected.projection.graph();
    let mut rows = Vec::new();
    for (&id, &idx) in &projected.commitments {
        let open = graph.is_open_commitment(idx);
        let risky = projected
            .projection
            .commitment(idx)
            .is_some_and(|figures| figures.risk != crate::projection::Risk::OnTrack);
        if !(open && risky) {
            continue;
        }
        for r in projected.projection.critical_path(idx) {
            if let Some(request) = graph.request_id(r) {
                rows.push(endangerment::ActiveModel {
                    request_id: Set(RequestId(request)),
                    commitment_id: Set(id),
                    organisation_id: Set(organisation_id),
                });
            }
        }
    }
    // Three columns a row: well under either database's bound parameters.
    while !rows.is_empty() {
        let batch: Vec<_> = rows.drain(..rows.len().min(5_000)).collect();
        endangerment::Entity::insert_many(batch).exec(db).await?;
    }
    Ok(())
}

/// (request, commitment) pairs of `requests`' endangerments.
pub fn endangerments_of(
    backend: DbBackend,
    organisation_id: OrganisationId,
    requests: &[RequestId],
) -> Select<endangerment::Entity> {
    endangerment::Entity::find()
        .select_only()
        .column(endangerment::Column::RequestId)
        .column(endangerment::Column::CommitmentId)
        .filter(endangerment::Column::OrganisationId.eq(organisation_id))
        .filter(crate::services::id_in::<endangerment::Entity>(
            backend,
            endangerment::Column::RequestId,
            requests.iter().map(|id| id.0),
        ))
}

/// The open commitments (by id) among `requests`' endangerments, per request.
pub async fn endangered_by(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    requests: &[RequestId],
) -> Result<HashMap<RequestId, Vec<CommitmentId>>, ApiError> {
    let mut by_request: HashMap<RequestId, Vec<CommitmentId>> = HashMap::new();
    for chunk in requests.chunks(5_000) {
        let found: Vec<(RequestId, CommitmentId)> =
            endangerments_of(db.get_database_backend(), organisation_id, chunk)
                .into_tuple()
                .all(db)
                .await?;
        for (request, commitment) in found {
            by_request.entry(request).or_default().push(commitment);
        }
    }
    for ids in by_request.values_mut() {
        ids.sort_unstable();
    }
    Ok(by_request)
}
