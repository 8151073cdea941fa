//! What a person's home page holds, by role (SPEC §8): their unread notices;
//! for a member of a department, what it owes and what it waits for; for
//! leads and admins, the agreements both ways (and which await their
//! answer) and the reviews coming up; for leaders and admins, the promises
//! to outside customers in danger and the departments whose own slips
//! endanger them most. Each part is read through the service that owns it,
//! with that service's read rules; the page only lays it out.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::entities::agreement::AgreementStatus;
use crate::entities::commitment::StoredRisk;
use crate::entities::ids::DepartmentId;
use crate::entities::review::ReviewStatus;
use crate::entities::{agreement, commitment, notification, review};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::Context;
use crate::services::Side;
use crate::services::agreements::{self, AgreementFilter};
use crate::services::commitments::{self, CommitmentFilter};
use crate::services::reports::Viewer;
use crate::services::reports::impact::{self, DepartmentImpact};
use crate::services::requests::{Open, OpenWork};
use crate::services::reviews::{self, ReviewFilter};
use crate::services::{notifications, requests};

/// Unread notices shown at the top, newest first.
const UNREAD_SHOWN: u64 = 5;
/// Open requests shown per list; the list page has the rest.
const OPEN_SHOWN: u64 = 20;
/// Departments named as the sources of delay.
const DELAY_SOURCES: usize = 5;
const ALL: PageRequest = PageRequest {
    after_id: 0,
    limit: 200,
};

pub struct Home {
    /// Empty when there is nothing unread.
    pub unread: Vec<notification::Model>,
    /// Undelivered requests the reader has been assigned, soonest due first.
    pub assigned: OpenWork,
    /// For a member of a department.
    pub department: Option<DepartmentWork>,
    /// For leads and admins.
    pub agreements: Vec<AgreementLine>,
    /// For leads and admins: scheduled reviews they may read.
    pub reviews: Vec<review::Model>,
    /// For leaders and admins: late commitments first, then those at risk.
    pub endangered: Vec<commitment::Model>,
    /// For leaders and admins: the departments whose own slip weighs most
    /// on late or at-risk commitments, projected now.
    pub delay_sources: Vec<DepartmentImpact>,
    /// Whether the leadership sections apply.
    pub leadership: bool,
}

/// A department's open work, soonest due first.
pub struct DepartmentWork {
    pub department_id: DepartmentId,
    /// Requests it provides.
    pub owed: OpenWork,
    /// Requests it is the customer of.
    pub waiting: OpenWork,
}

pub struct AgreementLine {
    pub row: agreement::Model,
    /// Proposed, or with a change of terms, and the reader's department is
    /// the customer that answers it (or the reader is an admin).
    pub awaiting_us: bool,
}

/// The home page of `actor`, who has `unread` notices.
pub async fn home(cx: &Context<'_>, unread: u64, now: DateTime<Utc>) -> Result<Home, ApiError> {
    let (db, calendars, actor) = (cx.db, cx.calendars, &cx.actor);
    let unread = if unread > 0 {
        notifications::list_for(db, actor, true, UNREAD_SHOWN).await?
    } else {
        Vec::new()
    };
    // The reader's own and their department's open work, in one read.
    let mut sets = vec![Open::Assigned];
    if let Some(department_id) = actor.department_id {
        sets.push(Open::Department(department_id, Side::Provider));
        sets.push(Open::Department(department_id, Side::Customer));
    }
    let mut open = requests::open_work(db, actor, &sets, OPEN_SHOWN)
        .await?
        .into_iter();
    let assigned = open.next().unwrap_or_default();
    let department = actor.department_id.map(|department_id| DepartmentWork {
        department_id,
        owed: open.next().unwrap_or_default(),
        waiting: open.next().unwrap_or_default(),
    });
    let mut home = Home {
        unread,
        assigned,
        department,
        agreements: Vec::new(),
        reviews: Vec::new(),
        endangered: Vec::new(),
        delay_sources: Vec::new(),
        leadership: matches!(actor.role, Role::Leader | Role::Admin),
    };
    if matches!(actor.role, Role::Lead | Role::Admin) {
        home.agreements = agreements_both_ways(db, actor).await?;
        home.reviews = reviews::list(
            db,
            actor,
            ALL,
            ReviewFilter {
                department_id: None,
                status: Some(ReviewStatus::Scheduled),
            },
        )
        .await?;
    }
    if home.leadership {
        for risk in [StoredRisk::Late, StoredRisk::AtRisk] {
            let filter = CommitmentFilter {
                risk: Some(risk),
                ..Default::default()
            };
            home.endangered
                .extend(commitments::list(db, actor, ALL, filter).await?);
        }
        home.delay_sources = impact::impact(db, calendars, &Viewer::of(actor), now)
            .await?
            .departments
            .into_iter()
            .filter(|department| department.own_slip_minutes > 0)
            .take(DELAY_SOURCES)
            .collect();
    }
    Ok(home)
}

/// The agreements the actor's department provides, then those it receives;
/// for an admin without a department, every agreement once.
async fn agreements_both_ways(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
) -> Result<Vec<AgreementLine>, ApiError> {
    let rows = match actor.department_id {
        Some(department) => {
            let both = agreements::both_ways(db, actor, department, ALL.limit).await?;
            both.provided.into_iter().chain(both.received).collect()
        }
        None => agreements::list(db, actor, ALL, AgreementFilter::default()).await?,
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let pending =
                row.status == AgreementStatus::Proposed || row.pending_turnaround_unit.is_some();
            let answers = actor.role == Role::Admin
                || actor.department_id == Some(row.customer_department_id);
            AgreementLine {
                awaiting_us: pending && answers,
                row,
            }
        })
        .collect())
}
