use sea_orm::entity::prelude::*;

use super::ids::OrganisationId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendars")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub timezone: String,
    /// JSON: `{"mon": [["09:00","17:00"]], …}` as the API takes it.
    pub weekly: String,
    /// JSON: `[{"date": "2026-12-25", "name": "Christmas"}]`.
    pub holidays: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
