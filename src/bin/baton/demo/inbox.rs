//! Settles the notifications history left behind. Requests of the past are
//! logged after their due, so the request service rightly tells their
//! customers at once that they are overdue; in the story those messages
//! were read long ago. Notifications about requests that are finished now
//! are marked read, so that each inbox shows what needs attention today.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use baton::entities::ids::RequestId;
use baton::entities::request;
use baton::services::notifications;
use baton::services::requests::RequestStatus;

use super::DemoError;
use super::people::Org;

/// More than any demo user receives.
const INBOX_LIMIT: u64 = 100_000;

/// Marks read every notification about a request that is finished now.
pub(crate) async fn settle(db: &DatabaseConnection, org: &Org) -> Result<(), DemoError> {
    let finished: HashSet<RequestId> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::OrganisationId.eq(org.admin.organisation_id))
        .filter(request::Column::Status.is_in([
            RequestStatus::Delivered,
            RequestStatus::Accepted,
            RequestStatus::Cancelled,
        ]))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    for department in org.departments.values() {
        for member in std::iter::once(&department.lead).chain(&department.staff) {
            let unread = notifications::list_for(db, &member.auth, true, INBOX_LIMIT).await?;
            for notification in unread {
                if notification
                    .request_id
                    .is_some_and(|id| finished.contains(&id))
                {
                    notifications::mark_read(db, &member.auth, notification.id).await?;
                }
            }
        }
    }
    Ok(())
}
