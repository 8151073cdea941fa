//! Ready time, clock start and due of a request, and their re-computation
//! downstream when an upstream request's finish moves.
//!
//! The stored due uses each dependency's *planned* finish: its delivery when
//! finished, else the later of its due and its forecast. (The projection of
//! SPEC §4 adds the `as_of` floor at read time.)

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::{RequestStatus, dependencies_of, status_of};
use crate::entities::{request, request_dependency};
use crate::error::ApiError;
use crate::services::agreements::turnaround_of;
use crate::services::calendars::{CalendarCache, for_department};
use crate::services::events::{self, NewEvent, Subject};
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

/// The finish dependents plan on; `None` when cancelled (it left the graph).
pub fn planned_finish(row: &request::Model) -> Option<DateTime<Utc>> {
    match RequestStatus::parse(&row.status)? {
        RequestStatus::Cancelled => None,
        status if status.is_finished() => row.delivered_at,
        _ => Some(
            row.expected_at
                .map_or(row.due_at, |expected| expected.max(row.due_at)),
        ),
    }
}

pub fn turnaround_of_request(row: &request::Model) -> Result<Turnaround, ApiError> {
    turnaround_of(&row.turnaround_unit, row.turnaround_quantity)
}

/// Compiled calendars of provider departments, looked up once per call.
pub struct ProviderCalendars<'a> {
    cache: &'a CalendarCache,
    organisation_id: i64,
    by_department: HashMap<i64, Arc<CompiledCalendar>>,
}

impl<'a> ProviderCalendars<'a> {
    pub fn new(cache: &'a CalendarCache, organisation_id: i64) -> Self {
        ProviderCalendars {
            cache,
            organisation_id,
            by_department: HashMap::new(),
        }
    }

    pub async fn of(
        &mut self,
        db: &impl ConnectionTrait,
        department_id: i64,
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
pub async fn reschedule_downstream(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: i64,
    changed: &[i64],
) -> Result<(), ApiError> {
    // 1. The cone: undelivered requests reachable through "depends on me".
    let mut cone: HashMap<i64, request::Model> = HashMap::new();
    let mut frontier: Vec<i64> = changed.to_vec();
    while !frontier.is_empty() {
        let dependents: Vec<i64> = request_dependency::Entity::find()
            .select_only()
            .column(request_dependency::Column::RequestId)
            .filter(request_dependency::Column::DependsOnId.is_in(frontier.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let fresh: Vec<i64> = dependents
            .into_iter()
            .filter(|id| !cone.contains_key(id) && !changed.contains(id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if fresh.is_empty() {
            break;
        }
        let rows = request::Entity::find()
            .filter(request::Column::Id.is_in(fresh.iter().copied()))
            .filter(request::Column::OrganisationId.eq(organisation_id))
            .all(db)
            .await?;
        frontier.clear();
        for row in rows {
            if status_of(&row)?.is_undelivered() {
                frontier.push(row.id);
                cone.insert(row.id, row);
            }
        }
    }
    if cone.is_empty() {
        return Ok(());
    }

    // 2. Inputs of the cone, and the rows of inputs outside it.
    let cone_ids: Vec<i64> = cone.keys().copied().collect();
    let edges = dependencies_of(db, &cone_ids).await?;
    let outside: Vec<i64> = edges
        .iter()
        .map(|&(_, input)| input)
        .filter(|input| !cone.contains_key(input))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut finishes: HashMap<i64, Option<DateTime<Utc>>> = request::Entity::find()
        .filter(request::Column::Id.is_in(outside))
        .all(db)
        .await?
        .iter()
        .map(|row| (row.id, planned_finish(row)))
        .collect();

    // 3. Kahn's order inside the cone (it is acyclic: cycles are refused).
    let mut inputs_of: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut waiting: HashMap<i64, usize> = cone_ids.iter().map(|&id| (id, 0)).collect();
    let mut dependents_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(id, input) in &edges {
        inputs_of.entry(id).or_default().push(input);
        if cone.contains_key(&input) {
            *waiting.entry(id).or_default() += 1;
            dependents_of.entry(input).or_default().push(id);
        }
    }
    let mut ready: VecDeque<i64> = waiting
        .iter()
        .filter(|(_, count)| **count == 0)
        .map(|(&id, _)| id)
        .collect();
    let mut calendars = ProviderCalendars::new(cache, organisation_id);
    while let Some(id) = ready.pop_front() {
        for dependent in dependents_of.get(&id).into_iter().flatten() {
            if let Some(count) = waiting.get_mut(dependent) {
                *count -= 1;
                if *count == 0 {
                    ready.push_back(*dependent);
                }
            }
        }
        let Some(row) = cone.get(&id) else { continue };
        let calendar = calendars.of(db, row.provider_department_id).await?;
        let input_finishes = inputs_of
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|input| finishes.get(input).copied().flatten());
        let next = schedule(
            &calendar,
            row.requested_at,
            input_finishes,
            turnaround_of_request(row)?,
            row.pause_shift_seconds,
        )?;
        let updated = store_schedule(db, row, next).await?;
        finishes.insert(id, planned_finish(&updated));
    }
    Ok(())
}

/// Saves a new schedule when it differs, logging the move of the due.
async fn store_schedule(
    db: &impl ConnectionTrait,
    row: &request::Model,
    next: Schedule,
) -> Result<request::Model, ApiError> {
    if next.due_at == row.due_at
        && next.ready_at == row.ready_at
        && next.clock_start == row.clock_start
    {
        return Ok(row.clone());
    }
    // Imported here only: its blanket `max` would shadow `Ord::max` above.
    use sea_orm::ExprTrait;
    let mut update = request::Entity::update_many()
        .col_expr(request::Column::ReadyAt, Expr::value(next.ready_at))
        .col_expr(request::Column::ClockStart, Expr::value(next.clock_start))
        .col_expr(request::Column::DueAt, Expr::value(next.due_at))
        // Relative, so that a concurrent transition's own bump is not undone.
        .col_expr(
            request::Column::Version,
            Expr::col(request::Column::Version).add(1),
        )
        .filter(request::Column::Id.eq(row.id));
    if next.due_at > Utc::now() {
        // No longer overdue: warn again if it passes the new due.
        update = update.col_expr(
            request::Column::OverdueNotifiedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    }
    update.exec(db).await?;
    let updated = request::Entity::find_by_id(row.id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("request"))?;
    if next.due_at != row.due_at {
        events::append(
            db,
            NewEvent {
                organisation_id: row.organisation_id,
                subject: Subject::Request(row.id),
                kind: "due_moved",
                actor_user_id: None,
                at: None,
                data: json!({"from": row.due_at, "to": next.due_at, "ready_at": next.ready_at}),
            },
        )
        .await?;
    }
    Ok(updated)
}
