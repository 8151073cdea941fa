//! Leadership reports (SPEC §6): service health by agreement, provider,
//! customer or pair; the provider × customer matrix; the weekly trend of
//! one group; and the impact of internal slips on external commitments.
//!
//! Definitions shared by every report (SPEC §2–§3, appendix A):
//! - the window is `[from, to)`; *delivered* counts final deliveries
//!   (status `delivered` or `accepted`) whose `delivered_at` lies in it, so
//!   a reopened request counts only once delivered anew, and its lateness
//!   runs to that final delivery;
//! - *on time* is `on_time = true` (delivered at or before due), *early* is
//!   lateness < 0, *late* is `on_time = false` (a delivery after due outside
//!   working hours is late with 0 minutes);
//! - *open* counts requests requested before `to` and not delivered by
//!   `to`, *overdue* those of them due before min(`to`, now); both read the
//!   current data, so a request reopened since counts as not delivered;
//! - cancelled requests count nowhere;
//! - median and p90 lateness are nearest-rank percentiles in working
//!   minutes (the value at rank ⌈p·n⌉, ascending);
//! - `target_pct` of a row wider than one agreement is the mean of its
//!   agreements' targets weighted by their deliveries in the window (the
//!   plain mean when nothing was delivered), so `meets_target` says whether
//!   the row kept the promises it actually had to keep.
//!
//! Leads and staff see only their department's rows; admins and leaders
//! see every row of their organisation (SPEC §8).

pub mod health;
pub mod impact;
pub mod matrix;
mod queries;
mod tally;
pub mod trend;

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use crate::entities::ids::{AgreementId, DepartmentId, OrganisationId};
use crate::entities::{department, organisation};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};

/// How long a window is when `from` is left out.
pub const DEFAULT_WINDOW_DAYS: i64 = 90;

/// The health figures of one row (one group, one period).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Final deliveries in the window.
    pub delivered: i64,
    pub on_time: i64,
    /// On time with lateness < 0 (a subset of `on_time`).
    pub early: i64,
    pub late: i64,
    /// One decimal; `null` when nothing was delivered.
    pub on_time_pct: Option<f64>,
    /// The agreement's on-time target; for wider rows the delivery-weighted
    /// mean of its agreements' targets (one decimal); `null` only for a
    /// period of a trend in which the group had no request at all.
    pub target_pct: Option<f64>,
    /// `on_time_pct ≥ target_pct` (compared exactly); `null` when nothing was delivered.
    pub meets_target: Option<bool>,
    /// Nearest-rank median of lateness, working minutes (negative = early).
    pub median_lateness_minutes: Option<i64>,
    /// Nearest-rank 90th percentile of lateness, working minutes.
    pub p90_lateness_minutes: Option<i64>,
    /// Requested before `to` and not delivered by it (not cancelled).
    pub open: i64,
    /// Open and due before min(`to`, now).
    pub overdue: i64,
    /// Mean rating (1–10) of the window's deliveries that were rated, two decimals.
    pub avg_rating: Option<f64>,
    /// How many of the window's deliveries were rated.
    pub rated: i64,
    /// The window's deliveries at each level of service (each delivery at
    /// the highest it reached; deliveries made before levels were kept have
    /// none): missed (late, or rated 4 or lower), satisfied (on time),
    /// exceeded (on time within half the agreed time), delighted (rated 9
    /// or 10), amazed (rated 10 and thanked).
    pub missed: i64,
    pub satisfied: i64,
    pub exceeded: i64,
    pub delighted: i64,
    pub amazed: i64,
    /// Each level's share of the deliveries that have a level, one
    /// decimal; `null` when none has.
    pub missed_pct: Option<f64>,
    pub satisfied_pct: Option<f64>,
    pub exceeded_pct: Option<f64>,
    pub delighted_pct: Option<f64>,
    pub amazed_pct: Option<f64>,
}

/// The grouping of a health report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Agreement,
    Provider,
    Customer,
    Pair,
}

impl GroupBy {
    pub const ALL: [GroupBy; 4] = [
        GroupBy::Agreement,
        GroupBy::Provider,
        GroupBy::Customer,
        GroupBy::Pair,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Agreement => "agreement",
            GroupBy::Provider => "provider",
            GroupBy::Customer => "customer",
            GroupBy::Pair => "pair",
        }
    }

    /// `group_by` from the query string; absent is `pair`.
    pub fn parse(text: Option<&str>) -> Result<GroupBy, ApiError> {
        match text {
            None => Ok(GroupBy::Pair),
            Some(text) => GroupBy::ALL
                .into_iter()
                .find(|group| group.as_str() == text)
                .ok_or_else(|| {
                    ApiError::field("group_by", "must be agreement, provider, customer or pair")
                }),
        }
    }

    fn key_of(self, parties: &queries::Parties) -> GroupKey {
        let mut key = GroupKey::default();
        match self {
            GroupBy::Agreement => key.agreement_id = Some(parties.agreement_id),
            GroupBy::Provider => key.provider_department_id = Some(parties.provider_department_id),
            GroupBy::Customer => key.customer_department_id = Some(parties.customer_department_id),
            GroupBy::Pair => {
                key.provider_department_id = Some(parties.provider_department_id);
                key.customer_department_id = Some(parties.customer_department_id);
            }
        }
        key
    }
}

/// A row's key: the members its grouping names (appendix A), the others left out.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema,
)]
pub struct GroupKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement_id: Option<AgreementId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_department_id: Option<DepartmentId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_department_id: Option<DepartmentId>,
}

/// The reporting window `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// A window; `from` must be before `to`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Window, ApiError> {
        if from >= to {
            return Err(ApiError::field("from", "must be earlier than to"));
        }
        Ok(Window { from, to })
    }
}

/// Who reads a report: their organisation and, for leads and staff, the
/// one department whose rows they may see.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub organisation_id: OrganisationId,
    pub department_id: Option<DepartmentId>,
}

impl Viewer {
    pub fn of(actor: &AuthUser) -> Viewer {
        Viewer {
            organisation_id: actor.organisation_id,
            // Leads read every row (SPEC §8: reports are "all" for leads);
            // staff read the rows that touch their department.
            department_id: match actor.role {
                Role::Admin | Role::Leader | Role::Lead => None,
                // A staff member without a department sees nothing:
                // -1 matches no department.
                Role::Staff => Some(actor.department_id.unwrap_or(DepartmentId(-1))),
            },
        }
    }

    /// Whether a row touching these departments is the viewer's to see.
    pub fn may_see(&self, departments: &[DepartmentId]) -> bool {
        self.department_id
            .is_none_or(|own| departments.contains(&own))
    }
}

/// A department as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DepartmentRef {
    pub id: DepartmentId,
    pub code: String,
    pub name: String,
}

/// Every department of the organisation, by id.
pub(crate) async fn departments(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
) -> Result<HashMap<DepartmentId, DepartmentRef>, ApiError> {
    let rows: Vec<(DepartmentId, String, String)> = department::Entity::find()
        .select_only()
        .column(department::Column::Id)
        .column(department::Column::Code)
        .column(department::Column::Name)
        .filter(department::Column::OrganisationId.eq(organisation_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, code, name)| (id, DepartmentRef { id, code, name }))
        .collect())
}

fn code_of(departments: &HashMap<DepartmentId, DepartmentRef>, id: DepartmentId) -> String {
    departments
        .get(&id)
        .map_or_else(|| format!("#{id}"), |department| department.code.clone())
}

/// The organisation's time zone, in which dates and ISO weeks are read.
pub(crate) async fn timezone_of(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
) -> Result<Tz, ApiError> {
    let row = organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    row.timezone
        .parse()
        .map_err(|_| ApiError::Internal(format!("organisation {organisation_id} time zone")))
}

/// Reads `from` and `to`: RFC 3339 instants, or dates (`2026-03-01`) meaning
/// midnight at the start of that day in the organisation's time zone.
/// Absent `to` is now; absent `from` is [`DEFAULT_WINDOW_DAYS`] before `to`.
pub async fn window(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Window, ApiError> {
    let needs_zone = [from, to]
        .into_iter()
        .flatten()
        .any(|text| DateTime::parse_from_rfc3339(text).is_err());
    let zone = if needs_zone {
        Some(timezone_of(db, viewer.organisation_id).await?)
    } else {
        None
    };
    let to = match to {
        Some(text) => instant("to", text, zone)?,
        None => now,
    };
    let from = match from {
        Some(text) => instant("from", text, zone)?,
        // `to` is in the supported range, which begins decades earlier.
        None => to
            .checked_sub_signed(Duration::days(DEFAULT_WINDOW_DAYS))
            .ok_or_else(|| ApiError::field("to", "lies too early for a default window"))?,
    };
    Window::new(from, to)
}

fn instant(field: &str, text: &str, zone: Option<Tz>) -> Result<DateTime<Utc>, ApiError> {
    if DateTime::parse_from_rfc3339(text).is_ok() {
        return crate::validate::query_instant(field, text);
    }
    let bad = || {
        ApiError::field(
            field,
            "must be an RFC 3339 instant or a date such as 2026-03-01",
        )
    };
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
    let zone = zone.ok_or_else(bad)?;
    crate::validate::instant(field, local_midnight(zone, date).ok_or_else(bad)?)
}

/// The first instant of `date` in `zone` (a midnight skipped by a
/// daylight-saving change moves to the first instant after the gap).
pub(crate) fn local_midnight(zone: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    let mut local = date.and_hms_opt(0, 0, 0)?;
    // A gap is at most a few hours; step forward by minutes until it ends.
    for _ in 0..(24 * 60) {
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            return Some(at.with_timezone(&Utc));
        }
        local = local.checked_add_signed(Duration::minutes(1))?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_local_midnights() {
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        let at = instant("from", "2026-03-02", Some(zone)).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-03-01T23:00:00+00:00");
        assert!(instant("from", "2026-02-30", Some(zone)).is_err());
        assert!(instant("from", "yesterday", Some(zone)).is_err());
        // Santiago skips midnight when summer time starts.
        let zone: Tz = "America/Santiago".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert_eq!(
            local_midnight(zone, date).unwrap().to_rfc3339(),
            "2026-09-06T04:00:00+00:00"
        );
    }

    #[test]
    fn group_by_is_checked() {
        assert_eq!(GroupBy::parse(None).unwrap(), GroupBy::Pair);
        assert_eq!(GroupBy::parse(Some("provider")).unwrap(), GroupBy::Provider);
        assert!(GroupBy::parse(Some("team")).is_err());
    }
}
