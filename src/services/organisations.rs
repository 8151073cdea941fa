//! The caller's organisation and its settings; every change of them is an
//! event of the audit log.

use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Set,
};
use serde_json::json;

use crate::entities::{calendar, organisation};
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::services::ExpectedVersion;
use crate::services::events::{self, Subject};
use crate::validate::Checker;

#[derive(Default)]
pub struct OrganisationChanges {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub at_risk_threshold_minutes: Option<i64>,
    /// `Some(None)` turns the escalation to the leaders off.
    pub escalation_minutes: Option<Option<i64>>,
    pub default_calendar_id: Option<i64>,
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
) -> Result<organisation::Model, ApiError> {
    organisation::Entity::find_by_id(actor.organisation_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &AuthUser,
    if_match: ExpectedVersion,
    changes: OrganisationChanges,
) -> Result<organisation::Model, ApiError> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    let current = get(db, actor).await?;
    if_match.check(current.version)?;
    let mut check = Checker::new();
    let mut row: organisation::ActiveModel = current.clone().into();
    if let Some(name) = &changes.name {
        row.name = Set(check.line("name", name, 200));
    }
    if let Some(timezone) = &changes.timezone {
        check.timezone("timezone", timezone);
        row.timezone = Set(timezone.clone());
    }
    if let Some(minutes) = changes.at_risk_threshold_minutes {
        // Up to a year of working minutes: anything larger is a typo.
        if !(0..=525_600).contains(&minutes) {
            check.add("at_risk_threshold_minutes", "must be between 0 and 525600");
        }
        row.at_risk_threshold_minutes = Set(minutes.clamp(0, 525_600) as i32);
    }
    if let Some(minutes) = changes.escalation_minutes {
        // At least a working minute, at most a year of them.
        if minutes.is_some_and(|minutes| !(1..=525_600).contains(&minutes)) {
            check.add(
                "escalation_minutes",
                "must be between 1 and 525600, or null for no escalation",
            );
        }
        row.escalation_minutes = Set(minutes.map(|minutes| minutes.clamp(1, 525_600) as i32));
    }
    if let Some(calendar_id) = changes.default_calendar_id {
        let exists = calendar::Entity::find_by_id(calendar_id)
            .filter(calendar::Column::OrganisationId.eq(actor.organisation_id))
            .one(db)
            .await?
            .is_some();
        if !exists {
            check.add(
                "default_calendar_id",
                format!("no calendar {calendar_id} in this organisation"),
            );
        }
        row.default_calendar_id = Set(Some(calendar_id));
    }
    check.finish()?;
    row.version = Set(current.version + 1);
    let result = organisation::Entity::update_many()
        .set(row)
        .filter(organisation::Column::Id.eq(current.id))
        .filter(organisation::Column::Version.eq(current.version))
        .exec(db)
        .await?;
    crate::services::stale_if_untouched(result.rows_affected)?;
    let updated = get(db, actor).await?;
    let data = events::changes(&[
        ("name", json!(current.name), json!(updated.name)),
        ("timezone", json!(current.timezone), json!(updated.timezone)),
        (
            "at_risk_threshold_minutes",
            json!(current.at_risk_threshold_minutes),
            json!(updated.at_risk_threshold_minutes),
        ),
        (
            "escalation_minutes",
            json!(current.escalation_minutes),
            json!(updated.escalation_minutes),
        ),
        (
            "default_calendar_id",
            json!(current.default_calendar_id),
            json!(updated.default_calendar_id),
        ),
    ]);
    events::record(
        db,
        actor,
        Subject::Organisation(current.id),
        "organisation.updated",
        data,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// The time zone of the organisation of a `users` row, as an expression
/// over that row; [`parse_zone`] reads it.
pub fn zone_of_account() -> Expr {
    super::scalar(
        organisation::Entity::find()
            .select_only()
            .column(organisation::Column::Timezone)
            .filter(
                Expr::col((organisation::Entity, organisation::Column::Id)).equals((
                    crate::entities::user::Entity,
                    crate::entities::user::Column::OrganisationId,
                )),
            )
            .into_query(),
    )
}

/// A stored time zone; UTC when it cannot be read.
pub fn parse_zone(timezone: Option<String>) -> chrono_tz::Tz {
    timezone
        .and_then(|timezone| timezone.parse().ok())
        .unwrap_or(chrono_tz::UTC)
}
