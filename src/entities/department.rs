use sea_orm::entity::prelude::*;

use super::ids::{DepartmentId, OrganisationId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: DepartmentId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub code: String,
    pub calendar_id: i64,
    pub lead_user_id: Option<UserId>,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
