use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, RequestId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub user_id: UserId,
    pub kind: NotificationKind,
    pub request_id: Option<RequestId>,
    pub message: String,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What a notification is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    ForecastLate,
    Overdue,
    ActionClosed,
}

impl NotificationKind {
    /// The name the API and the column use.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::ForecastLate => "forecast_late",
            NotificationKind::Overdue => "overdue",
            NotificationKind::ActionClosed => "action_closed",
        }
    }
}
