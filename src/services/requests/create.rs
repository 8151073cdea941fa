//! Logging a request under an active agreement (SPEC §3), with
//! `Idempotency-Key` so a retried `POST` never creates a second request.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::group::{Created, Grouped, LogGroup};
use super::schedule::{Schedule, planned_finish, schedule};
use super::{RequestStatus, get};
use crate::entities::{agreement, idempotency_key, request, request_dependency};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::services::agreements::{AgreementStatus, turnaround_of};
use crate::services::calendars::{CalendarCache, for_department, for_departments};
use crate::services::events::{self, NewEvent, Subject};
use crate::services::notifications::{self, Kind};
use crate::services::projection::{self, Cone, upstream_cone};
use crate::time::CompiledCalendar;
use crate::validate::Checker;
use crate::writer::Writer;

/// How far in the future `requested_at` may lie (clock skew).
const REQUESTED_AT_LEEWAY: TimeDelta = TimeDelta::minutes(5);
/// How long a repeated `Idempotency-Key` returns the first request.
const IDEMPOTENCY_WINDOW: TimeDelta = TimeDelta::hours(24);
/// Most dependencies one request may list.
const MAX_DEPENDENCIES: usize = 100;

#[derive(Debug, Clone, serde::Serialize)]
pub struct NewRequest {
    pub agreement_id: i64,
    pub title: String,
    pub details: String,
    pub requested_at: Option<DateTime<Utc>>,
    pub depends_on: Vec<i64>,
}

/// The logged request, and whether it was a replay of an earlier `POST`.
pub struct Logged {
    pub request: request::Model,
    pub replayed: bool,
    /// For a new request: its projected finish (SPEC §4), projected from the
    /// upstream cone read while logging it. Nothing is downstream of it yet,
    /// so it endangers no commitment.
    pub projected_finish: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip_all, fields(actor = actor.id))]
pub async fn log(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    writer: &Writer,
    group: Option<&LogGroup>,
    actor: &AuthUser,
    input: NewRequest,
    idempotency_key: Option<&str>,
) -> Result<Logged, ApiError> {
    let fingerprint = match idempotency_key {
        Some(key) => {
            let key = check_key(key)?;
            let hash = body_hash(&input)?;
            if let Some(existing) = replay(db, actor, &key, &hash).await? {
                return Ok(Logged {
                    request: existing,
                    replayed: true,
                    projected_finish: None,
                });
            }
            Some((key, hash))
        }
        None => None,
    };
    if let Some(group) = group {
        match group.log(actor, &input, fingerprint.clone()).await? {
            Grouped::Created(created) => {
                let Created {
                    inserted,
                    agreement,
                    calendar,
                } = *created;
                return answer(db, cache, &agreement, calendar, inserted, input).await;
            }
            // The group failed as a whole: on its own, as if never grouped.
            Grouped::Alone => {}
        }
    }
    // Read before taking the write lock: the agreement and its provider's
    // calendar (a request logged the moment its agreement is retired counts
    // as logged before).
    let agreement = agreement_for(db, actor, input.agreement_id).await?;
    let calendar = for_department(
        db,
        cache,
        actor.organisation_id,
        agreement.provider_department_id,
    )
    .await?;
    let written = writer
        .run({
            let (db, actor, input) = (db.clone(), actor.clone(), input.clone());
            let (agreement, calendar) = (agreement.clone(), calendar.clone());
            async move {
                write(
                    &db,
                    &actor,
                    &input,
                    &agreement,
                    &calendar,
                    fingerprint.as_ref(),
                )
                .await
            }
        })
        .await?;
    let inserted = match written {
        Written::Created(inserted) => inserted,
        Written::Replayed(existing) => {
            return Ok(Logged {
                request: existing,
                replayed: true,
                projected_finish: None,
            });
        }
    };

    answer(db, cache, &agreement, calendar, inserted, input).await
}

/// The answer for a request just logged.
async fn answer(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    agreement: &agreement::Model,
    calendar: Arc<CompiledCalendar>,
    inserted: Inserted,
    input: NewRequest,
) -> Result<Logged, ApiError> {
    let Inserted { created, cone } = inserted;
    let projected_finish = projected_finish(
        db,
        cache,
        agreement,
        calendar,
        cone,
        &created,
        input.depends_on,
    )
    .await?;
    Ok(Logged {
        request: created,
        replayed: false,
        projected_finish,
    })
}

/// The projection of a request just logged, from the cone read while
/// logging it, outside the write lock.
async fn projected_finish(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    agreement: &agreement::Model,
    calendar: Arc<CompiledCalendar>,
    mut cone: Cone,
    created: &request::Model,
    mut depends_on: Vec<i64>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let mut calendars = HashMap::from([(agreement.provider_department_id, calendar)]);
    let others: Vec<i64> = cone
        .rows
        .iter()
        .map(|row| row.provider_department_id)
        .filter(|department| !calendars.contains_key(department))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    calendars.extend(for_departments(db, cache, agreement.organisation_id, &others).await?);
    depends_on.sort_unstable();
    depends_on.dedup();
    cone.edges
        .extend(depends_on.into_iter().map(|on| (created.id, on)));
    cone.rows.push(created.clone());
    let projected = projection::project_loaded(cone, &[], &[], &calendars, 0, Utc::now())?;
    Ok(projected
        .requests
        .get(&created.id)
        .and_then(|&idx| projected.projection.finish(idx)))
}

/// What the write transaction did.
enum Written {
    Created(Inserted),
    /// Another `POST` with the same key won the race.
    Replayed(request::Model),
}

/// The write transaction of logging: the new row, its dependencies, its
/// event and the idempotency key, all or nothing.
async fn write(
    db: &DatabaseConnection,
    actor: &AuthUser,
    input: &NewRequest,
    agreement: &agreement::Model,
    calendar: &CompiledCalendar,
    fingerprint: Option<&(String, String)>,
) -> Result<Written, ApiError> {
    let txn = crate::db::begin_write(db).await?;
    let inserted = insert(&txn, actor, input, agreement, calendar).await?;
    if let Some((key, hash)) = fingerprint {
        let remembered = idempotency_key::ActiveModel {
            user_id: Set(actor.id),
            key: Set(key.clone()),
            body_hash: Set(hash.clone()),
            request_id: Set(inserted.created.id),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        if let Err(error) = remembered {
            // Another POST with the same key won the race: answer with its request.
            txn.rollback().await?;
            let lost_race = matches!(
                error.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            );
            if lost_race && let Some(existing) = replay(db, actor, key, hash).await? {
                return Ok(Written::Replayed(existing));
            }
            return Err(error.into());
        }
    }
    txn.commit().await?;
    Ok(Written::Created(inserted))
}

/// A new row, and the requests upstream of it (for its projection).
pub(super) struct Inserted {
    pub created: request::Model,
    pub cone: Cone,
}

/// The agreement a request is logged under, if the actor may log one under
/// it now.
async fn agreement_for(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    agreement_id: i64,
) -> Result<agreement::Model, ApiError> {
    let agreement = agreement::Entity::find_by_id(agreement_id)
        .filter(agreement::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?;
    check_agreement(actor, agreement)
}

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
    if AgreementStatus::parse(&agreement.status)? != AgreementStatus::Active {
        return Err(ApiError::Conflict(format!(
            "the agreement is {}: requests are logged only under active agreements",
            agreement.status
        )));
    }

    Ok(agreement)
}

async fn insert(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    input: &NewRequest,
    agreement: &agreement::Model,
    calendar: &CompiledCalendar,
) -> Result<Inserted, ApiError> {
    let now = Utc::now();
    let depends_on = dependencies(input);
    // The inputs with everything upstream of them: read inside the write
    // transaction, so no change upstream can slip in before this is stored.
    let cone = upstream_cone(db, actor.organisation_id, &depends_on).await?;
    let checked = check(
        actor, input, depends_on, agreement, calendar, &cone.rows, now,
    )?;
    let created = checked.row.clone().insert(db).await?;
    if !checked.depends_on.is_empty() {
        request_dependency::Entity::insert_many(edges(&created, &checked.depends_on))
            .exec(db)
            .await?;
    }
    events::append(db, logged_event(actor, agreement, &created, &checked)).await?;
    if checked.overdue_now {
        notify_overdue(db, &created).await?;
    }
    Ok(Inserted { created, cone })
}

/// The inputs a request names, each once, in order.
pub(super) fn dependencies(input: &NewRequest) -> Vec<i64> {
    let mut depends_on = input.depends_on.clone();
    depends_on.sort_unstable();
    depends_on.dedup();
    depends_on
}

/// A new request checked and scheduled, ready to insert.
pub(super) struct Checked {
    pub row: request::ActiveModel,
    /// Its inputs, each once, in order.
    pub depends_on: Vec<i64>,
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
    depends_on: Vec<i64>,
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
    let known: Vec<i64> = inputs.iter().map(|row| row.id).collect();
    check.known_ids("depends_on", "requests", &depends_on, &known);
    check.finish()?;

    let turnaround = turnaround_of(&agreement.turnaround_unit, agreement.turnaround_quantity)?;
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
        turnaround_unit: Set(agreement.turnaround_unit.clone()),
        turnaround_quantity: Set(agreement.turnaround_quantity),
        status: Set(RequestStatus::Open.as_str().into()),
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
    depends_on: &[i64],
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

/// Tells the customer department that a request has passed its due.
pub async fn notify_overdue(
    db: &impl ConnectionTrait,
    row: &request::Model,
) -> Result<(), ApiError> {
    notifications::notify_department(
        db,
        row.organisation_id,
        row.customer_department_id,
        Kind::Overdue,
        Some(row.id),
        &format!(
            "Request #{} \"{}\" passed its due ({}) undelivered",
            row.id,
            row.title,
            row.due_at.to_rfc3339()
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

fn check_key(key: &str) -> Result<String, ApiError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "must be 1 to 200 visible ASCII characters",
        ));
    }
    Ok(key.to_owned())
}

fn body_hash(input: &NewRequest) -> Result<String, ApiError> {
    let canonical = serde_json::to_vec(input)
        .map_err(|error| ApiError::Internal(format!("hashing request body: {error}")))?;
    Ok(Sha256::digest(&canonical)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// The request an earlier `POST` with this key created, if within the window.
async fn replay(
    db: &DatabaseConnection,
    actor: &AuthUser,
    key: &str,
    hash: &str,
) -> Result<Option<request::Model>, ApiError> {
    let Some(earlier) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(actor.id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if earlier.created_at < Utc::now() - IDEMPOTENCY_WINDOW {
        // Expired: the key may be used afresh.
        idempotency_key::Entity::delete_by_id(earlier.id)
            .exec(db)
            .await?;
        return Ok(None);
    }
    if earlier.body_hash != hash {
        return Err(ApiError::field(
            "Idempotency-Key",
            "was already used with a different body",
        ));
    }
    get(db, actor, earlier.request_id).await.map(Some)
}
