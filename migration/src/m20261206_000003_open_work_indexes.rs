//! Two indexes over open work.
//!
//! - `idx_requests_overdue_pending`: every overdue sweep asks for the
//!   undelivered requests past their due that have not been notified yet.
//!   Without it that question reads the whole `requests` table (a fifth of a
//!   second at a million requests, every sweep, on every instance). It holds
//!   only the requests not yet notified, by status and due, so the sweep
//!   reads exactly what it notifies. Its condition has no parameter, so
//!   SQLite's planner can prove that the sweep's `overdue_notified_at IS
//!   NULL` implies it.
//! - `idx_requests_pair_open`: the open requests between two departments (a
//!   lead looking at another department's page sees those shared with
//!   theirs). With only one side indexed, SQLite counted them by reading the
//!   covering report index over the whole organisation (130 ms at a
//!   million requests); with both sides it reads the pair's open rows.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX idx_requests_overdue_pending ON requests (status, due_at) \
             WHERE overdue_notified_at IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_requests_pair_open ON requests \
             (organisation_id, provider_department_id, customer_department_id, status, due_at)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_requests_pair_open")
            .await?;
        db.execute_unprepared("DROP INDEX idx_requests_overdue_pending")
            .await?;
        Ok(())
    }
}
