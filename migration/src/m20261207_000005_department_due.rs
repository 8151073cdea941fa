//! A department's window of due dates, from an index per side.
//!
//! `idx_requests_provider_due` and `idx_requests_customer_due`
//! (organisation, department, due, id) hold what a department provides and
//! what it waits for by due date, with their ids. A lead's or staff
//! member's list page filtered by due date whose next few thousand
//! requests by id do not fill it reads its window's ids from both, one
//! `UNION`, and a narrow window is then read by id rather than found by
//! walking the organisation in id order
//! (`services::requests::due_window`). `idx_requests_org_due` holds the
//! whole organisation's window, which is no bound on a department's:
//! "due this week" of the whole organisation may be too wide to read by
//! id while a department's is a page.
//!
//! Partial on `due_at IS NOT NULL`, as `idx_requests_org_due` is: that
//! read writes the term out, and a statement that only sorts by due date
//! (a person's assigned work) cannot read them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for side in ["provider", "customer"] {
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_requests_{side}_due ON requests \
                 (organisation_id, {side}_department_id, due_at, id) WHERE due_at IS NOT NULL"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for side in ["provider", "customer"] {
            db.execute_unprepared(&format!("DROP INDEX idx_requests_{side}_due"))
                .await?;
        }
        Ok(())
    }
}
