//! The caller's organisation and its settings.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::auth::AuthUser;
use crate::entities::organisation;
use crate::error::ApiError;
use crate::http::IfMatch;
use crate::validate::Checker;

#[derive(Default)]
pub struct OrganisationChanges {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub at_risk_threshold_minutes: Option<i64>,
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
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    if_match: IfMatch,
    changes: OrganisationChanges,
) -> Result<organisation::Model, ApiError> {
    actor.require_admin()?;
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
    check.finish()?;
    row.version = Set(current.version + 1);
    let result = organisation::Entity::update_many()
        .set(row)
        .filter(organisation::Column::Id.eq(current.id))
        .filter(organisation::Column::Version.eq(current.version))
        .exec(db)
        .await?;
    crate::services::stale_if_untouched(result.rows_affected)?;
    get(db, actor).await
}
