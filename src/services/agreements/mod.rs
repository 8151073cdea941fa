//! Handoff agreements: what a provider department owes a customer
//! department, with a concrete turnaround (SPEC §1, §8).

mod calibration;
mod figures;
mod lifecycle;
mod wording;

pub use calibration::{Calibration, calibrate, calibrate_for_provider};
pub use figures::{OnTimeFigures, on_time_figures};
pub use lifecycle::{accept, decline, propose, retire};
pub use wording::vague_phrase_warnings;

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use crate::entities::agreement;
use crate::entities::ids::{AgreementId, DepartmentId};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
use crate::services::events::{self, NewEvent, Subject};
use crate::services::stale_if_untouched;
use crate::services::users::find_department;
use crate::time::{Turnaround, TurnaroundUnit};
use crate::validate::Checker;

pub use crate::entities::agreement::{AgreementStatus, Unit};

pub const DEFAULT_TARGET_PCT: i32 = 90;
pub const DEFAULT_REVIEW_EVERY_WEEKS: i32 = 4;
/// Whoever works a request hears it is due soon once it has used this share
/// of its working time.
pub const DEFAULT_DUE_SOON_PERCENT: i32 = 80;

pub struct NewAgreement {
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub title: String,
    pub deliverable: String,
    pub definition_of_done: String,
    pub turnaround: Turnaround,
    pub on_time_target_pct: Option<i64>,
    pub review_every_weeks: Option<i64>,
    pub due_soon_percent: Option<i64>,
}

#[derive(Default)]
pub struct AgreementChanges {
    pub title: Option<String>,
    pub deliverable: Option<String>,
    pub definition_of_done: Option<String>,
    pub turnaround: Option<Turnaround>,
    pub on_time_target_pct: Option<i64>,
    pub review_every_weeks: Option<i64>,
    pub due_soon_percent: Option<i64>,
    pub pulse_every_weeks: Option<i64>,
}

#[derive(Default)]
pub struct AgreementFilter {
    pub provider_department_id: Option<DepartmentId>,
    pub customer_department_id: Option<DepartmentId>,
    pub status: Option<AgreementStatus>,
}

/// The turnaround stored on a row.
pub fn turnaround_of(unit: Unit, quantity: i64) -> Result<Turnaround, ApiError> {
    Turnaround::from_quantity(unit.into(), quantity)
        .map_err(|error| ApiError::Internal(format!("stored turnaround: {error}")))
}

/// The name of a unit, as the API and the column spell it.
pub fn unit_name(unit: TurnaroundUnit) -> &'static str {
    Unit::from(unit).as_str()
}

/// "16 business hours", for messages.
pub fn describe(turnaround: Turnaround) -> String {
    format!(
        "{} {}",
        turnaround.amount(),
        unit_name(turnaround.unit()).replace('_', " ")
    )
}

/// Warnings about the agreement's wording, computed fresh for every answer.
pub fn warnings(row: &agreement::Model) -> Vec<String> {
    let turnaround = turnaround_of(row.turnaround_unit, row.turnaround_quantity)
        .map(describe)
        .unwrap_or_default();
    vague_phrase_warnings(
        &[
            ("title", &row.title),
            ("deliverable", &row.deliverable),
            ("definition_of_done", &row.definition_of_done),
        ],
        &turnaround,
    )
}

/// Whether `actor` leads (or, as admin, may act for) `department_id`.
pub fn leads(actor: &AuthUser, department_id: DepartmentId) -> bool {
    actor.is_admin() || (actor.role == Role::Lead && actor.department_id == Some(department_id))
}

fn check_target(check: &mut Checker, value: i64) -> i32 {
    if !(1..=100).contains(&value) {
        check.add("on_time_target_pct", "must be between 1 and 100");
    }
    value.clamp(1, 100) as i32
}

fn check_due_soon(check: &mut Checker, value: i64) -> i32 {
    if !(1..=99).contains(&value) {
        check.add("due_soon_percent", "must be between 1 and 99");
    }
    value.clamp(1, 99) as i32
}

fn check_cadence(check: &mut Checker, value: i64) -> i32 {
    if !(1..=52).contains(&value) {
        check.add("review_every_weeks", "must be between 1 and 52");
    }
    value.clamp(1, 52) as i32
}

#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    input: NewAgreement,
) -> Result<agreement::Model, ApiError> {
    if !leads(actor, input.provider_department_id) {
        return Err(ApiError::Forbidden(
            "only the provider department's lead (or an admin) drafts its agreements".into(),
        ));
    }
    let mut check = Checker::new();
    let title = check.line("title", &input.title, 200);
    let deliverable = check.line("deliverable", &input.deliverable, 2000);
    let definition_of_done = check.line("definition_of_done", &input.definition_of_done, 4000);
    let target = check_target(
        &mut check,
        input
            .on_time_target_pct
            .unwrap_or(DEFAULT_TARGET_PCT.into()),
    );
    let cadence = check_cadence(
        &mut check,
        input
            .review_every_weeks
            .unwrap_or(DEFAULT_REVIEW_EVERY_WEEKS.into()),
    );
    let due_soon = check_due_soon(
        &mut check,
        input
            .due_soon_percent
            .unwrap_or(DEFAULT_DUE_SOON_PERCENT.into()),
    );
    let provider = find_department(db, actor.organisation_id, input.provider_department_id).await?;
    let customer = find_department(db, actor.organisation_id, input.customer_department_id).await?;
    if provider.is_none() {
        check.add(
            "provider_department_id",
            "no such department in this organisation",
        );
    }
    if customer.is_none() {
        check.add(
            "customer_department_id",
            "no such department in this organisation",
        );
    }
    if input.provider_department_id == input.customer_department_id {
        check.add("customer_department_id", "a department cannot owe itself");
    }
    check.finish()?;
    let now = Utc::now();
    let row = agreement::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        provider_department_id: Set(input.provider_department_id),
        customer_department_id: Set(input.customer_department_id),
        title: Set(title),
        deliverable: Set(deliverable),
        definition_of_done: Set(definition_of_done),
        turnaround_unit: Set(input.turnaround.unit().into()),
        turnaround_quantity: Set(input.turnaround.quantity()),
        on_time_target_pct: Set(target),
        review_every_weeks: Set(cadence),
        due_soon_percent: Set(due_soon),
        status: Set(AgreementStatus::Draft),
        terms_version: Set(1),
        pending_turnaround_unit: Set(None),
        pending_turnaround_quantity: Set(None),
        pending_on_time_target_pct: Set(None),
        decline_reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    events::append(
        db,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject: Subject::Agreement(row.id),
            kind: "drafted",
            actor_user_id: Some(actor.id),
            at: None,
            data: json!({"turnaround": input.turnaround, "on_time_target_pct": target}),
        },
    )
    .await?;
    Ok(row)
}

/// Any agreement of the caller's organisation (everyone there may read them).
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: AgreementId,
) -> Result<agreement::Model, ApiError> {
    agreement::Entity::find_by_id(id)
        .filter(agreement::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("agreement"))
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: PageRequest,
    filter: AgreementFilter,
) -> Result<Vec<agreement::Model>, ApiError> {
    let mut query = agreement::Entity::find()
        .filter(agreement::Column::OrganisationId.eq(actor.organisation_id))
        .filter(agreement::Column::Id.gt(page.after_id));
    if let Some(provider) = filter.provider_department_id {
        query = query.filter(agreement::Column::ProviderDepartmentId.eq(provider));
    }
    if let Some(customer) = filter.customer_department_id {
        query = query.filter(agreement::Column::CustomerDepartmentId.eq(customer));
    }
    if let Some(status) = filter.status {
        query = query.filter(agreement::Column::Status.eq(status));
    }
    Ok(query
        .order_by_asc(agreement::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// The agreements department `department` provides and those it receives,
/// each by id and at most `limit` of each, with their on-time figures.
pub struct BothWays {
    pub provided: Vec<agreement::Model>,
    pub received: Vec<agreement::Model>,
    pub figures: HashMap<AgreementId, OnTimeFigures>,
}

/// [`BothWays`] of `department`, in one statement: the department and home
/// pages show both.
pub async fn both_ways(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    department: DepartmentId,
    limit: u64,
) -> Result<BothWays, ApiError> {
    let query = agreement::Entity::find()
        .filter(agreement::Column::OrganisationId.eq(actor.organisation_id))
        .filter(
            Condition::any()
                .add(agreement::Column::ProviderDepartmentId.eq(department))
                .add(agreement::Column::CustomerDepartmentId.eq(department)),
        )
        .order_by_asc(agreement::Column::Id);
    let mut both = BothWays {
        provided: Vec::new(),
        received: Vec::new(),
        figures: HashMap::new(),
    };
    for found in db.query_all(&figures::with_figures(query)).await? {
        let (row, figures) = figures::read_with_figures(&found)?;
        let side = if row.provider_department_id == department {
            &mut both.provided
        } else {
            &mut both.received
        };
        if (side.len() as u64) < limit {
            both.figures.insert(row.id, figures);
            side.push(row);
        }
    }
    Ok(both)
}

/// Edits an agreement. A draft changes freely; an active agreement changes
/// its wording directly, but a new turnaround or target waits as a pending
/// change until the customer accepts it (its requests keep their terms).
#[tracing::instrument(skip_all, fields(actor = %actor.id, agreement = %id))]
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: AgreementId,
    if_match: ExpectedVersion,
    changes: AgreementChanges,
) -> Result<agreement::Model, ApiError> {
    let current = get(db, actor, id).await?;
    if !leads(actor, current.provider_department_id) {
        return Err(ApiError::Forbidden(
            "only the provider department's lead (or an admin) edits its agreements".into(),
        ));
    }
    if_match.check(current.version)?;
    let status = current.status;
    if matches!(status, AgreementStatus::Proposed | AgreementStatus::Retired) {
        return Err(ApiError::Conflict(format!(
            "a {} agreement cannot be edited{}",
            status.as_str(),
            if status == AgreementStatus::Proposed {
                ": wait for the customer to accept or decline it"
            } else {
                ""
            }
        )));
    }
    let mut check = Checker::new();
    let mut row: agreement::ActiveModel = current.clone().into();
    if let Some(title) = &changes.title {
        row.title = Set(check.line("title", title, 200));
    }
    if let Some(deliverable) = &changes.deliverable {
        row.deliverable = Set(check.line("deliverable", deliverable, 2000));
    }
    if let Some(done) = &changes.definition_of_done {
        row.definition_of_done = Set(check.line("definition_of_done", done, 4000));
    }
    if let Some(weeks) = changes.review_every_weeks {
        row.review_every_weeks = Set(check_cadence(&mut check, weeks));
    }
    if let Some(percent) = changes.due_soon_percent {
        row.due_soon_percent = Set(check_due_soon(&mut check, percent));
    }
    if let Some(weeks) = changes.pulse_every_weeks {
        if !(0..=52).contains(&weeks) {
            check.add("pulse_every_weeks", "must be between 0 (never) and 52");
        }
        row.pulse_every_weeks = Set(weeks.clamp(0, 52) as i32);
    }
    let target = changes
        .on_time_target_pct
        .map(|pct| check_target(&mut check, pct));
    check.finish()?;
    let terms_change = changes.turnaround.is_some() || target.is_some();
    match status {
        AgreementStatus::Active if terms_change => {
            let turnaround = match changes.turnaround {
                Some(turnaround) => turnaround,
                None => turnaround_of(current.turnaround_unit, current.turnaround_quantity)?,
            };
            row.pending_turnaround_unit = Set(Some(turnaround.unit().into()));
            row.pending_turnaround_quantity = Set(Some(turnaround.quantity()));
            row.pending_on_time_target_pct =
                Set(Some(target.unwrap_or(current.on_time_target_pct)));
        }
        _ => {
            if let Some(turnaround) = changes.turnaround {
                row.turnaround_unit = Set(turnaround.unit().into());
                row.turnaround_quantity = Set(turnaround.quantity());
            }
            if let Some(target) = target {
                row.on_time_target_pct = Set(target);
            }
        }
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(Utc::now());
    let result = agreement::Entity::update_many()
        .set(row)
        .filter(agreement::Column::Id.eq(id))
        .filter(agreement::Column::Version.eq(current.version))
        .exec(db)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    let updated = get(db, actor, id).await?;
    events::append(
        db,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject: Subject::Agreement(id),
            kind: if status == AgreementStatus::Active && terms_change {
                "change_proposed"
            } else {
                "edited"
            },
            actor_user_id: Some(actor.id),
            at: None,
            data: json!({
                "title": changes.title, "deliverable": changes.deliverable,
                "definition_of_done": changes.definition_of_done,
                "turnaround": changes.turnaround, "on_time_target_pct": target,
                "review_every_weeks": changes.review_every_weeks,
                "due_soon_percent": changes.due_soon_percent,
                "pulse_every_weeks": changes.pulse_every_weeks,
            }),
        },
    )
    .await?;
    Ok(updated)
}

/// The customer departments of `provider`'s active agreements (each once).
pub async fn customers_of(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    provider: DepartmentId,
) -> Result<Vec<DepartmentId>, ApiError> {
    let mut ids: Vec<DepartmentId> = agreement::Entity::find()
        .filter(agreement::Column::OrganisationId.eq(actor.organisation_id))
        .filter(agreement::Column::ProviderDepartmentId.eq(provider))
        .filter(agreement::Column::Status.eq(AgreementStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.customer_department_id)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}
