//! A department's open commitments, soonest promise first, from the index.
//!
//! The department page shows the first 25 open commitments a department
//! owns, by promise date, and how many there are. With
//! `idx_commitments_owner_status` (owner, status, id) both read every open
//! commitment's row and sorted them; `(organisation, owner, status,
//! promised_at, id)` gives the first 25 in order and the count from the
//! index alone.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_commitments_owner_soonest ON commitments \
                 (organisation_id, owner_department_id, status, promised_at, id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_commitments_owner_soonest")
            .await?;
        Ok(())
    }
}
