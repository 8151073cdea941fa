//! What a request looks like to its readers, built once for both front ends:
//! the row, the requests it needs first, its projected finish and the open
//! commitments it endangers (SPEC §4), projected now from current data. The
//! JSON API shapes it as `RequestOut`; the request page shows the same
//! figures.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::UnionType;
use sea_orm::{ConnectionTrait, QueryTrait};

use crate::entities::ids::{CommitmentId, OrganisationId, RequestId};
use crate::entities::request;
use crate::error::ApiError;
use crate::projection::{CommitmentIdx, RequestIdx};
use crate::services::ID_CHUNK;
use crate::services::calendars::CalendarCache;
use crate::services::projection::{self, Projected};

/// One request as its readers see it.
pub struct RequestView {
    pub row: request::Model,
    /// The requests it needs first.
    pub depends_on: Vec<RequestId>,
    /// Its delivery, or the latest of its due (counted from its inputs'
    /// projected finishes), its forecast and now.
    pub projected_finish: Option<DateTime<Utc>>,
    /// Open commitments, late or at risk, whose critical path runs through it.
    pub endangered_commitment_ids: Vec<CommitmentId>,
}

impl RequestView {
    /// The view of `row` from a projection that holds it (one a change just
    /// stored), with its inputs.
    pub fn from_projection(
        row: request::Model,
        depends_on: Vec<RequestId>,
        projected: &mut Projected,
    ) -> RequestView {
        let (projected_finish, endangered_commitment_ids) = figures(projected, row.id);
        RequestView {
            row,
            depends_on,
            projected_finish,
            endangered_commitment_ids,
        }
    }
}

/// The views of `rows` (of one organisation): their finishes projected
/// together now from what lies upstream of them, and the commitments they
/// endanger as stored with those commitments' projections (see
/// [`projection::endangered_by`]). Nothing downstream is walked, so a
/// request thousands of others wait on costs what any other costs.
pub async fn views(
    db: &impl ConnectionTrait,
    calendars: &CalendarCache,
    rows: Vec<request::Model>,
) -> Result<Vec<RequestView>, ApiError> {
    let Some(organisation_id) = rows.first().map(|row| row.organisation_id) else {
        return Ok(Vec::new());
    };
    let ids: Vec<RequestId> = rows.iter().map(|row| row.id).collect();
    // Delivered and cancelled requests (most of a list) need no projection.
    let mut settled = HashMap::with_capacity(rows.len());
    for row in &rows {
        if let Some(finish) = projection::settled_finish(row)? {
            settled.insert(row.id, finish);
        }
    }
    let pending: Vec<RequestId> = ids
        .iter()
        .copied()
        .filter(|id| !settled.contains_key(id))
        .collect();
    // The inputs of a pending request come with its projection (the walk
    // upstream reads them); only the settled ones are read on their own.
    let Links {
        inputs: edges,
        mut endangered,
    } = links(db, organisation_id, &ids, |id| settled.contains_key(&id)).await?;
    let projected = if pending.is_empty() {
        None
    } else {
        Some(
            projection::project_knowing(
                db,
                calendars,
                organisation_id,
                &pending,
                &rows,
                Utc::now(),
            )
            .await?,
        )
    };
    // Where a pending request sits in the projection.
    let placed = |id: RequestId| {
        let projected = projected.as_ref()?;
        Some((projected, *projected.requests.get(&id)?))
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let (depends_on, projected_finish) = match settled.get(&row.id) {
                Some(&finish) => (
                    edges
                        .iter()
                        .filter(|(id, _)| *id == row.id)
                        .map(|&(_, input)| input)
                        .collect(),
                    finish,
                ),
                None => placed(row.id).map_or((Vec::new(), None), |(projected, idx)| {
                    (inputs_of(projected, idx), projected.projection.finish(idx))
                }),
            };
            RequestView {
                endangered_commitment_ids: endangered.remove(&row.id).unwrap_or_default(),
                row,
                depends_on,
                projected_finish,
            }
        })
        .collect())
}

/// What the views of some requests read besides their projection.
struct Links {
    /// (request, input) pairs, in order.
    inputs: Vec<(RequestId, RequestId)>,
    /// The commitments each request endangers, as stored with their
    /// projections ([`projection::endangered_by`]), in order.
    endangered: HashMap<RequestId, Vec<CommitmentId>>,
}

/// The inputs of the settled ones of `ids` and the commitments each of
/// them endangers, in one statement: both are pairs of ids, so one `UNION
/// ALL` carries them, tagged by kind.
async fn links(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    ids: &[RequestId],
    settled: impl Fn(RequestId) -> bool,
) -> Result<Links, ApiError> {
    const INPUT: i32 = 0;
    const ENDANGERS: i32 = 1;
    let mut links = Links {
        inputs: Vec::new(),
        endangered: HashMap::new(),
    };
    // Views come a list page at a time; chunks only keep a longer call
    // inside every backend's limit of bound values.
    for ids in ids.chunks(ID_CHUNK) {
        let settled_here: Vec<RequestId> = ids.iter().copied().filter(|&id| settled(id)).collect();
        let mut union =
            projection::endangerments_of(db.get_database_backend(), organisation_id, ids)
                .into_query();
        crate::services::tag(&mut union, ENDANGERS);
        if !settled_here.is_empty() {
            let mut inputs =
                super::dependencies_query(db.get_database_backend(), &settled_here).into_query();
            crate::services::tag(&mut inputs, INPUT);
            union.union(UnionType::All, inputs);
        }
        // By place: a UNION's columns are named after its first part's.
        for found in db.query_all(&union).await? {
            let request = RequestId(found.try_get_by_index(0)?);
            let other: i64 = found.try_get_by_index(1)?;
            match crate::services::tag_of(&found)? {
                INPUT => links.inputs.push((request, RequestId(other))),
                _ => links
                    .endangered
                    .entry(request)
                    .or_default()
                    .push(CommitmentId(other)),
            }
        }
    }
    links.inputs.sort_unstable();
    for commitments in links.endangered.values_mut() {
        commitments.sort_unstable();
    }
    Ok(links)
}

/// The inputs of the request at `idx`, in id order as
/// [`super::dependencies_of`] gives them.
fn inputs_of(projected: &Projected, idx: RequestIdx) -> Vec<RequestId> {
    let mut inputs: Vec<RequestId> = projected
        .projection
        .graph()
        .input_ids(idx)
        .into_iter()
        .map(RequestId)
        .collect();
    inputs.sort_unstable();
    inputs
}

/// The view of one request already read (and so already allowed).
pub async fn view(
    db: &impl ConnectionTrait,
    calendars: &CalendarCache,
    row: request::Model,
) -> Result<RequestView, ApiError> {
    views(db, calendars, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("request vanished while projecting it".into()))
}

/// A request's projected finish and the open commitments it endangers
/// (sorted), from a projection that holds it.
fn figures(projected: &mut Projected, id: RequestId) -> (Option<DateTime<Utc>>, Vec<CommitmentId>) {
    let Some(&idx) = projected.requests.get(&id) else {
        return (None, Vec::new());
    };
    let by_index: HashMap<CommitmentIdx, CommitmentId> = projected
        .commitments
        .iter()
        .map(|(&id, &idx)| (idx, id))
        .collect();
    let mut endangered: Vec<CommitmentId> = projected
        .projection
        .endangered_commitments(idx)
        .into_iter()
        .filter_map(|c| by_index.get(&c).copied())
        .collect();
    endangered.sort_unstable();
    (projected.projection.finish(idx), endangered)
}
