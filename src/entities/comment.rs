use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, RequestId, UserId};

/// One contribution to a request's conversation. Part of the record: never
/// deleted; an edit (by its author, within minutes) keeps the earlier text
/// in the request's events.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub request_id: RequestId,
    pub author_user_id: UserId,
    pub body: String,
    pub created_at: DateTimeUtc,
    pub edited_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
