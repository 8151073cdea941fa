use sea_orm::entity::prelude::*;

use super::ids::{DepartmentId, OrganisationId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: UserId,
    pub organisation_id: OrganisationId,
    /// Lower-cased, unique across the installation.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub password_hash: String,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// The four roles of SPEC §8.
    #[derive(utoipa::ToSchema)]
    pub enum Role {
        Admin = "admin",
        Leader = "leader",
        Lead = "lead",
        Staff = "staff",
    }
}

impl Role {
    /// Leads and staff belong to a department; admins and leaders may not.
    pub fn needs_department(self) -> bool {
        matches!(self, Role::Lead | Role::Staff)
    }
}
