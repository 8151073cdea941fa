use sea_orm::entity::prelude::*;

use super::ids::{RequestId, UserId};

/// A `POST /requests` made with an `Idempotency-Key`, and the request it created.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: UserId,
    pub key: String,
    /// Hash of the body, so that a key reused for different content is refused.
    pub body_hash: String,
    pub request_id: RequestId,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
