//! What logging a request checks and writes, shared by the one-by-one path
//! (`create`) and the group commit (`group`): the input, its checks against
//! the agreement, calendars and upstream rows, the rows and the event it
//! becomes, and the notice when it is logged already overdue.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, Set};
use serde_json::json;

use super::RequestStatus;
use super::schedule::{Schedule, planned_finish, schedule};
use crate::entities::ids::{AgreementId, RequestId};
use crate::entities::{agreement, request, request_dependency};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::services::agreements::{AgreementStatus, turnaround_of};
use crate::services::events::{self, NewEvent, Subject};
use crate::services::notifications::{self, Kind};
use crate::services::projection::Cone;
use crate::time::CompiledCalendar;
use crate::validate::Checker;

/// How far in the future `requested_at` may lie (clock skew).
const REQUESTED_AT_LEEWAY: TimeDelta = TimeDelta::minutes(5);
/// Most dependencies one request may list.
const MAX_DEPENDENCIES: usize = 100;

#[derive(Debug, Clone, serde::Serialize)]
pub struct NewRequest {
    pub agreement_id: AgreementId,
    pub title: String,
    pub details: String,
    pub requested_at: Option<DateTime<Utc>>,
    pub depends_on: Vec<RequestId>,
}

/// A new row, and the requests upstream of it (for its projection).
pub(super) struct Inserted {
    pub created: request::Model,
    pub cone: Cone,
}

/// The agreement a request is logged under, if the actor may log one under
/// it now.
/// Whether the actor may log a request under `agreement` (`None`: there is
/// no such agreement in the actor's organisation) now.
pub(super) fn check_agreement(
    actor: &AuthUser,
    agreement: Option<agreement::Model>,
) -> Result<agreement::Model, ApiError> {
    let agreement = agreement
        .filter(|agreement| agreement.organisation_id == actor.organisation_id)
        .ok_or_else(|| ApiError::field("agreement_id", "no such agreement in this organisation"))?;
    let customer_side = match actor.role {
        Role::Admin | Role::Leader => true,
        Role::Lead | Role::Staff => actor.department_id == Some(agreement.customer_department_id),
    };
    if !customer_side {
        return Err(ApiError::Forbidden(
            "requests are logged by the customer department of the agreement".into(),
        ));
    }
    if agreement.status != AgreementStatus::Active {
        return Err(ApiError::Conflict(format!(
            "the agreement is {}: requests are logged only under active agreements",
            agreement.status
        )));
    }

    Ok(agreement)
}

/// The inputs a request names, each once, in order.
pub(super) fn dependencies(input: &NewRequest) -> Vec<RequestId> {
    let mut depends_on = input.depends_on.clone();
    depends_on.sort_unstable();
    depends_on.dedup();
    depends_on
}

/// A new request checked and scheduled, ready to insert.
pub(super) struct Checked {
    pub row: request::ActiveModel,
    /// Its inputs, each once, in order.
    pub depends_on: Vec<RequestId>,
    pub requested_at: DateTime<Utc>,
    pub planned: Schedule,
    /// Already past its due when logged (a request logged late).
    pub overdue_now: bool,
}

/// Checks a new request against what is stored (`upstream`: the rows of
/// its inputs' upstream cone, by id) and schedules it, as of `now`.
pub(super) fn check(
    actor: &AuthUser,
    input: &NewRequest,
    depends_on: Vec<RequestId>,
    agreement: &agreement::Model,
    calendar: &CompiledCalendar,
    upstream: &[request::Model],
    now: DateTime<Utc>,
) -> Result<Checked, ApiError> {
    let mut check = Checker::new();
    let title = check.line("title", &input.title, 200);
    let details = check.text("details", &input.details, 10_000);
    let requested_at = check.instant("requested_at", input.requested_at.unwrap_or(now));
    if requested_at > now + REQUESTED_AT_LEEWAY {
        check.add(
            "requested_at",
            "must not be more than 5 minutes in the future",
        );
    }
    if depends_on.len() > MAX_DEPENDENCIES {
        check.add(
            "depends_on",
            format!("at most {MAX_DEPENDENCIES} dependencies"),
        );
    }
    let inputs: Vec<&request::Model> = depends_on
        .iter()
        .filter_map(|id| {
            let at = upstream.binary_search_by_key(id, |row| row.id).ok()?;
            Some(&upstream[at])
        })
        .collect();
    let known: Vec<RequestId> = inputs.iter().map(|row| row.id).collect();
    check.known_ids("depends_on", "requests", &depends_on, &known);
    check.finish()?;

    let turnaround = turnaround_of(agreement.turnaround_unit, agreement.turnaround_quantity)?;
    let planned = schedule(
        calendar,
        requested_at,
        inputs.iter().filter_map(|row| planned_finish(row)),
        turnaround,
        0,
    )?;
    let overdue_now = planned.due_at < now;
    let row = request::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        agreement_id: Set(agreement.id),
        agreement_version: Set(agreement.terms_version),
        provider_department_id: Set(agreement.provider_department_id),
        customer_department_id: Set(agreement.customer_department_id),
        title: Set(title),
        details: Set(details),
        turnaround_unit: Set(agreement.turnaround_unit),
        turnaround_quantity: Set(agreement.turnaround_quantity),
        status: Set(RequestStatus::Open),
        status_before_pause: Set(None),
        requested_at: Set(requested_at),
        logged_at: Set(now),
        ready_at: Set(planned.ready_at),
        clock_start: Set(planned.clock_start),
        due_at: Set(planned.due_at),
        pause_shift_seconds: Set(0),
        paused_at: Set(None),
        expected_at: Set(None),
        delivered_at: Set(None),
        lateness_minutes: Set(None),
        on_time: Set(None),
        rating_score: Set(None),
        rating_comment: Set(None),
        last_event_at: Set(requested_at),
        overdue_notified_at: Set(overdue_now.then_some(now)),
        created_by_user_id: Set(actor.id),
        assignee_user_id: Set(None),
        version: Set(1),
        ..Default::default()
    };
    Ok(Checked {
        row,
        depends_on,
        requested_at,
        planned,
        overdue_now,
    })
}

/// The dependency rows of a new request.
pub(super) fn edges(
    created: &request::Model,
    depends_on: &[RequestId],
) -> Vec<request_dependency::ActiveModel> {
    depends_on
        .iter()
        .map(|&input| request_dependency::ActiveModel {
            request_id: Set(created.id),
            depends_on_id: Set(input),
            organisation_id: Set(created.organisation_id),
        })
        .collect()
}

/// The `logged` event of a new request.
pub(super) fn logged_event(
    actor: &AuthUser,
    agreement: &agreement::Model,
    created: &request::Model,
    checked: &Checked,
) -> NewEvent<'static> {
    NewEvent {
        organisation_id: actor.organisation_id,
        subject: Subject::Request(created.id),
        kind: "logged",
        actor_user_id: Some(actor.id),
        at: Some(checked.requested_at),
        data: json!({
            "agreement_id": agreement.id, "agreement_version": agreement.terms_version,
            "title": created.title, "depends_on": checked.depends_on,
            "clock_start": checked.planned.clock_start, "due_at": checked.planned.due_at,
        }),
    }
}

/// Tells the customer's lead, whoever logged the request and the
/// provider's lead that a request has passed its due.
pub async fn notify_overdue(
    db: &impl ConnectionTrait,
    row: &request::Model,
) -> Result<(), ApiError> {
    notifications::notify_request_people(
        db,
        row,
        true,
        Kind::Overdue,
        &format!(
            "Request #{} \"{}\" passed its due undelivered",
            row.id, row.title
        ),
    )
    .await?;
    events::append(
        db,
        NewEvent {
            organisation_id: row.organisation_id,
            subject: Subject::Request(row.id),
            kind: "overdue",
            actor_user_id: None,
            at: Some(row.due_at),
            data: json!({"due_at": row.due_at}),
        },
    )
    .await
}
