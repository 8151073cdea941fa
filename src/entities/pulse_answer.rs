use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, UserId};

/// One person's answer to a pulse: a score from 1 to 10 and the one thing
/// the provider could do better.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pulse_answers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub pulse_id: i64,
    pub organisation_id: OrganisationId,
    pub user_id: UserId,
    pub score: i32,
    pub one_thing: String,
    pub answered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
