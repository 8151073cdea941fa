use sea_orm::entity::prelude::*;

use super::ids::{CommitmentId, OrganisationId, RequestId};

/// Commitment `commitment_id` waits for request `request_id`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commitment_dependencies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub commitment_id: CommitmentId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: RequestId,
    pub organisation_id: OrganisationId,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
