//! External commitments: promises to outside customers that wait on
//! internal requests. Everyone reads them; the owner department (its leads
//! and staff), leaders and admins write them (SPEC §8). `view` is what both
//! front ends show of one: its projection and the chain it waits on.

mod view;

pub use view::{ChainLink, CommitmentView, chain, projection_view};

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};
use serde_json::json;

use crate::entities::commitment::{CommitmentStatus, StoredRisk};
use crate::entities::ids::{CommitmentId, DepartmentId, OrganisationId, RequestId};
use crate::entities::{commitment, commitment_dependency, request};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::Context;
use crate::services::ExpectedVersion;
use crate::services::events::{self, NewEvent, Subject};
use crate::services::projection;
use crate::services::stale_if_untouched;
use crate::services::users::find_department;
use crate::time::{Turnaround, TurnaroundUnit};
use crate::validate::Checker;

const MAX_DEPENDENCIES: usize = 1_000;

pub struct NewCommitment {
    pub customer_name: String,
    pub title: String,
    pub promised_at: DateTime<Utc>,
    pub owner_department_id: DepartmentId,
    pub lead_time: Option<Turnaround>,
    pub depends_on: Vec<RequestId>,
}

#[derive(Default)]
pub struct CommitmentChanges {
    pub customer_name: Option<String>,
    pub title: Option<String>,
    pub promised_at: Option<DateTime<Utc>>,
    pub lead_time: Option<Turnaround>,
    pub depends_on: Option<Vec<RequestId>>,
}

#[derive(Default)]
pub struct CommitmentFilter {
    pub risk: Option<StoredRisk>,
    pub status: Option<CommitmentStatus>,
    pub owner_department_id: Option<DepartmentId>,
}

/// Whether `actor` may change a commitment owned by `owner_department_id`.
pub fn may_write(actor: &AuthUser, owner_department_id: DepartmentId) -> bool {
    match actor.role {
        Role::Admin | Role::Leader => true,
        Role::Lead | Role::Staff => actor.department_id == Some(owner_department_id),
    }
}

fn forbidden() -> ApiError {
    ApiError::Forbidden(
        "commitments are written by their owner department, leaders and admins".into(),
    )
}

async fn check_requests(
    db: &impl ConnectionTrait,
    check: &mut Checker,
    organisation_id: OrganisationId,
    depends_on: &mut Vec<RequestId>,
) -> Result<(), ApiError> {
    depends_on.sort_unstable();
    depends_on.dedup();
    if depends_on.len() > MAX_DEPENDENCIES {
        check.add("depends_on", format!("at most {MAX_DEPENDENCIES} requests"));
        return Ok(());
    }
    let known: Vec<RequestId> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::OrganisationId.eq(organisation_id))
        .filter(request::Column::Id.is_in(depends_on.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    check.known_ids("depends_on", "requests", depends_on, &known);
    Ok(())
}

async fn replace_dependencies(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    commitment_id: CommitmentId,
    depends_on: &[RequestId],
) -> Result<(), ApiError> {
    commitment_dependency::Entity::delete_many()
        .filter(commitment_dependency::Column::CommitmentId.eq(commitment_id))
        .exec(db)
        .await?;
    if !depends_on.is_empty() {
        commitment_dependency::Entity::insert_many(depends_on.iter().map(|&request_id| {
            commitment_dependency::ActiveModel {
                commitment_id: Set(commitment_id),
                request_id: Set(request_id),
                organisation_id: Set(organisation_id),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(actor = %cx.actor.id))]
pub async fn create(cx: &Context<'_>, input: NewCommitment) -> Result<commitment::Model, ApiError> {
    let (db, cache, actor) = (cx.db, cx.calendars, &cx.actor);
    if !may_write(actor, input.owner_department_id) {
        return Err(forbidden());
    }
    let txn = crate::db::begin_write(db).await?;
    let mut check = Checker::new();
    let customer_name = check.line("customer_name", &input.customer_name, 200);
    let title = check.line("title", &input.title, 200);
    check.instant("promised_at", input.promised_at);
    if find_department(&txn, actor.organisation_id, input.owner_department_id)
        .await?
        .is_none()
    {
        check.add(
            "owner_department_id",
            "no such department in this organisation",
        );
    }
    let mut depends_on = input.depends_on;
    check_requests(&txn, &mut check, actor.organisation_id, &mut depends_on).await?;
    check.finish()?;
    let lead_time = match input.lead_time {
        Some(lead_time) => lead_time,
        None => Turnaround::from_quantity(TurnaroundUnit::BusinessHours, 0)
            .map_err(|error| ApiError::Internal(error.to_string()))?,
    };
    let row = commitment::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        customer_name: Set(customer_name),
        title: Set(title),
        promised_at: Set(input.promised_at),
        owner_department_id: Set(input.owner_department_id),
        lead_time_unit: Set(lead_time.unit().into()),
        lead_time_quantity: Set(lead_time.quantity()),
        status: Set(CommitmentStatus::Open),
        fulfilled_at: Set(None),
        cancel_reason: Set(None),
        projected_at: Set(None),
        baseline_at: Set(None),
        slip_minutes: Set(None),
        slack_minutes: Set(None),
        risk: Set(None),
        projected_as_of: Set(None),
        refresh_at: Set(None),
        created_by_user_id: Set(actor.id),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_dependencies(&txn, actor.organisation_id, row.id, &depends_on).await?;
    events::append(
        &txn,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject: Subject::Commitment(row.id),
            kind: "committed",
            actor_user_id: Some(actor.id),
            at: None,
            data: json!({"promised_at": input.promised_at, "depends_on": depends_on,
                         "lead_time": lead_time}),
        },
    )
    .await?;
    projection::store(&txn, cache, actor.organisation_id, &[row.id]).await?;
    let stored = get(&txn, actor, row.id).await?;
    txn.commit().await?;
    Ok(stored)
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: CommitmentId,
) -> Result<commitment::Model, ApiError> {
    commitment::Entity::find_by_id(id)
        .filter(commitment::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("commitment"))
}

/// Commitments `ids` of the actor's organisation (all readable), by id.
pub async fn many(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    ids: &[CommitmentId],
) -> Result<Vec<commitment::Model>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(commitment::Entity::find()
        .filter(commitment::Column::OrganisationId.eq(actor.organisation_id))
        .filter(commitment::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(commitment::Column::PromisedAt)
        .all(db)
        .await?)
}

/// The request ids a commitment waits on.
pub async fn dependencies(
    db: &impl ConnectionTrait,
    id: CommitmentId,
) -> Result<Vec<RequestId>, ApiError> {
    Ok(commitment_dependency::Entity::find()
        .select_only()
        .column(commitment_dependency::Column::RequestId)
        .filter(commitment_dependency::Column::CommitmentId.eq(id))
        .order_by_asc(commitment_dependency::Column::RequestId)
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: PageRequest,
    filter: CommitmentFilter,
) -> Result<Vec<commitment::Model>, ApiError> {
    let mut query = commitment::Entity::find()
        .filter(commitment::Column::OrganisationId.eq(actor.organisation_id))
        .filter(commitment::Column::Id.gt(page.after_id));
    if let Some(risk) = filter.risk {
        query = query
            .filter(commitment::Column::Risk.eq(risk))
            .filter(commitment::Column::Status.eq(CommitmentStatus::Open));
    }
    if let Some(status) = filter.status {
        query = query.filter(commitment::Column::Status.eq(status));
    }
    if let Some(owner) = filter.owner_department_id {
        query = query.filter(commitment::Column::OwnerDepartmentId.eq(owner));
    }
    Ok(query
        .order_by_asc(commitment::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// The open commitments department `owner` owns: the first `shown` by
/// promised date (the soonest promise first) and how many in all.
pub async fn open_owned_by(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    owner: DepartmentId,
    shown: u64,
) -> Result<(Vec<commitment::Model>, u64), ApiError> {
    let query = commitment::Entity::find()
        .filter(commitment::Column::OrganisationId.eq(actor.organisation_id))
        .filter(commitment::Column::OwnerDepartmentId.eq(owner))
        // Written out (`one_of`): bound, it left PostgreSQL planning each
        // page afresh, 'open' being a twentieth of the commitments.
        .filter(crate::services::one_of::<commitment::Entity>(
            commitment::Column::Status,
            [CommitmentStatus::Open.as_str()],
        ));
    // The count comes with the first rows, as a subquery of no outer
    // column (worked out once): one statement.
    let total = crate::services::count_of(query.clone());
    let first = query
        .order_by_asc(commitment::Column::PromisedAt)
        .order_by_asc(commitment::Column::Id)
        .limit(shown)
        .column_as(total, "total");
    crate::services::rows_and_total(db, &first.into_query()).await
}

#[tracing::instrument(skip_all, fields(actor = %cx.actor.id, commitment = %id))]
pub async fn update(
    cx: &Context<'_>,
    id: CommitmentId,
    if_match: ExpectedVersion,
    changes: CommitmentChanges,
) -> Result<commitment::Model, ApiError> {
    let (db, cache, actor) = (cx.db, cx.calendars, &cx.actor);
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, actor, id).await?;
    if !may_write(actor, current.owner_department_id) {
        return Err(forbidden());
    }
    if_match.check(current.version)?;
    if current.status != CommitmentStatus::Open {
        return Err(ApiError::Conflict(format!(
            "a {} commitment cannot be edited",
            current.status
        )));
    }
    let mut check = Checker::new();
    let mut row: commitment::ActiveModel = current.clone().into();
    if let Some(name) = &changes.customer_name {
        row.customer_name = Set(check.line("customer_name", name, 200));
    }
    if let Some(title) = &changes.title {
        row.title = Set(check.line("title", title, 200));
    }
    if let Some(promised_at) = changes.promised_at {
        row.promised_at = Set(check.instant("promised_at", promised_at));
    }
    if let Some(lead_time) = changes.lead_time {
        row.lead_time_unit = Set(lead_time.unit().into());
        row.lead_time_quantity = Set(lead_time.quantity());
    }
    let mut depends_on = changes.depends_on.clone();
    if let Some(requests) = depends_on.as_mut() {
        check_requests(&txn, &mut check, actor.organisation_id, requests).await?;
    }
    check.finish()?;
    row.version = Set(current.version + 1);
    let result = commitment::Entity::update_many()
        .set(row)
        .filter(commitment::Column::Id.eq(id))
        .filter(commitment::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    if let Some(requests) = &depends_on {
        replace_dependencies(&txn, actor.organisation_id, id, requests).await?;
    }
    events::append(
        &txn,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject: Subject::Commitment(id),
            kind: "edited",
            actor_user_id: Some(actor.id),
            at: None,
            data: json!({"customer_name": changes.customer_name, "title": changes.title,
                         "promised_at": changes.promised_at, "lead_time": changes.lead_time,
                         "depends_on": depends_on}),
        },
    )
    .await?;
    projection::store(&txn, cache, actor.organisation_id, &[id]).await?;
    let stored = get(&txn, actor, id).await?;
    txn.commit().await?;
    Ok(stored)
}

/// `open → fulfilled` (at a declared time, not in the future) or
/// `open → cancelled` with a reason.
pub async fn close(
    cx: &Context<'_>,
    id: CommitmentId,
    if_match: ExpectedVersion,
    outcome: Closing,
) -> Result<commitment::Model, ApiError> {
    let (db, cache, actor) = (cx.db, cx.calendars, &cx.actor);
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, actor, id).await?;
    if !may_write(actor, current.owner_department_id) {
        return Err(forbidden());
    }
    if_match.check(current.version)?;
    if current.status != CommitmentStatus::Open {
        return Err(ApiError::Conflict(format!(
            "the commitment is already {}",
            current.status
        )));
    }
    let mut row: commitment::ActiveModel = current.clone().into();
    let (kind, data) = match outcome {
        Closing::Fulfil { at } => {
            let now = Utc::now();
            let at = crate::validate::instant("at", at.unwrap_or(now))?;
            if at > now + TimeDelta::seconds(5) {
                return Err(ApiError::field("at", "must not be in the future"));
            }
            row.status = Set(CommitmentStatus::Fulfilled);
            row.fulfilled_at = Set(Some(at));
            ("fulfilled", json!({"at": at}))
        }
        Closing::Cancel { reason } => {
            let mut check = Checker::new();
            let reason = check.line("reason", &reason, 2000);
            check.finish()?;
            row.status = Set(CommitmentStatus::Cancelled);
            row.cancel_reason = Set(Some(reason.clone()));
            ("cancelled", json!({"reason": reason}))
        }
    };
    row.version = Set(current.version + 1);
    let result = commitment::Entity::update_many()
        .set(row)
        .filter(commitment::Column::Id.eq(id))
        .filter(commitment::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    events::append(
        &txn,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject: Subject::Commitment(id),
            kind,
            actor_user_id: Some(actor.id),
            at: None,
            data,
        },
    )
    .await?;
    projection::store(&txn, cache, actor.organisation_id, &[id]).await?;
    let stored = get(&txn, actor, id).await?;
    txn.commit().await?;
    Ok(stored)
}

pub enum Closing {
    Fulfil { at: Option<DateTime<Utc>> },
    Cancel { reason: String },
}
