//! The daily contact plan: each working day a provider's lead calls one
//! internal customer (or skips). `contacts` keeps one row per providing
//! department and day (`idx_contacts_day`, unique: a day is recorded once,
//! by whichever instance or tab gets there first), `outcome` `contacted` or
//! `skipped`, with what was said in `note`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    OrganisationId,
    ProviderDepartmentId,
    CustomerDepartmentId,
    UserId,
    Day,
    Outcome,
    Note,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(big_pk_auto(Contacts::Id))
                    .col(big_integer(Contacts::OrganisationId))
                    .col(big_integer(Contacts::ProviderDepartmentId))
                    .col(big_integer_null(Contacts::CustomerDepartmentId))
                    .col(big_integer(Contacts::UserId))
                    .col(date(Contacts::Day))
                    .col(string(Contacts::Outcome))
                    .col(text(Contacts::Note))
                    .col(timestamp_with_time_zone(Contacts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contacts_day")
                    .table(Contacts::Table)
                    .col(Contacts::ProviderDepartmentId)
                    .col(Contacts::Day)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Contacts::Table).to_owned())
            .await
    }
}
