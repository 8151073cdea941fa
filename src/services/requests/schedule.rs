//! Ready time, clock start and due of a request, and their re-computation
//! downstream when an upstream request's finish moves.
//!
//! The stored due uses each dependency's *planned* finish: its delivery when
//! finished, else its due. Forecasts, and the `as_of` floor, are the
//! projection's (SPEC §4), computed at read time.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::json;

use super::{RequestStatus, dependencies_of};
use crate::entities::ids::{DepartmentId, OrganisationId, RequestId};
use crate::entities::request;
use crate::error::ApiError;
use crate::services::agreements::turnaround_of;
use crate::services::calendars::{CalendarCache, for_department, for_departments, placeholder};
use crate::services::events::{self, NewEvent, Subject};
use crate::services::projection::downstream_of;
use crate::time::{CompiledCalendar, TimeError, Turnaround, TurnaroundUnit};

/// When a request's clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub ready_at: DateTime<Utc>,
    pub clock_start: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

pub fn time_error(error: TimeError) -> ApiError {
    match error {
        TimeError::OutOfRange { .. } | TimeError::ResultOutOfRange => ApiError::field(
            "requested_at",
            format!("the due date falls outside the supported calendar range: {error}"),
        ),
        other => ApiError::Internal(format!("business time: {other}")),
    }
}

/// `due` moved later by a pause shift: working seconds for business units,
/// elapsed seconds for calendar units.
pub fn shift_due(
    calendar: &CompiledCalendar,
    due: DateTime<Utc>,
    unit: TurnaroundUnit,
    shift_seconds: i64,
) -> Result<DateTime<Utc>, ApiError> {
    if shift_seconds == 0 {
        Ok(due)
    } else if unit.is_business() {
        calendar.add_working(due, shift_seconds).map_err(time_error)
    } else {
        due.checked_add_signed(TimeDelta::seconds(shift_seconds))
            .ok_or_else(|| ApiError::field("at", "the due date moves out of range"))
    }
}

/// The schedule of work requested at `requested_at` whose inputs finish at
/// `input_finishes`.
pub fn schedule(
    calendar: &CompiledCalendar,
    requested_at: DateTime<Utc>,
    input_finishes: impl IntoIterator<Item = DateTime<Utc>>,
    turnaround: Turnaround,
    pause_shift_seconds: i64,
) -> Result<Schedule, ApiError> {
    let ready_at = input_finishes.into_iter().fold(requested_at, DateTime::max);
    let due = calendar.due(ready_at, turnaround).map_err(time_error)?;
    Ok(Schedule {
        ready_at,
        clock_start: due.clock_start,
        due_at: shift_due(calendar, due.due, turnaround.unit(), pause_shift_seconds)?,
    })
}

/// The finish dependents plan on: the delivery when delivered, else the
/// due (forecasts are predictions, left to the projection); `None` when
/// cancelled (it left the graph).
pub fn planned_finish(row: &request::Model) -> Option<DateTime<Utc>> {
    match row.status {
        RequestStatus::Cancelled => None,
        status if status.is_finished() => row.delivered_at,
        _ => Some(row.due_at),
    }
}

pub fn turnaround_of_request(row: &request::Model) -> Result<Turnaround, ApiError> {
    turnaround_of(row.turnaround_unit, row.turnaround_quantity)
}

/// Compiled calendars of provider departments, looked up once per call.
pub struct ProviderCalendars<'a> {
    cache: &'a CalendarCache,
    organisation_id: OrganisationId,
    by_department: HashMap<DepartmentId, Arc<CompiledCalendar>>,
}

impl<'a> ProviderCalendars<'a> {
    pub fn new(cache: &'a CalendarCache, organisation_id: OrganisationId) -> Self {
        ProviderCalendars {
            cache,
            organisation_id,
            by_department: HashMap::new(),
        }
    }

    pub async fn of(
        &mut self,
        db: &impl ConnectionTrait,
        department_id: DepartmentId,
    ) -> Result<Arc<CompiledCalendar>, ApiError> {
        if let Some(hit) = self.by_department.get(&department_id) {
            return Ok(hit.clone());
        }
        let calendar = for_department(db, self.cache, self.organisation_id, department_id).await?;
        self.by_department.insert(department_id, calendar.clone());
        Ok(calendar)
    }
}

/// Recomputes the schedule of every undelivered request downstream of
/// `changed` (not `changed` themselves), in dependency order, and logs a
/// `due_moved` event on each whose due moved. Delivered and cancelled
/// requests stop the walk: their finish no longer depends on their inputs.
///
/// A handful of statements whatever the size of the cone: one recursive
/// walk, the rows and edges in chunks, one calendar lookup, then the new
/// schedules and their events written in bulk.
pub async fn reschedule_downstream(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: OrganisationId,
    changed: &[RequestId],
) -> Result<(), ApiError> {
    // 1. Everything reachable downstream, with the edges into it.
    let reachable: Vec<RequestId> = downstream_of(db, changed)
        .await?
        .into_iter()
        .filter(|id| !changed.contains(id))
        .collect();
    if reachable.is_empty() {
        return Ok(());
    }
    let mut rows = rows_by_id(db, organisation_id, &reachable).await?;
    let mut edges = Vec::new();
    for chunk in reachable.chunks(5_000) {
        edges.extend(dependencies_of(db, chunk).await?);
    }

    // 2. The cone: reached through undelivered requests only.
    let mut dependents_of: HashMap<RequestId, Vec<RequestId>> = HashMap::new();
    let mut inputs_of: HashMap<RequestId, Vec<RequestId>> = HashMap::new();
    for &(id, input) in &edges {
        dependents_of.entry(input).or_default().push(id);
        inputs_of.entry(id).or_default().push(input);
    }
    let mut cone: HashSet<RequestId> = HashSet::new();
    let mut frontier: Vec<RequestId> = changed.to_vec();
    while let Some(id) = frontier.pop() {
        for &dependent in dependents_of.get(&id).into_iter().flatten() {
            let Some(row) = rows.get(&dependent) else {
                continue;
            };
            if !changed.contains(&dependent)
                && row.status.is_undelivered()
                && cone.insert(dependent)
            {
                frontier.push(dependent);
            }
        }
    }
    if cone.is_empty() {
        return Ok(());
    }

    // 3. The planned finishes of the inputs outside the cone.
    let outside: Vec<RequestId> = edges
        .iter()
        .filter(|(id, _)| cone.contains(id))
        .map(|&(_, input)| input)
        .filter(|input| !cone.contains(input) && !rows.contains_key(input))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    rows.extend(rows_by_id(db, organisation_id, &outside).await?);
    let mut finishes: HashMap<RequestId, Option<DateTime<Utc>>> = rows
        .iter()
        .filter(|(id, _)| !cone.contains(id))
        .map(|(&id, row)| (id, planned_finish(row)))
        .collect();

    // 4. Kahn's order inside the cone (it is acyclic: cycles are refused).
    let mut waiting: HashMap<RequestId, usize> = cone.iter().map(|&id| (id, 0)).collect();
    for &(id, input) in &edges {
        if cone.contains(&id) && cone.contains(&input) {
            *waiting.entry(id).or_default() += 1;
        }
    }
    let mut ready: VecDeque<RequestId> = waiting
        .iter()
        .filter(|(_, count)| **count == 0)
        .map(|(&id, _)| id)
        .collect();
    let providers: Vec<DepartmentId> = cone
        .iter()
        .filter_map(|id| rows.get(id))
        .map(|row| row.provider_department_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let calendars = for_departments(db, cache, organisation_id, &providers).await?;
    let mut moved: Vec<(request::Model, Schedule)> = Vec::new();
    while let Some(id) = ready.pop_front() {
        for dependent in dependents_of.get(&id).into_iter().flatten() {
            if let Some(count) = waiting.get_mut(dependent) {
                *count -= 1;
                if *count == 0 {
                    ready.push_back(*dependent);
                }
            }
        }
        let Some(row) = rows.get(&id) else { continue };
        let calendar = calendars.get(&row.provider_department_id).ok_or_else(|| {
            ApiError::Internal(format!(
                "department {} has no calendar",
                row.provider_department_id
            ))
        })?;
        let input_finishes = inputs_of
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|input| finishes.get(input).copied().flatten());
        let next = schedule(
            calendar,
            row.requested_at,
            input_finishes,
            turnaround_of_request(row)?,
            row.pause_shift_seconds,
        )?;
        let mut planned = row.clone();
        planned.ready_at = next.ready_at;
        planned.clock_start = next.clock_start;
        planned.due_at = next.due_at;
        finishes.insert(id, planned_finish(&planned));
        if next.due_at != row.due_at
            || next.ready_at != row.ready_at
            || next.clock_start != row.clock_start
        {
            moved.push((row.clone(), next));
        }
    }
    store_schedules(db, &moved).await
}

/// Request rows of the organisation by id, fetched in chunks.
async fn rows_by_id(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    ids: &[RequestId],
) -> Result<HashMap<RequestId, request::Model>, ApiError> {
    let mut rows = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(5_000) {
        for row in request::Entity::find()
            .filter(request::Column::OrganisationId.eq(organisation_id))
            .filter(request::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            rows.insert(row.id, row);
        }
    }
    Ok(rows)
}

/// Saves new schedules with one `UPDATE` per chunk of rows, and logs the
/// move of each due that moved.
async fn store_schedules(
    db: &impl ConnectionTrait,
    moved: &[(request::Model, Schedule)],
) -> Result<(), ApiError> {
    let now = Utc::now();
    for chunk in moved.chunks(1_000) {
        let mut values: Vec<sea_orm::Value> = vec![now.into()];
        let mut rows = Vec::with_capacity(chunk.len());
        for (row, next) in chunk {
            let first = values.len() + 1;
            values.extend([
                row.id.into(),
                next.ready_at.into(),
                next.clock_start.into(),
                next.due_at.into(),
            ]);
            rows.push(format!(
                "({})",
                (first..first + 4)
                    .map(|n| placeholder(db, n))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        // A due moved into the future is no longer overdue: warn again if
        // it passes the new one. Its alerts are planned again from the new
        // schedule (`alerts.rs`). The version moves relatively, so that a
        // concurrent transition's own bump is not undone.
        let sql = format!(
            "UPDATE requests SET ready_at = v.column2, clock_start = v.column3, \
             due_at = v.column4, \
             overdue_notified_at = CASE WHEN v.column4 > {} THEN NULL ELSE overdue_notified_at END, \
             due_soon_at = NULL, escalate_at = NULL, \
             version = version + 1 \
             FROM (VALUES {}) AS v WHERE requests.id = v.column1",
            placeholder(db, 1),
            rows.join(", ")
        );
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    }
    events::append_many(
        db,
        moved
            .iter()
            .filter(|(row, next)| next.due_at != row.due_at)
            .map(|(row, next)| NewEvent {
                organisation_id: row.organisation_id,
                subject: Subject::Request(row.id),
                kind: "due_moved",
                actor_user_id: None,
                at: None,
                data: json!({"from": row.due_at, "to": next.due_at, "ready_at": next.ready_at}),
            }),
    )
    .await
}
