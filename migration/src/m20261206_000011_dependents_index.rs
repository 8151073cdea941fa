//! What waits on a request, read from the index alone.
//!
//! The request page names a request's first dependents and says how many
//! there are. With `idx_request_dependencies_upstream` on `depends_on_id`
//! only, both questions read a table row per dependent (a hub that 100,000
//! requests wait on cost two full passes over them). Replacing it with
//! `(depends_on_id, request_id)` answers both from the index, in order, and
//! serves every query the old index served.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX idx_request_dependencies_dependents ON request_dependencies \
             (depends_on_id, request_id)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX idx_request_dependencies_upstream")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX idx_request_dependencies_upstream ON request_dependencies \
             (depends_on_id)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX idx_request_dependencies_dependents")
            .await?;
        Ok(())
    }
}
