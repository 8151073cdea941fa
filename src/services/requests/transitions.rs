//! The request state machine of SPEC §3: exactly the allowed transitions
//! (409 otherwise), each by the side allowed to make it, each with an
//! optional truthful `at`, each logged as an event.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use super::levels::{self, LevelFacts};
use super::schedule::{
    ProviderCalendars, reschedule_downstream, shift_due, time_error, turnaround_of_request,
};
use super::{RequestStatus, get};
use crate::entities::ids::RequestId;
use crate::entities::{department, request};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::services::Context;
use crate::services::ExpectedVersion;
use crate::services::Side;
use crate::services::events::{self, NewEvent, Subject};
use crate::services::notifications::{self, Kind};
use crate::services::projection;
use crate::validate::Checker;

/// How far an `at` may run ahead of the server clock.
const AT_LEEWAY: TimeDelta = TimeDelta::seconds(5);

/// One change a side makes to a request.
#[derive(Debug, Clone)]
pub enum Action {
    Start,
    Pause {
        reason: String,
    },
    Resume,
    Forecast {
        expected_at: DateTime<Utc>,
        reason: String,
    },
    Deliver,
    Accept,
    Reopen {
        reason: String,
    },
    Cancel {
        reason: String,
    },
    Rate {
        score: i64,
        comment: String,
    },
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Pause { .. } => "pause",
            Action::Resume => "resume",
            Action::Forecast { .. } => "forecast",
            Action::Deliver => "deliver",
            Action::Accept => "accept",
            Action::Reopen { .. } => "reopen",
            Action::Cancel { .. } => "cancel",
            Action::Rate { .. } => "rate",
        }
    }

    /// The provider works the request; the customer judges and cancels it.
    fn side(&self) -> Side {
        match self {
            Action::Start
            | Action::Pause { .. }
            | Action::Resume
            | Action::Forecast { .. }
            | Action::Deliver => Side::Provider,
            Action::Accept
            | Action::Reopen { .. }
            | Action::Cancel { .. }
            | Action::Rate { .. } => Side::Customer,
        }
    }

    /// Whether the action is allowed from `status`.
    fn allowed_from(&self, status: RequestStatus) -> bool {
        use RequestStatus::*;
        match self {
            Action::Start => matches!(status, Open | Reopened),
            Action::Pause { .. } => matches!(status, Open | InProgress),
            Action::Resume => status == WaitingOnCustomer,
            Action::Forecast { .. } => status.is_undelivered(),
            Action::Deliver => status == InProgress,
            Action::Accept | Action::Reopen { .. } => status == Delivered,
            Action::Cancel { .. } => matches!(status, Open | InProgress | WaitingOnCustomer),
            Action::Rate { .. } => status.is_finished(),
        }
    }
}

fn may_act(actor: &AuthUser, row: &request::Model, side: Side) -> bool {
    let department = match side {
        Side::Provider => row.provider_department_id,
        Side::Customer => row.customer_department_id,
    };
    match actor.role {
        Role::Admin => true,
        Role::Leader => false,
        Role::Lead | Role::Staff => actor.department_id == Some(department),
    }
}

/// The moves `actor` may make on `row` now, by name, in the order a page
/// offers them: those whose side the actor is on and that the state machine
/// allows from the request's status (a delivery is rated once).
pub fn offered_moves(
    actor: &AuthUser,
    row: &request::Model,
) -> Result<Vec<&'static str>, ApiError> {
    let status = row.status;
    let every = [
        Action::Start,
        Action::Pause {
            reason: String::new(),
        },
        Action::Resume,
        Action::Forecast {
            expected_at: row.due_at,
            reason: String::new(),
        },
        Action::Deliver,
        Action::Accept,
        Action::Reopen {
            reason: String::new(),
        },
        Action::Cancel {
            reason: String::new(),
        },
        Action::Rate {
            score: 0,
            comment: String::new(),
        },
    ];
    Ok(every
        .iter()
        .filter(|action| may_act(actor, row, action.side()) && action.allowed_from(status))
        .filter(|action| !matches!(action, Action::Rate { .. }) || row.rating_score.is_none())
        .map(Action::name)
        .collect())
}

/// Applies `action` to request `id` at the declared time `at` (default now).
#[tracing::instrument(skip_all, fields(actor = %cx.actor.id, request = %id, action = action.name()))]
pub async fn act(
    cx: &Context<'_>,
    id: RequestId,
    if_match: ExpectedVersion,
    action: Action,
    at: Option<DateTime<Utc>>,
) -> Result<request::Model, ApiError> {
    act_projected(cx, id, if_match, action, at)
        .await
        .map(|(row, _)| row)
}

/// [`act`], also answering the projection of the commitments downstream
/// that the change stored, when there are any (it includes the request).
pub async fn act_projected(
    cx: &Context<'_>,
    id: RequestId,
    if_match: ExpectedVersion,
    action: Action,
    at: Option<DateTime<Utc>>,
) -> Result<(request::Model, Option<projection::Projected>), ApiError> {
    let (db, calendars, actor) = (cx.db, cx.calendars, &cx.actor);
    let txn = crate::db::begin_write(db).await?;
    let row = get(&txn, actor, id).await?;
    let side = action.side();
    if !may_act(actor, &row, side) {
        return Err(ApiError::Forbidden(format!(
            "only the {} department may {} this request",
            if side == Side::Provider {
                "provider"
            } else {
                "customer"
            },
            action.name()
        )));
    }
    if_match.check(row.version)?;
    let status = row.status;
    if !action.allowed_from(status) {
        return Err(ApiError::Conflict(format!(
            "a request that is {} cannot {}",
            status.as_str(),
            if matches!(action, Action::Rate { .. }) && status.is_undelivered() {
                "be rated before it is delivered"
            } else {
                action.name()
            }
        )));
    }
    let at = declared_at(&row, at)?;
    let calendar = ProviderCalendars::new(calendars, actor.organisation_id)
        .of(&txn, row.provider_department_id)
        .await?;

    let mut next: request::ActiveModel = row.clone().into();
    let mut moves_downstream = false;
    let mut late_forecast = false;
    let (kind, data): (&str, Value) = match &action {
        Action::Start => {
            next.status = Set(RequestStatus::InProgress);
            ("started", json!({}))
        }
        Action::Pause { reason } => {
            let reason = reason_of(reason)?;
            next.status = Set(RequestStatus::WaitingOnCustomer);
            next.status_before_pause = Set(Some(status));
            next.paused_at = Set(Some(at));
            ("paused", json!({"reason": reason}))
        }
        Action::Resume => {
            let paused_at = row.paused_at.unwrap_or(at);
            let unit = turnaround_of_request(&row)?.unit();
            let shift = if unit.is_business() {
                calendar
                    .working_seconds(paused_at, at)
                    .map_err(time_error)?
            } else {
                (at - paused_at).num_seconds()
            };
            let due_at = shift_due(&calendar, row.due_at, unit, shift)?;
            let back_to = row.status_before_pause.unwrap_or(RequestStatus::Open);
            next.status = Set(back_to);
            next.status_before_pause = Set(None);
            next.paused_at = Set(None);
            next.pause_shift_seconds = Set(row.pause_shift_seconds + shift);
            next.due_at = Set(due_at);
            // Its alerts are planned again from the new due (`alerts.rs`).
            next.due_soon_at = Set(None);
            next.escalate_at = Set(None);
            if due_at > Utc::now() {
                next.overdue_notified_at = Set(None);
            }
            moves_downstream = due_at != row.due_at;
            (
                "resumed",
                json!({"paused_from": paused_at, "shift_seconds": shift, "due_at": due_at, "status": back_to}),
            )
        }
        Action::Forecast {
            expected_at,
            reason,
        } => {
            let reason = reason_of(reason)?;
            crate::validate::instant("expected_at", *expected_at)?;
            next.expected_at = Set(Some(*expected_at));
            late_forecast = *expected_at > row.due_at;
            // A forecast is a prediction: it re-projects the commitments
            // downstream (below) but moves no stored due — those follow
            // facts (deliveries, reopenings, cancellations, pauses).
            (
                "forecast",
                json!({"expected_at": expected_at, "reason": reason, "later_than_due": late_forecast}),
            )
        }
        Action::Deliver => {
            let lateness = calendar.lateness(row.due_at, at).map_err(time_error)?;
            // The time taken and the time given, in the agreement's own
            // measure, pauses excluded from both: what "exceeded" compares.
            let unit = turnaround_of_request(&row)?.unit();
            let measure = |from: DateTime<Utc>, to: DateTime<Utc>| {
                if unit.is_business() {
                    calendar.working_seconds(from, to).map_err(time_error)
                } else {
                    Ok((to - from).num_seconds())
                }
            };
            let agreed = measure(row.clock_start, row.due_at)? - row.pause_shift_seconds;
            let used = (measure(row.clock_start, at)? - row.pause_shift_seconds).max(0);
            next.used_seconds = Set(Some(used));
            next.agreed_seconds = Set(Some(agreed));
            next.service_level = Set(Some(levels::level(LevelFacts {
                on_time: lateness.on_time,
                used_seconds: used,
                agreed_seconds: agreed,
                rating: row.rating_score,
                thanked: row.thanked,
            })));
            next.status = Set(RequestStatus::Delivered);
            next.delivered_at = Set(Some(at));
            next.lateness_minutes = Set(Some(lateness.minutes));
            next.on_time = Set(Some(lateness.on_time));
            moves_downstream = true;
            (
                "delivered",
                json!({"due_at": row.due_at, "lateness_minutes": lateness.minutes,
                       "on_time": lateness.on_time, "early": lateness.early}),
            )
        }
        Action::Accept => {
            next.status = Set(RequestStatus::Accepted);
            ("accepted", json!({}))
        }
        Action::Reopen { reason } => {
            let reason = reason_of(reason)?;
            // Rework: undelivered again against the original due; lateness
            // will count to the final delivery.
            next.status = Set(RequestStatus::Reopened);
            next.delivered_at = Set(None);
            next.lateness_minutes = Set(None);
            next.on_time = Set(None);
            next.used_seconds = Set(None);
            next.agreed_seconds = Set(None);
            next.service_level = Set(None);
            moves_downstream = true;
            (
                "reopened",
                json!({"reason": reason, "first_delivered_at": row.delivered_at}),
            )
        }
        Action::Cancel { reason } => {
            let reason = reason_of(reason)?;
            next.status = Set(RequestStatus::Cancelled);
            moves_downstream = true;
            ("cancelled", json!({"reason": reason}))
        }
        Action::Rate { score, comment } => {
            if row.rating_score.is_some() {
                return Err(ApiError::Conflict(
                    "this delivery has already been rated".into(),
                ));
            }
            let mut check = Checker::new();
            if !(1..=10).contains(score) {
                check.add("score", "must be a whole number from 1 to 10");
            }
            let comment = check.text("comment", comment, 2000);
            check.finish()?;
            next.rating_score = Set(Some(*score as i32));
            next.rating_comment = Set(Some(comment.clone()));
            next.service_level = Set(levels::of_row(&row, Some(*score as i32), row.thanked));
            ("rated", json!({"score": score, "comment": comment}))
        }
    };
    next.last_event_at = Set(at);
    next.version = Set(row.version + 1);
    let result = request::Entity::update_many()
        .set(next)
        .filter(request::Column::Id.eq(row.id))
        .filter(request::Column::Version.eq(row.version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(ApiError::Conflict(
            "the request changed at the same moment; read it again and retry".into(),
        ));
    }
    events::append(
        &txn,
        NewEvent {
            organisation_id: row.organisation_id,
            subject: Subject::Request(row.id),
            kind,
            actor_user_id: Some(actor.id),
            at: Some(at),
            data,
        },
    )
    .await?;
    if late_forecast && let Action::Forecast { reason, .. } = &action {
        notify_late_forecast(&txn, &row, reason).await?;
    }
    if moves_downstream {
        reschedule_downstream(&txn, calendars, row.organisation_id, &[row.id]).await?;
    }
    let projected = if matches!(action, Action::Start | Action::Accept | Action::Rate { .. }) {
        None
    } else {
        // In the same transaction: no stale projection outlives the change.
        projection::store_downstream(&txn, calendars, row.organisation_id, &[row.id]).await?
    };
    let updated = get(&txn, actor, id).await?;
    txn.commit().await?;
    Ok((updated, projected))
}

/// "No surprises": the customer's lead and whoever logged the request hear
/// at once when delivery will be late.
async fn notify_late_forecast(
    db: &impl ConnectionTrait,
    row: &request::Model,
    reason: &str,
) -> Result<(), ApiError> {
    let provider = department::Entity::find_by_id(row.provider_department_id)
        .one(db)
        .await?
        .map_or_else(|| "The provider".to_owned(), |department| department.name);
    // The times are the request's facts, shown beside the notice in each
    // reader's zone (the page, the mail): the text says what changed.
    notifications::notify_request_people(
        db,
        row,
        false,
        Kind::ForecastLate,
        &format!(
            "Request #{} \"{}\" will be late: {} now expects it after its due. Reason: {}",
            row.id, row.title, provider, reason
        ),
    )
    .await
}

fn reason_of(reason: &str) -> Result<String, ApiError> {
    let mut check = Checker::new();
    let reason = check.line("reason", reason, 2000);
    check.finish()?;
    Ok(reason)
}

/// The declared time of a transition: not in the future, not before the
/// request's previous declared time; the later of now and that when absent.
fn declared_at(row: &request::Model, at: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, ApiError> {
    let now = Utc::now();
    match at
        .map(|at| crate::validate::instant("at", at))
        .transpose()?
    {
        None => Ok(now.max(row.last_event_at)),
        Some(at) if at > now + AT_LEEWAY => Err(ApiError::field("at", "must not be in the future")),
        Some(at) if at < row.last_event_at => Err(ApiError::field(
            "at",
            format!(
                "must not be before the request's previous change ({})",
                row.last_event_at.to_rfc3339()
            ),
        )),
        Some(at) => Ok(at),
    }
}
