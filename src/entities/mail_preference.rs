use sea_orm::entity::prelude::*;

use super::ids::UserId;
use super::notification::NotificationKind;

/// How a person takes the mail of one kind of notice; no row: at once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: NotificationKind,
    pub mode: MailMode,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// At once, in the daily digest, or not at all (the notice still shows
    /// in Baton).
    pub enum MailMode {
        Now = "now",
        Digest = "digest",
        Off = "off",
    }
}
