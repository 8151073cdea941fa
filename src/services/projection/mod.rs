//! From the database to the projection engine (SPEC §4): loads the requests
//! upstream of some seeds, builds the engine's input and projects it as of a
//! moment. Every read projects afresh from current data, so no stale
//! projection is ever served; changes also store the projection of the
//! commitments downstream of them, inside their own transaction, so that
//! lists can filter by risk.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Statement,
};

use crate::entities::commitment::CommitmentStatus;
use crate::entities::ids::{AgreementId, CommitmentId, DepartmentId, OrganisationId, RequestId};
use crate::entities::{commitment, commitment_dependency, organisation, request};
use crate::error::ApiError;
use crate::projection::{
    CalendarIdx, CommitmentIdx, CommitmentInput, CommitmentState, DueHint, Projection,
    ProjectionError, ProjectionInput, RequestIdx, RequestInput, RequestState,
};
use crate::services::agreements::turnaround_of;
use crate::services::calendars::{CalendarCache, for_departments, placeholder};
use crate::services::requests::RequestStatus;
use crate::time::CompiledCalendar;

mod stored;
pub use stored::{endangered_by, endangerments_of, store, store_downstream};

/// A projection of part of an organisation, with the way back from ids.
pub struct Projected {
    pub projection: Projection,
    /// The agreement of each request, by request index.
    pub agreement_of: Vec<AgreementId>,
    pub requests: HashMap<RequestId, RequestIdx>,
    pub commitments: HashMap<CommitmentId, CommitmentIdx>,
    /// Whether each request (by index) is paused: its due runs with the clock.
    pub paused: Vec<bool>,
}

pub fn projection_error(error: ProjectionError) -> ApiError {
    match error {
        ProjectionError::Cycle { cycle } => ApiError::field(
            "depends_on",
            format!(
                "would close a cycle: {}",
                cycle
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
        ),
        // Dates the calendars cannot place come from what the client sent.
        ProjectionError::CommitmentTime { source, .. } if out_of_range(&source) => ApiError::field(
            "promised_at",
            format!("lies outside the supported calendar range: {source}"),
        ),
        ProjectionError::Time { source, .. } if out_of_range(&source) => ApiError::field(
            "requested_at",
            format!("lies outside the supported calendar range: {source}"),
        ),
        other => ApiError::Internal(format!("projection: {other}")),
    }
}

fn out_of_range(error: &crate::time::TimeError) -> bool {
    matches!(
        error,
        crate::time::TimeError::OutOfRange { .. } | crate::time::TimeError::ResultOutOfRange
    )
}

/// The dependencies of `seeds` and of everything upstream of them, as
/// (request, input) pairs: one recursive query per chunk of seeds walks the
/// whole cone inside the database, not one round trip per level.
async fn upstream_edges(
    db: &impl ConnectionTrait,
    seeds: &[RequestId],
) -> Result<Vec<(RequestId, RequestId)>, ApiError> {
    #[derive(sea_orm::FromQueryResult)]
    struct Edge {
        request_id: RequestId,
        depends_on_id: RequestId,
    }
    let mut edges = HashSet::new();
    for chunk in seeds.chunks(5_000) {
        // The cone: the seeds that have inputs, then inputs of inputs; no
        // `OR` in it, so every step is a lookup by the primary key.
        let sql = format!(
            "WITH RECURSIVE cone(id) AS (\
               SELECT request_id FROM request_dependencies WHERE request_id IN ({}) \
               UNION \
               SELECT d.depends_on_id FROM request_dependencies d JOIN cone ON d.request_id = cone.id\
             ) \
             SELECT request_id, depends_on_id FROM request_dependencies \
             WHERE request_id IN (SELECT id FROM cone)",
            marks(db, 1, chunk.len())
        );
        let found = Edge::find_by_statement(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            chunk
                .iter()
                .map(|&id| id.into())
                .collect::<Vec<sea_orm::Value>>(),
        ))
        .all(db)
        .await?;
        edges.extend(
            found
                .into_iter()
                .map(|edge| (edge.request_id, edge.depends_on_id)),
        );
    }
    Ok(edges.into_iter().collect())
}

/// Requests reachable downstream ("needed by", transitively) from `seeds`,
/// the seeds included, in one recursive query per chunk of seeds.
pub async fn downstream_of(
    db: &impl ConnectionTrait,
    seeds: &[RequestId],
) -> Result<HashSet<RequestId>, ApiError> {
    #[derive(sea_orm::FromQueryResult)]
    struct Reached {
        id: i64,
    }
    let mut seen: HashSet<RequestId> = seeds.iter().copied().collect();
    for chunk in seeds.chunks(5_000) {
        let sql = format!(
            "WITH RECURSIVE cone(id) AS (\
               SELECT request_id FROM request_dependencies WHERE depends_on_id IN ({}) \
               UNION \
               SELECT d.request_id FROM request_dependencies d JOIN cone ON d.depends_on_id = cone.id\
             ) SELECT id FROM cone",
            marks(db, 1, chunk.len())
        );
        let reached = Reached::find_by_statement(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            chunk
                .iter()
                .map(|&id| id.into())
                .collect::<Vec<sea_orm::Value>>(),
        ))
        .all(db)
        .await?;
        seen.extend(reached.into_iter().map(|row| RequestId(row.id)));
    }
    Ok(seen)
}

/// `count` bind placeholders numbered from `first`, comma-separated.
fn marks(db: &impl ConnectionTrait, first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| placeholder(db, n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Commitments waiting (directly or through dependencies) on any of the
/// given requests: one recursive query per chunk of seeds, joined to the
/// commitments' dependencies inside the database, so that no statement
/// grows with what lies downstream (a request thousands wait on included).
pub async fn commitments_downstream(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    requests: &[RequestId],
) -> Result<Vec<CommitmentId>, ApiError> {
    #[derive(sea_orm::FromQueryResult)]
    struct Waiting {
        commitment_id: CommitmentId,
    }
    let mut ids = Vec::new();
    for chunk in requests.chunks(5_000) {
        let sql = format!(
            "WITH RECURSIVE cone(id) AS (\
               SELECT id FROM requests WHERE id IN ({}) \
               UNION \
               SELECT d.request_id FROM request_dependencies d JOIN cone ON d.depends_on_id = cone.id\
             ) \
             SELECT DISTINCT c.commitment_id FROM commitment_dependencies c \
             JOIN cone ON c.request_id = cone.id WHERE c.organisation_id = {}",
            marks(db, 1, chunk.len()),
            placeholder(db, chunk.len() + 1),
        );
        let mut values: Vec<sea_orm::Value> = chunk.iter().map(|&id| id.into()).collect();
        values.push(organisation_id.into());
        let found = Waiting::find_by_statement(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .all(db)
        .await?;
        ids.extend(found.into_iter().map(|row| row.commitment_id));
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Projects `commitment_ids` and `request_ids` with everything upstream of
/// them, as of `as_of`.
pub async fn project(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: OrganisationId,
    commitment_ids: &[CommitmentId],
    request_ids: &[RequestId],
    as_of: DateTime<Utc>,
) -> Result<Projected, ApiError> {
    project_with(
        db,
        cache,
        organisation_id,
        commitment_ids,
        request_ids,
        &[],
        as_of,
    )
    .await
}

/// Projects `request_ids` with everything upstream of them, as of `as_of`,
/// reading only the requests of the cone not among `known` (rows already
/// read, of the same organisation: a list page's own).
pub async fn project_knowing(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: OrganisationId,
    request_ids: &[RequestId],
    known: &[request::Model],
    as_of: DateTime<Utc>,
) -> Result<Projected, ApiError> {
    project_with(db, cache, organisation_id, &[], request_ids, known, as_of).await
}

async fn project_with(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: OrganisationId,
    commitment_ids: &[CommitmentId],
    request_ids: &[RequestId],
    known: &[request::Model],
    as_of: DateTime<Utc>,
) -> Result<Projected, ApiError> {
    let commitment_rows = if commitment_ids.is_empty() {
        Vec::new()
    } else {
        commitment::Entity::find()
            .filter(commitment::Column::OrganisationId.eq(organisation_id))
            .filter(commitment::Column::Id.is_in(commitment_ids.iter().copied()))
            .all(db)
            .await?
    };
    let commitment_edges: Vec<(CommitmentId, RequestId)> = if commitment_rows.is_empty() {
        Vec::new()
    } else {
        commitment_dependency::Entity::find()
            .select_only()
            .column(commitment_dependency::Column::CommitmentId)
            .column(commitment_dependency::Column::RequestId)
            .filter(
                commitment_dependency::Column::CommitmentId
                    .is_in(commitment_rows.iter().map(|row| row.id)),
            )
            .into_tuple()
            .all(db)
            .await?
    };
    let mut seeds: Vec<RequestId> = request_ids.to_vec();
    seeds.extend(commitment_edges.iter().map(|&(_, request)| request));
    let cone = upstream_cone_knowing(db, organisation_id, &seeds, known).await?;

    // The threshold only grades commitments.
    let threshold = if commitment_rows.is_empty() {
        480
    } else {
        organisation::Entity::find_by_id(organisation_id)
            .one(db)
            .await?
            .map_or(480, |org| i64::from(org.at_risk_threshold_minutes))
    };
    let departments: Vec<DepartmentId> = cone
        .rows
        .iter()
        .map(|row| row.provider_department_id)
        .chain(commitment_rows.iter().map(|row| row.owner_department_id))
        .collect();
    let calendars = for_departments(db, cache, organisation_id, &departments).await?;
    project_loaded(
        cone,
        &commitment_rows,
        &commitment_edges,
        &calendars,
        threshold,
        as_of,
    )
}

/// Requests, and the edges among them, of a part of the graph.
pub struct Cone {
    pub rows: Vec<request::Model>,
    pub edges: Vec<(RequestId, RequestId)>,
}

/// `seeds` and everything upstream of them, with the edges into each.
pub async fn upstream_cone(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    seeds: &[RequestId],
) -> Result<Cone, ApiError> {
    upstream_cone_knowing(db, organisation_id, seeds, &[]).await
}

/// [`upstream_cone`], reading only the requests not among `known` (a list
/// page's own rows, say, which are most of the cone of its open requests).
async fn upstream_cone_knowing(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    seeds: &[RequestId],
    known: &[request::Model],
) -> Result<Cone, ApiError> {
    if seeds.is_empty() {
        return Ok(Cone {
            rows: Vec::new(),
            edges: Vec::new(),
        });
    }
    let edges = upstream_edges(db, seeds).await?;
    let mut cone: HashSet<RequestId> = seeds
        .iter()
        .copied()
        .chain(edges.iter().map(|&(_, input)| input))
        .collect();
    let mut rows = Vec::with_capacity(cone.len());
    for row in known {
        if cone.remove(&row.id) {
            rows.push(row.clone());
        }
    }
    let missing: Vec<RequestId> = cone.into_iter().collect();
    for chunk in missing.chunks(5_000) {
        rows.extend(crate::entities::request_row::with_ids(db, organisation_id, chunk).await?);
    }
    rows.sort_by_key(|row| row.id);
    Ok(Cone { rows, edges })
}

/// Projects loaded rows as of `as_of`; `calendars` holds the calendar of
/// every provider and owner department among them.
pub fn project_loaded(
    cone: Cone,
    commitment_rows: &[commitment::Model],
    commitment_edges: &[(CommitmentId, RequestId)],
    calendars: &HashMap<DepartmentId, Arc<CompiledCalendar>>,
    threshold: i64,
    as_of: DateTime<Utc>,
) -> Result<Projected, ApiError> {
    let Cone { rows, edges } = cone;
    let calendars = CalendarTable::new(calendars);
    let index: HashMap<RequestId, RequestIdx> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| (row.id, RequestIdx(i as u32)))
        .collect();
    let mut inputs_of: HashMap<RequestId, Vec<RequestIdx>> = HashMap::new();
    for (id, input) in edges {
        if let Some(&idx) = index.get(&input) {
            inputs_of.entry(id).or_default().push(idx);
        }
    }
    let mut requests = Vec::with_capacity(rows.len());
    for row in &rows {
        let (calendar_idx, calendar) = calendars.of(row.provider_department_id)?;
        requests.push(RequestInput {
            id: row.id.0,
            provider_department_id: row.provider_department_id.0,
            customer_department_id: row.customer_department_id.0,
            calendar: calendar_idx,
            turnaround: turnaround_of(row.turnaround_unit, row.turnaround_quantity)?,
            requested_at: row.requested_at,
            state: state_of(row)?,
            pause_shift_seconds: pause_shift_as_of(row, &calendar, as_of)?,
            depends_on: inputs_of.remove(&row.id).unwrap_or_default(),
            // The stored schedule was computed by the same rules; the engine
            // uses it whenever it reaches the same ready time, skipping the
            // calendar arithmetic. (A paused request's stored due includes
            // its pause shift, so it is no plain due of its ready time.)
            due_hint: (row.pause_shift_seconds == 0).then_some(DueHint {
                ready: row.ready_at,
                due: row.due_at,
            }),
        });
    }
    let mut commitments = Vec::with_capacity(commitment_rows.len());
    for row in commitment_rows {
        let (calendar_idx, _) = calendars.of(row.owner_department_id)?;
        commitments.push(CommitmentInput {
            id: row.id.0,
            owner_department_id: row.owner_department_id.0,
            calendar: calendar_idx,
            lead_time: turnaround_of(row.lead_time_unit, row.lead_time_quantity)?,
            promised_at: row.promised_at,
            depends_on: commitment_edges
                .iter()
                .filter(|(commitment, _)| *commitment == row.id)
                .filter_map(|(_, request)| index.get(request).copied())
                .collect(),
            state: match (row.status, row.fulfilled_at) {
                (CommitmentStatus::Fulfilled, Some(at)) => CommitmentState::Fulfilled { at },
                (CommitmentStatus::Cancelled, _) => CommitmentState::Cancelled,
                _ => CommitmentState::Open,
            },
        });
    }
    let commitment_index = commitment_rows
        .iter()
        .enumerate()
        .map(|(i, row)| (row.id, CommitmentIdx(i as u32)))
        .collect();
    let projection = Projection::from_input(
        ProjectionInput {
            calendars: calendars.into_list(),
            requests,
            commitments,
            at_risk_threshold_minutes: threshold,
        },
        as_of,
    )
    .map_err(projection_error)?;
    Ok(Projected {
        projection,
        paused: rows.iter().map(|row| row.paused_at.is_some()).collect(),
        agreement_of: rows.iter().map(|row| row.agreement_id).collect(),
        requests: index,
        commitments: commitment_index,
    })
}

/// A request's projected finish when nothing upstream can move it
/// (delivered, cancelled), without projecting; `None` when it takes one.
pub fn settled_finish(row: &request::Model) -> Result<Option<Option<DateTime<Utc>>>, ApiError> {
    Ok(Projection::settled_finish(state_of(row)?))
}

fn state_of(row: &request::Model) -> Result<RequestState, ApiError> {
    Ok(match row.status {
        RequestStatus::Cancelled => RequestState::Cancelled,
        status if status.is_finished() => match row.delivered_at {
            Some(at) => RequestState::Delivered { at },
            None => RequestState::Undelivered {
                expected_at: row.expected_at,
            },
        },
        _ => RequestState::Undelivered {
            expected_at: row.expected_at,
        },
    })
}

/// Finished pauses, plus the running one up to `as_of`: while a request
/// waits on its customer its clock is stopped, so its due keeps moving.
fn pause_shift_as_of(
    row: &request::Model,
    calendar: &CompiledCalendar,
    as_of: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let running = match row.paused_at {
        Some(paused_at) if as_of > paused_at => {
            let unit = turnaround_of(row.turnaround_unit, row.turnaround_quantity)?.unit();
            if unit.is_business() {
                calendar
                    .working_seconds(paused_at, as_of)
                    .map_err(|error| ApiError::Internal(format!("pause shift: {error}")))?
            } else {
                (as_of - paused_at).num_seconds()
            }
        }
        _ => 0,
    };
    Ok(row.pause_shift_seconds + running)
}

/// Department calendars numbered for the engine.
struct CalendarTable {
    by_department: HashMap<DepartmentId, (CalendarIdx, Arc<CompiledCalendar>)>,
    list: Vec<Arc<CompiledCalendar>>,
}

impl CalendarTable {
    /// Numbers the calendars, one index per distinct calendar.
    fn new(by_department: &HashMap<DepartmentId, Arc<CompiledCalendar>>) -> Self {
        let mut table = CalendarTable {
            by_department: HashMap::with_capacity(by_department.len()),
            list: Vec::new(),
        };
        for (&department, calendar) in by_department {
            let idx = match table
                .list
                .iter()
                .position(|known| Arc::ptr_eq(known, calendar))
            {
                Some(at) => CalendarIdx(at as u32),
                None => {
                    table.list.push(calendar.clone());
                    CalendarIdx(table.list.len() as u32 - 1)
                }
            };
            table
                .by_department
                .insert(department, (idx, calendar.clone()));
        }
        table
    }

    fn of(
        &self,
        department_id: DepartmentId,
    ) -> Result<(CalendarIdx, Arc<CompiledCalendar>), ApiError> {
        self.by_department
            .get(&department_id)
            .cloned()
            .ok_or_else(|| {
                ApiError::Internal(format!("department {department_id} has no calendar"))
            })
    }

    fn into_list(self) -> Vec<Arc<CompiledCalendar>> {
        self.list
    }
}

pub fn risk_name(risk: crate::projection::Risk) -> &'static str {
    match risk {
        crate::projection::Risk::OnTrack => "on_track",
        crate::projection::Risk::AtRisk => "at_risk",
        crate::projection::Risk::Late => "late",
    }
}
