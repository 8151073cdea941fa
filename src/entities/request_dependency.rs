use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, RequestId};

/// `request_id` needs the deliverable of `depends_on_id` first.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_dependencies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: RequestId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub depends_on_id: RequestId,
    pub organisation_id: OrganisationId,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
