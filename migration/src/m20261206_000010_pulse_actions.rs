//! An answer back to a pulse check may become an action item, kept with the
//! pair's next review like every other (`pulses.action_item_id`), so that
//! its closing is reported back to the customer the way review actions are.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Pulses {
    Table,
    ActionItemId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Pulses::Table)
                    .add_column(big_integer_null(Pulses::ActionItemId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Pulses::Table)
                    .drop_column(Pulses::ActionItemId)
                    .to_owned(),
            )
            .await
    }
}
