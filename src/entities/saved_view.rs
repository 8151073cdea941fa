use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, UserId};

/// A person's named filter and search over requests.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "saved_views")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub user_id: UserId,
    pub name: String,
    /// The list's query string, without the leading `?` (`status=open&q=contract`).
    pub query: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
