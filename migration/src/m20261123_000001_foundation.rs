//! Organisations, users, calendars and departments.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    Name,
    Timezone,
    AtRiskThresholdMinutes,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Calendars {
    Table,
    Id,
    OrganisationId,
    Name,
    Timezone,
    Weekly,
    Holidays,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    OrganisationId,
    Name,
    Code,
    CalendarId,
    LeadUserId,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrganisationId,
    Email,
    Name,
    Role,
    DepartmentId,
    PasswordHash,
    Active,
    Version,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(big_pk_auto(Organisations::Id))
                    .col(string(Organisations::Name))
                    .col(string(Organisations::Timezone))
                    .col(integer(Organisations::AtRiskThresholdMinutes).default(480))
                    .col(integer(Organisations::Version).default(1))
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Calendars::Table)
                    .col(big_pk_auto(Calendars::Id))
                    .col(big_integer(Calendars::OrganisationId))
                    .col(string(Calendars::Name))
                    .col(string(Calendars::Timezone))
                    .col(text(Calendars::Weekly))
                    .col(text(Calendars::Holidays))
                    .col(integer(Calendars::Version).default(1))
                    .col(timestamp_with_time_zone(Calendars::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Calendars::Table, Calendars::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_calendars_organisation")
                    .table(Calendars::Table)
                    .col(Calendars::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Departments::Table)
                    .col(big_pk_auto(Departments::Id))
                    .col(big_integer(Departments::OrganisationId))
                    .col(string(Departments::Name))
                    .col(string(Departments::Code))
                    .col(big_integer(Departments::CalendarId))
                    .col(big_integer_null(Departments::LeadUserId))
                    .col(integer(Departments::Version).default(1))
                    .col(timestamp_with_time_zone(Departments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Departments::Table, Departments::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Departments::Table, Departments::CalendarId)
                            .to(Calendars::Table, Calendars::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_departments_organisation_code")
                    .table(Departments::Table)
                    .col(Departments::OrganisationId)
                    .col(Departments::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(big_integer(Users::OrganisationId))
                    // Stored lower-cased: emails are unique case-insensitively.
                    .col(string_uniq(Users::Email))
                    .col(string(Users::Name))
                    .col(string(Users::Role))
                    .col(big_integer_null(Users::DepartmentId))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::Active).default(true))
                    .col(integer(Users::Version).default(1))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_organisation")
                    .table(Users::Table)
                    .col(Users::OrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Users::Table.into_iden(),
            Departments::Table.into_iden(),
            Calendars::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
