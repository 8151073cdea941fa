//! The request list as rows to export: names where the list has ids, the
//! whole filtered set a batch at a time (by ascending id), so that an export
//! of a large organisation never holds more than one batch.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{RequestFilter, RequestStatus, list};
use crate::entities::ids::RequestId;
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::pagination::PageRequest;
use crate::services::{departments, users};

/// Rows per batch.
pub const EXPORT_BATCH: u64 = 1_000;

/// One request as the export shows it.
pub struct ExportRow {
    pub id: RequestId,
    pub title: String,
    pub status: RequestStatus,
    pub provider: String,
    pub customer: String,
    pub assignee: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Signed working minutes, as in the API.
    pub lateness_minutes: Option<i64>,
    pub rating: Option<i32>,
}

/// The next batch after request `after` (0 for the first); fewer than
/// [`EXPORT_BATCH`] rows means it is the last.
pub async fn export_batch(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    filter: &RequestFilter,
    after: RequestId,
) -> Result<Vec<ExportRow>, ApiError> {
    let page = PageRequest {
        after_id: after.0,
        limit: EXPORT_BATCH,
    };
    let mut rows = list(db, actor, page, filter).await?;
    rows.truncate(EXPORT_BATCH as usize);
    let departments = departments::names(db, actor.organisation_id).await?;
    let people = users::names(
        db,
        actor.organisation_id,
        rows.iter().filter_map(|row| row.assignee_user_id),
    )
    .await?;
    let name = |id| departments.get(&id).cloned().unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|row| ExportRow {
            id: row.id,
            provider: name(row.provider_department_id),
            customer: name(row.customer_department_id),
            assignee: row
                .assignee_user_id
                .and_then(|person| people.get(&person).cloned()),
            title: row.title,
            status: row.status,
            requested_at: row.requested_at,
            due_at: row.due_at,
            delivered_at: row.delivered_at,
            lateness_minutes: row.lateness_minutes,
            rating: row.rating_score,
        })
        .collect())
}
