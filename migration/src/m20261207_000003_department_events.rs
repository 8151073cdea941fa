//! An organisation's events of one kind, newest first.
//!
//! Every page counts its organisation's department events: their number is
//! the version of the department names a process keeps
//! (`services::departments::Directory`). `idx_events_organisation`
//! (organisation, id) would read every event of the organisation for it;
//! with the kind second, the count reads only department events. `GET
//! /events?entity=` reads the same range.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_events_organisation_kind ON events \
                 (organisation_id, subject_type, id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_events_organisation_kind")
            .await?;
        Ok(())
    }
}
