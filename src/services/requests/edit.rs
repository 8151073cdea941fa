//! Editing a request: its title, details and dependencies (customer side),
//! refusing a dependency that would close a cycle (422 naming the cycle),
//! and who has it (provider side: an active person of the provider
//! department, told so by a notification).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::json;

use super::schedule::{
    ProviderCalendars, planned_finish, reschedule_downstream, schedule, turnaround_of_request,
};
use super::{dependencies_of, get};
use crate::entities::ids::{RequestId, UserId};
use crate::entities::{request, request_dependency, user};
use crate::error::ApiError;
use crate::identity::Role;
use crate::services::Context;
use crate::services::ExpectedVersion;
use crate::services::events::{self, NewEvent, Subject};
use crate::services::notifications;
use crate::services::projection;
use crate::validate::Checker;

#[derive(Default)]
pub struct RequestChanges {
    pub title: Option<String>,
    pub details: Option<String>,
    pub depends_on: Option<Vec<RequestId>>,
    /// `Some(None)` takes the request off whoever has it.
    pub assignee: Option<Option<UserId>>,
}

impl RequestChanges {
    /// Whether anything the customer side owns is changed.
    fn touches_customer_side(&self) -> bool {
        self.title.is_some() || self.details.is_some() || self.depends_on.is_some()
    }
}

#[tracing::instrument(skip_all, fields(actor = %cx.actor.id, request = %id))]
pub async fn edit(
    cx: &Context<'_>,
    id: RequestId,
    if_match: ExpectedVersion,
    changes: RequestChanges,
) -> Result<request::Model, ApiError> {
    let (db, calendars, actor) = (cx.db, cx.calendars, &cx.actor);
    let txn = crate::db::begin_write(db).await?;
    let row = get(&txn, actor, id).await?;
    let member_of = |department| {
        actor.role == Role::Admin
            || (matches!(actor.role, Role::Lead | Role::Staff)
                && actor.department_id == Some(department))
    };
    // An empty change is the customer's, as it always was.
    if (changes.touches_customer_side() || changes.assignee.is_none())
        && !member_of(row.customer_department_id)
    {
        return Err(ApiError::Forbidden(
            "only the customer department edits a request it logged".into(),
        ));
    }
    if changes.assignee.is_some() && !member_of(row.provider_department_id) {
        return Err(ApiError::Forbidden(
            "only the provider department assigns a request it owes".into(),
        ));
    }
    if_match.check(row.version)?;
    let mut check = Checker::new();
    let mut next: request::ActiveModel = row.clone().into();
    if let Some(title) = &changes.title {
        next.title = Set(check.line("title", title, 200));
    }
    if let Some(details) = &changes.details {
        next.details = Set(check.text("details", details, 10_000));
    }
    let mut assigned = None;
    if let Some(assignee) = changes.assignee {
        if let Some(person) = assignee
            && !is_active_member(&txn, &row, person).await?
        {
            check.add(
                "assignee_user_id",
                "must be an active person of the provider department",
            );
        }
        if assignee != row.assignee_user_id {
            next.assignee_user_id = Set(assignee);
            assigned = Some(assignee);
        }
    }
    let mut new_inputs = None;
    if let Some(depends_on) = &changes.depends_on {
        let mut depends_on = depends_on.clone();
        depends_on.sort_unstable();
        depends_on.dedup();
        let known: Vec<RequestId> = request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::OrganisationId.eq(actor.organisation_id))
            .filter(request::Column::Id.is_in(depends_on.iter().copied()))
            .into_tuple()
            .all(&txn)
            .await?;
        // Cycles are looked for only once every named request is known.
        if check.known_ids("depends_on", "requests", &depends_on, &known)
            && let Some(cycle) = find_cycle(&txn, id, &depends_on).await?
        {
            let path: Vec<String> = cycle.iter().map(RequestId::to_string).collect();
            check.add(
                "depends_on",
                format!(
                    "would close a cycle: {} (each needs the next)",
                    path.join(" → ")
                ),
            );
        }
        new_inputs = Some(depends_on);
    }
    check.finish()?;

    if let Some(inputs) = &new_inputs {
        request_dependency::Entity::delete_many()
            .filter(request_dependency::Column::RequestId.eq(id))
            .exec(&txn)
            .await?;
        if !inputs.is_empty() {
            request_dependency::Entity::insert_many(inputs.iter().map(|&input| {
                request_dependency::ActiveModel {
                    request_id: Set(id),
                    depends_on_id: Set(input),
                    organisation_id: Set(actor.organisation_id),
                }
            }))
            .exec(&txn)
            .await?;
        }
        if row.status.is_undelivered() {
            let rows = request::Entity::find()
                .filter(request::Column::Id.is_in(inputs.iter().copied()))
                .all(&txn)
                .await?;
            let calendar = ProviderCalendars::new(calendars, actor.organisation_id)
                .of(&txn, row.provider_department_id)
                .await?;
            let planned = schedule(
                &calendar,
                row.requested_at,
                rows.iter().filter_map(planned_finish),
                turnaround_of_request(&row)?,
                row.pause_shift_seconds,
            )?;
            next.ready_at = Set(planned.ready_at);
            next.clock_start = Set(planned.clock_start);
            next.due_at = Set(planned.due_at);
            // Its alerts are planned again from the new due (`alerts.rs`).
            next.due_soon_at = Set(None);
            next.escalate_at = Set(None);
            if planned.due_at > Utc::now() {
                next.overdue_notified_at = Set(None);
            }
        }
    }
    next.version = Set(row.version + 1);
    let result = request::Entity::update_many()
        .set(next)
        .filter(request::Column::Id.eq(id))
        .filter(request::Column::Version.eq(row.version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(ApiError::Stale);
    }
    if changes.touches_customer_side() || changes.assignee.is_none() {
        events::append(
            &txn,
            NewEvent {
                organisation_id: row.organisation_id,
                subject: Subject::Request(id),
                kind: "edited",
                actor_user_id: Some(actor.id),
                at: None,
                data: json!({"title": changes.title, "details": changes.details, "depends_on": new_inputs}),
            },
        )
        .await?;
    }
    if let Some(assignee) = assigned {
        events::append(
            &txn,
            NewEvent {
                organisation_id: row.organisation_id,
                subject: Subject::Request(id),
                kind: "assigned",
                actor_user_id: Some(actor.id),
                at: None,
                data: json!({"assignee_user_id": assignee, "previous": row.assignee_user_id}),
            },
        )
        .await?;
        // Nobody needs telling what they just did themselves.
        if let Some(person) = assignee.filter(|&person| person != actor.id) {
            let title = changes.title.as_deref().unwrap_or(&row.title);
            notifications::notify_users(
                &txn,
                row.organisation_id,
                &[person],
                notifications::Kind::Assigned,
                Some(id),
                &format!("Request #{id} \"{title}\" is now yours"),
            )
            .await?;
        }
    }
    if new_inputs.is_some() {
        reschedule_downstream(&txn, calendars, row.organisation_id, &[id]).await?;
        projection::store_downstream(&txn, calendars, row.organisation_id, &[id]).await?;
    }
    let updated = get(&txn, actor, id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Whether `person` is an active user of the request's provider department.
async fn is_active_member(
    db: &impl ConnectionTrait,
    row: &request::Model,
    person: UserId,
) -> Result<bool, ApiError> {
    Ok(user::Entity::find_by_id(person)
        .filter(user::Column::OrganisationId.eq(row.organisation_id))
        .filter(user::Column::DepartmentId.eq(row.provider_department_id))
        .filter(user::Column::Active.eq(true))
        .one(db)
        .await?
        .is_some())
}

/// The cycle `request → input → … → request` that depending on `inputs`
/// would close, upstream walk by upstream walk; `None` when there is none.
async fn find_cycle(
    db: &impl ConnectionTrait,
    request_id: RequestId,
    inputs: &[RequestId],
) -> Result<Option<Vec<RequestId>>, ApiError> {
    if inputs.contains(&request_id) {
        return Ok(Some(vec![request_id, request_id]));
    }
    // Breadth-first over "depends on", remembering who led where.
    let mut came_from: HashMap<RequestId, RequestId> = HashMap::new();
    let mut seen: HashSet<RequestId> = inputs.iter().copied().collect();
    let mut frontier: Vec<RequestId> = inputs.to_vec();
    while !frontier.is_empty() {
        let edges = dependencies_of(db, &frontier).await?;
        frontier.clear();
        for (from, to) in edges {
            if to == request_id {
                let mut path = vec![request_id, from];
                let mut at = from;
                while let Some(&previous) = came_from.get(&at) {
                    path.push(previous);
                    at = previous;
                }
                // `path` runs backwards from the request; put it in "needs" order.
                let mut cycle = vec![request_id];
                cycle.extend(path.into_iter().skip(1).rev());
                cycle.push(request_id);
                return Ok(Some(cycle));
            }
            if seen.insert(to) {
                came_from.insert(to, from);
                frontier.push(to);
            }
        }
    }
    Ok(None)
}
