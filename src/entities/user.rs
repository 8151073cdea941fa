use sea_orm::entity::prelude::*;

use super::ids::{DepartmentId, OrganisationId, UserId};
use serde::{Deserialize, Serialize};

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

/// The four roles of SPEC §8.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Leader,
    Lead,
    Staff,
}

impl Role {
    /// The name the API and the column use.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Leader => "leader",
            Role::Lead => "lead",
            Role::Staff => "staff",
        }
    }

    /// Leads and staff belong to a department; admins and leaders may not.
    pub fn needs_department(self) -> bool {
        matches!(self, Role::Lead | Role::Staff)
    }
}
