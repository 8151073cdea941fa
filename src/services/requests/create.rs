//! Logging a request under an active agreement (SPEC §3), with
//! `Idempotency-Key` so a retried `POST` never creates a second request.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use sha2::{Digest, Sha256};

use super::get;
use super::group::{Created, Grouped};
use super::intake::{
    Inserted, NewRequest, check, check_agreement, dependencies, edges, logged_event, notify_overdue,
};
use crate::entities::ids::{AgreementId, DepartmentId, RequestId};
use crate::entities::{agreement, idempotency_key, request, request_dependency};
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::services::Context;
use crate::services::calendars::{CalendarCache, for_department, for_departments};
use crate::services::events;
use crate::services::projection::{self, Cone, upstream_cone};
use crate::time::CompiledCalendar;

/// How long a repeated `Idempotency-Key` returns the first request.
const IDEMPOTENCY_WINDOW: TimeDelta = TimeDelta::hours(24);
/// The logged request, and whether it was a replay of an earlier `POST`.
pub struct Logged {
    pub request: request::Model,
    pub replayed: bool,
    /// For a new request: its projected finish (SPEC §4), projected from the
    /// upstream cone read while logging it. Nothing is downstream of it yet,
    /// so it endangers no commitment.
    pub projected_finish: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip_all, fields(actor = %cx.actor.id))]
pub async fn log(
    cx: &Context<'_>,
    input: NewRequest,
    idempotency_key: Option<&str>,
) -> Result<Logged, ApiError> {
    let (db, cache, writer, group, actor) = (cx.db, cx.calendars, cx.writer, cx.logging, &cx.actor);
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
            // The write runs elsewhere (SQLite's writer): on the main pool.
            let db = sea_orm::DatabaseConnection::clone(db);
            let (actor, input) = (actor.clone(), input.clone());
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
    mut depends_on: Vec<RequestId>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let mut calendars = HashMap::from([(agreement.provider_department_id, calendar)]);
    let others: Vec<DepartmentId> = cone
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

async fn agreement_for(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    agreement_id: AgreementId,
) -> Result<agreement::Model, ApiError> {
    let agreement = agreement::Entity::find_by_id(agreement_id)
        .filter(agreement::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?;
    check_agreement(actor, agreement)
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
