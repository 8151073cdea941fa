use sea_orm::entity::prelude::*;

use super::ids::OrganisationId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: OrganisationId,
    pub name: String,
    pub timezone: String,
    pub at_risk_threshold_minutes: i32,
    /// Working minutes a breach lasts before it reaches the leaders; none:
    /// never.
    pub escalation_minutes: Option<i32>,
    /// The calendar of departments created without one; it cannot be deleted.
    pub default_calendar_id: Option<i64>,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
