//! Proposing, accepting, declining and retiring agreements. Only the
//! provider's lead proposes and retires; only the customer's lead accepts and
//! declines (admins may do both).

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use super::{AgreementStatus, get, leads};
use crate::entities::agreement;
use crate::entities::ids::AgreementId;
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::services::ExpectedVersion;
use crate::services::Side;
use crate::services::events::{self, NewEvent, Subject};
use crate::services::stale_if_untouched;
use crate::validate::Checker;

/// Loads the agreement, checks the actor's side and the version, applies
/// `change` to the row, stores it guarded by the version, and logs `kind`.
async fn transition(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: AgreementId,
    if_match: ExpectedVersion,
    side: Side,
    change: impl FnOnce(
        &agreement::Model,
        AgreementStatus,
        &mut agreement::ActiveModel,
    ) -> Result<(&'static str, Value), ApiError>,
) -> Result<agreement::Model, ApiError> {
    let current = get(db, actor, id).await?;
    let (department, who) = match side {
        Side::Provider => (current.provider_department_id, "provider"),
        Side::Customer => (current.customer_department_id, "customer"),
    };
    if !leads(actor, department) {
        return Err(ApiError::Forbidden(format!(
            "only the {who} department's lead (or an admin) may do this"
        )));
    }
    if_match.check(current.version)?;
    let status = current.status;
    let mut row: agreement::ActiveModel = current.clone().into();
    let (kind, data) = change(&current, status, &mut row)?;
    row.version = Set(current.version + 1);
    row.updated_at = Set(Utc::now());
    let result = agreement::Entity::update_many()
        .set(row)
        .filter(agreement::Column::Id.eq(id))
        .filter(agreement::Column::Version.eq(current.version))
        .exec(db)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    events::append(
        db,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject: Subject::Agreement(id),
            kind,
            actor_user_id: Some(actor.id),
            at: None,
            data,
        },
    )
    .await?;
    get(db, actor, id).await
}

fn wrong_state(action: &str, status: AgreementStatus) -> ApiError {
    ApiError::Conflict(format!(
        "a {} agreement cannot be {action}",
        status.as_str()
    ))
}

/// `draft → proposed` (provider's lead).
pub async fn propose(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: AgreementId,
    if_match: ExpectedVersion,
) -> Result<agreement::Model, ApiError> {
    transition(db, actor, id, if_match, Side::Provider, |_, status, row| {
        if status != AgreementStatus::Draft {
            return Err(wrong_state("proposed", status));
        }
        row.status = Set(AgreementStatus::Proposed);
        row.decline_reason = Set(None);
        Ok(("proposed", json!({})))
    })
    .await
}

/// `proposed → active`, or, on an active agreement with a pending change,
/// makes the new terms current (a new terms version).
pub async fn accept(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: AgreementId,
    if_match: ExpectedVersion,
) -> Result<agreement::Model, ApiError> {
    transition(
        db,
        actor,
        id,
        if_match,
        Side::Customer,
        |current, status, row| match (
            status,
            &current.pending_turnaround_unit,
            current.pending_turnaround_quantity,
        ) {
            (AgreementStatus::Proposed, _, _) => {
                row.status = Set(AgreementStatus::Active);
                Ok(("accepted", json!({"terms_version": current.terms_version})))
            }
            (AgreementStatus::Active, Some(unit), Some(quantity)) => {
                let target = current
                    .pending_on_time_target_pct
                    .unwrap_or(current.on_time_target_pct);
                row.turnaround_unit = Set(*unit);
                row.turnaround_quantity = Set(quantity);
                row.on_time_target_pct = Set(target);
                row.terms_version = Set(current.terms_version + 1);
                row.pending_turnaround_unit = Set(None);
                row.pending_turnaround_quantity = Set(None);
                row.pending_on_time_target_pct = Set(None);
                Ok((
                    "change_accepted",
                    json!({"terms_version": current.terms_version + 1,
                           "turnaround": {"unit": unit, "quantity": quantity},
                           "on_time_target_pct": target}),
                ))
            }
            (status, _, _) => Err(wrong_state("accepted", status)),
        },
    )
    .await
}

/// `proposed → draft` with a reason, or drops a pending change of terms.
pub async fn decline(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: AgreementId,
    if_match: ExpectedVersion,
    reason: &str,
) -> Result<agreement::Model, ApiError> {
    let mut check = Checker::new();
    let reason = check.line("reason", reason, 2000);
    check.finish()?;
    transition(
        db,
        actor,
        id,
        if_match,
        Side::Customer,
        |current, status, row| match status {
            AgreementStatus::Proposed => {
                row.status = Set(AgreementStatus::Draft);
                row.decline_reason = Set(Some(reason.clone()));
                Ok(("declined", json!({"reason": reason})))
            }
            AgreementStatus::Active if current.pending_turnaround_unit.is_some() => {
                row.pending_turnaround_unit = Set(None);
                row.pending_turnaround_quantity = Set(None);
                row.pending_on_time_target_pct = Set(None);
                row.decline_reason = Set(Some(reason.clone()));
                Ok(("change_declined", json!({"reason": reason})))
            }
            status => Err(wrong_state("declined", status)),
        },
    )
    .await
}

/// `active → retired` (provider's lead): no new requests under it.
pub async fn retire(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: AgreementId,
    if_match: ExpectedVersion,
) -> Result<agreement::Model, ApiError> {
    transition(db, actor, id, if_match, Side::Provider, |_, status, row| {
        if status != AgreementStatus::Active {
            return Err(wrong_state("retired", status));
        }
        row.status = Set(AgreementStatus::Retired);
        Ok(("retired", json!({})))
    })
    .await
}
