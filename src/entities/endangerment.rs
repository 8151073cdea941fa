use sea_orm::entity::prelude::*;

use super::ids::{CommitmentId, OrganisationId, RequestId};

/// Request `request_id` is on the critical path of commitment
/// `commitment_id`, which is open and at risk or late, as the commitment's
/// projection was last stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endangerments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: RequestId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub commitment_id: CommitmentId,
    pub organisation_id: OrganisationId,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
