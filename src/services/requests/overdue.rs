//! "No surprises": a request passing its due undelivered notifies its
//! customer department at once. A periodic sweep finds them; a conditional
//! update makes sure that only one server instance notifies for each.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::RequestStatus;
use super::intake::notify_overdue;
use crate::entities::request;
use crate::error::ApiError;
use crate::services::calendars::CalendarCache;
use crate::services::projection;

/// Most requests handled by one sweep; the next sweep takes the rest.
const BATCH: u64 = 500;

/// Notifies for every request that has passed its due since the last sweep
/// (paused requests wait: their due is still moving). Returns how many.
pub async fn sweep_overdue(
    db: &DatabaseConnection,
    calendars: &CalendarCache,
) -> Result<usize, ApiError> {
    let now = Utc::now();
    let due: Vec<request::Model> = request::Entity::find()
        .filter(request::Column::Status.is_in([
            RequestStatus::Open,
            RequestStatus::InProgress,
            RequestStatus::Reopened,
        ]))
        .filter(request::Column::DueAt.lt(now))
        .filter(request::Column::OverdueNotifiedAt.is_null())
        .limit(BATCH)
        .all(db)
        .await?;
    let mut notified = 0;
    for row in due {
        let txn = crate::db::begin_write(db).await?;
        // Only the instance whose update flips the flag sends the notice.
        let claimed = request::Entity::update_many()
            .col_expr(request::Column::OverdueNotifiedAt, Expr::value(now))
            .filter(request::Column::Id.eq(row.id))
            .filter(request::Column::OverdueNotifiedAt.is_null())
            .filter(request::Column::DueAt.lt(now))
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            notify_overdue(&txn, &row).await?;
            // Past its due, its finish now moves with the clock.
            projection::store_downstream(&txn, calendars, row.organisation_id, &[row.id]).await?;
            notified += 1;
        }
        txn.commit().await?;
    }
    Ok(notified)
}
