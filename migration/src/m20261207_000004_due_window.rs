//! A window of due dates, from an index.
//!
//! `idx_requests_org_due` (organisation, due, id) holds every request of an
//! organisation by due date, with its id. A list page filtered by due date
//! (`due_before`, `due_after`) whose next few thousand requests by id do
//! not fill it reads the ids of its window from this index alone, and a
//! narrow window ("due this week") is then read by id rather than found by
//! walking the organisation in id order (`services::requests::due_window`).
//! `idx_requests_org_status_due` cannot serve it: its status comes before
//! the due date.
//!
//! It is partial, on `due_at IS NOT NULL` (every request has a due), and
//! that read repeats the condition: a database uses a partial index only
//! for a statement that implies its condition, as a comparison of due
//! dates does and a mere order by due date does not. Whole, it was read by
//! statements it does not serve: SQLite, planning without statistics, read
//! a person's assigned open work (the home page) from it in due order,
//! walking the whole organisation.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_requests_org_due ON requests (organisation_id, due_at, id) \
                 WHERE due_at IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_requests_org_due")
            .await?;
        Ok(())
    }
}
