//! The version of an organisation's directory: a number that moves with
//! every change of one of its departments or people.
//!
//! Each process keeps the names of an organisation's departments and its
//! people (`services::departments::Directory`), and every page reads this
//! number with its person to know whether what it keeps is still true.
//! Until now the version was the count of the organisation's department
//! events, which grows with the organisation's history; a column is read
//! in constant time whatever the history, and moves in the same
//! transaction as the change (`services::events::append_many`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    DirectoryVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisations::Table)
                    .add_column(
                        ColumnDef::new(Organisations::DirectoryVersion)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisations::Table)
                    .drop_column(Organisations::DirectoryVersion)
                    .to_owned(),
            )
            .await
    }
}
