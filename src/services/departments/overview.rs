//! What a department's page holds (besides its people, whom the page takes
//! from the directory each process keeps): its calendar, the
//! agreements it provides and receives with their on-time figures, the open
//! requests it owes and waits for, its upcoming reviews and the open
//! commitments it owns, with what the reader may do there. Each part is
//! read through the service that owns it, with that service's read rules:
//! a lead or staff member looking at another department sees only the
//! requests and reviews that touch their own.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use crate::entities::ids::{AgreementId, DepartmentId};
use crate::entities::review::ReviewStatus;
use crate::entities::{agreement, calendar, commitment, department, review};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::Side;
use crate::services::agreements::{self, OnTimeFigures};
use crate::services::commitments;
use crate::services::requests::{self, Open, OpenWork};
use crate::services::reviews::{self, ReviewFilter};

const ALL: PageRequest = PageRequest {
    after_id: 0,
    limit: 200,
};

/// Open requests and commitments shown per list; the list pages have the rest.
const OPEN_SHOWN: u64 = 25;

pub struct DepartmentOverview {
    pub row: department::Model,
    pub calendar: calendar::Model,
    pub provided: Vec<agreement::Model>,
    pub received: Vec<agreement::Model>,
    /// On-time figures of the agreements both ways, by agreement id.
    pub figures: HashMap<AgreementId, OnTimeFigures>,
    /// Open requests it provides that the reader may read, soonest due first.
    pub owes: OpenWork,
    /// Open requests it is the customer of that the reader may read.
    pub waits: OpenWork,
    /// The reader sees only what touches their own department.
    pub partial: bool,
    /// Scheduled reviews with this department, soonest first.
    pub reviews: Vec<review::Model>,
    /// Open commitments it owns, the soonest promise first.
    pub commitments: Vec<commitment::Model>,
    /// How many open commitments it owns in all.
    pub commitments_total: u64,
    pub may_draft: bool,
    pub may_review: bool,
    pub may_commit: bool,
}

/// The page of department `id` as `actor` may see it.
pub async fn overview(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: DepartmentId,
) -> Result<DepartmentOverview, ApiError> {
    let (row, calendar) = super::with_calendar(db, actor, id).await?;

    let agreements::BothWays {
        provided,
        received,
        figures,
    } = agreements::both_ways(db, actor, id, ALL.limit).await?;

    let mut open = requests::open_work(
        db,
        actor,
        &[
            Open::Department(id, Side::Provider),
            Open::Department(id, Side::Customer),
        ],
        OPEN_SHOWN,
    )
    .await?
    .into_iter();
    let (owes, waits) = (
        open.next().unwrap_or_default(),
        open.next().unwrap_or_default(),
    );

    let mut scheduled = reviews::list(
        db,
        actor,
        ALL,
        ReviewFilter {
            department_id: Some(id),
            status: Some(ReviewStatus::Scheduled),
        },
    )
    .await?;
    // For leads and staff the service lists their own department's reviews;
    // of those, the ones with this department.
    scheduled.retain(|review| review.department_a_id == id || review.department_b_id == id);
    scheduled.sort_by_key(|review| review.scheduled_at);

    let (owned, owned_total) = commitments::open_owned_by(db, actor, id, OPEN_SHOWN).await?;

    Ok(DepartmentOverview {
        partial: !matches!(actor.role, Role::Admin | Role::Leader)
            && actor.department_id != Some(id),
        may_draft: agreements::leads(actor, id),
        may_review: actor.role != Role::Staff,
        may_commit: commitments::may_write(actor, id),
        row,
        calendar,
        provided,
        received,
        figures,
        owes,
        waits,
        reviews: scheduled,
        commitments: owned,
        commitments_total: owned_total,
    })
}
