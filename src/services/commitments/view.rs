//! What a commitment's page and the API's projection answer both show: the
//! projection as of a moment, and the chain of requests it waits on. One
//! read model, so that the page cannot say something the API does not.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::entities::ids::{CommitmentId, RequestId};
use crate::entities::{commitment, request, request_row};
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::projection::CommitmentProjection;
use crate::services::Context;
use crate::services::projection;
use crate::services::requests::dependencies_of;

/// A commitment projected as of a moment.
pub struct CommitmentView {
    pub row: commitment::Model,
    pub as_of: DateTime<Utc>,
    pub projection: CommitmentProjection,
    /// Every request the commitment waits on, directly or through others.
    pub cone: Vec<RequestId>,
}

/// A request on a commitment's chain, with the inputs it waits on.
pub struct ChainLink {
    pub request: request::Model,
    pub inputs: Vec<RequestId>,
}

/// The commitment `id` of the actor's organisation, projected as of `as_of`.
pub async fn projection_view(
    cx: &Context<'_>,
    id: CommitmentId,
    as_of: DateTime<Utc>,
) -> Result<CommitmentView, ApiError> {
    let (db, calendars, actor) = (cx.db, cx.calendars, &cx.actor);
    let row = super::get(db, actor, id).await?;
    let projected =
        projection::project(db, calendars, actor.organisation_id, &[row.id], &[], as_of).await?;
    let index = projected
        .commitments
        .get(&row.id)
        .copied()
        .ok_or_else(|| ApiError::not_found("commitment"))?;
    let view = projected
        .projection
        .commitment_projection(index)
        .map_err(projection::projection_error)?
        .ok_or_else(|| ApiError::not_found("commitment"))?;
    let mut cone: Vec<RequestId> = projected.requests.keys().copied().collect();
    cone.sort_unstable();
    Ok(CommitmentView {
        row,
        as_of,
        projection: view,
        cone,
    })
}

/// The requests of the view's cone, by id, each with its inputs.
pub async fn chain(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    view: &CommitmentView,
) -> Result<Vec<ChainLink>, ApiError> {
    let mut inputs: HashMap<RequestId, Vec<RequestId>> = HashMap::new();
    for (of, input) in dependencies_of(db, &view.cone).await? {
        inputs.entry(of).or_default().push(input);
    }
    let mut links = Vec::with_capacity(view.cone.len());
    for chunk in view.cone.chunks(crate::services::ID_CHUNK) {
        let rows = request_row::with_ids(db, actor.organisation_id, chunk).await?;
        links.extend(rows.into_iter().map(|request| ChainLink {
            inputs: inputs.remove(&request.id).unwrap_or_default(),
            request,
        }));
    }
    Ok(links)
}
