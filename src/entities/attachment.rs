use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, RequestId, UserId};

/// A file uploaded to a request; its bytes live in the object store under
/// `storage_key`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub request_id: RequestId,
    pub filename: String,
    pub size: i64,
    pub content_type: String,
    /// Lower-case hex of the bytes' SHA-256.
    pub sha256: String,
    pub storage_key: String,
    pub uploaded_by_user_id: UserId,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
