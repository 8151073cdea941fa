//! The organisation's audit log and its default calendar.
//!
//! - `idx_events_organisation` serves `GET /events`: the newest events of one
//!   organisation first, a page at a time (a keyset walk down `id`), whatever
//!   the filters.
//! - `organisations.default_calendar_id` names the calendar a new department
//!   gets when none is given, and the one that can never be deleted. It is
//!   filled with each organisation's first calendar, the one signup made.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    OrganisationId,
    Id,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    DefaultCalendarId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_events_organisation")
                    .table(Events::Table)
                    .col(Events::OrganisationId)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organisations::Table)
                    .add_column(
                        ColumnDef::new(Organisations::DefaultCalendarId)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE organisations SET default_calendar_id = \
                 (SELECT MIN(calendars.id) FROM calendars \
                  WHERE calendars.organisation_id = organisations.id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisations::Table)
                    .drop_column(Organisations::DefaultCalendarId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_events_organisation")
                    .table(Events::Table)
                    .to_owned(),
            )
            .await
    }
}
