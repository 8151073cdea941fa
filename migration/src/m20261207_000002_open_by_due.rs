//! A department's open work and its agreements, each from an index that
//! holds exactly what the department page shows.
//!
//! - `idx_requests_provider_due_open`, `idx_requests_customer_due_open`:
//!   the undelivered requests a department owes or waits for, by due date,
//!   and nothing else. The indexes they replace (`…_provider_open`,
//!   `…_customer_open`) were ordered by status first, so the first 25 by
//!   due came from reading and sorting every open row of the department
//!   (200 rows, 0.3 ms on PostgreSQL at a million requests); these give the
//!   first 25 in order and the count from the index alone. Their condition
//!   is the open statuses written out, in the order the queries write them
//!   (`services::one_of`): SQLite uses a partial index only when the query
//!   repeats its condition, and PostgreSQL proves it for a generic plan
//!   only from constants. They end with the status, which they never
//!   search by, so that they cover the count: without it SQLite, planning
//!   without statistics, counted a department's open requests from another
//!   covering index, every request of the organisation (130 ms a page).
//! - `idx_agreements_provider`, `idx_agreements_customer`: a department's
//!   agreements both ways. Without them the read went through every
//!   agreement of the organisation in id order and kept a department's.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The undelivered statuses, as `RequestStatus::UNDELIVERED` lists them.
const UNDELIVERED: &str = "status IN ('open', 'in_progress', 'waiting_on_customer', 'reopened')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for side in ["provider", "customer"] {
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_requests_{side}_due_open ON requests \
                 (organisation_id, {side}_department_id, due_at, id, status) WHERE {UNDELIVERED}"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP INDEX idx_requests_{side}_open"))
                .await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_agreements_{side} ON agreements \
                 (organisation_id, {side}_department_id, id)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for side in ["provider", "customer"] {
            db.execute_unprepared(&format!("DROP INDEX idx_agreements_{side}"))
                .await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_requests_{side}_open ON requests \
                 (organisation_id, {side}_department_id, status, due_at)"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP INDEX idx_requests_{side}_due_open"))
                .await?;
        }
        Ok(())
    }
}
