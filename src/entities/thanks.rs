use sea_orm::entity::prelude::*;

use super::ids::{DepartmentId, OrganisationId, RequestId, UserId};

/// A customer's note of thanks for one delivered request: at most one per
/// person and request. Kept with both departments, so that the provider's
/// page reads its thanks without the requests.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "thanks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub request_id: RequestId,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub user_id: UserId,
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
