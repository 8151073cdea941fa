//! The voice of the internal customer, first part: thanks and levels of
//! service.
//!
//! - `thanks`: a customer's short note of thanks for one delivered request,
//!   at most one per person and request (`idx_thanks_request_user`), kept
//!   with both departments so that a provider's page reads its thanks
//!   newest first along `idx_thanks_provider`.
//! - `requests.used_seconds` and `agreed_seconds`: set at delivery, the time
//!   the provider took from the clock start (pauses excluded) and the time
//!   the agreement gave it, both in the agreement's own measure (working
//!   seconds of the provider's calendar for business units, elapsed seconds
//!   for calendar units); `thanked` once someone has thanked for it; and
//!   `service_level`, the level those facts and the rating give (see
//!   `services::requests::levels`), kept for the reports' roll-ups.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Thanks {
    Table,
    Id,
    OrganisationId,
    RequestId,
    ProviderDepartmentId,
    CustomerDepartmentId,
    UserId,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    UsedSeconds,
    AgreedSeconds,
    Thanked,
    ServiceLevel,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

async fn add_column(manager: &SchemaManager<'_>, mut column: ColumnDef) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Requests::Table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        add_column(manager, big_integer_null(Requests::UsedSeconds).to_owned()).await?;
        add_column(
            manager,
            big_integer_null(Requests::AgreedSeconds).to_owned(),
        )
        .await?;
        add_column(
            manager,
            boolean(Requests::Thanked).default(false).to_owned(),
        )
        .await?;
        add_column(manager, string_null(Requests::ServiceLevel).to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(Thanks::Table)
                    .col(big_pk_auto(Thanks::Id))
                    .col(big_integer(Thanks::OrganisationId))
                    .col(big_integer(Thanks::RequestId))
                    .col(big_integer(Thanks::ProviderDepartmentId))
                    .col(big_integer(Thanks::CustomerDepartmentId))
                    .col(big_integer(Thanks::UserId))
                    .col(text(Thanks::Note))
                    .col(timestamp_with_time_zone(Thanks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Thanks::Table, Thanks::RequestId)
                            .to(Requests::Table, Requests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Thanks::Table, Thanks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_thanks_request_user")
                    .table(Thanks::Table)
                    .col(Thanks::RequestId)
                    .col(Thanks::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_thanks_provider")
                    .table(Thanks::Table)
                    .col(Thanks::OrganisationId)
                    .col(Thanks::ProviderDepartmentId)
                    .col(Thanks::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Thanks::Table).to_owned())
            .await?;
        for column in [
            Requests::ServiceLevel,
            Requests::Thanked,
            Requests::AgreedSeconds,
            Requests::UsedSeconds,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Requests::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
