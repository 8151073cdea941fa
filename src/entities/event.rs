use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, UserId};

/// Append-only: the database refuses updates and deletes of this table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    /// `request | agreement`.
    pub subject_type: String,
    pub subject_id: i64,
    pub kind: String,
    pub actor_user_id: Option<UserId>,
    /// When it happened, as declared by the actor (defaults to `recorded_at`).
    pub at: DateTimeUtc,
    /// When the server stored it.
    pub recorded_at: DateTimeUtc,
    /// JSON object with the details of the change.
    pub data: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
