//! The two grouped queries every report is built from, and their exact
//! roll-up into figures.
//!
//! - **Deliveries**: requests finally delivered (status `delivered` or
//!   `accepted`) with `delivered_at` in the window, per agreement: counts,
//!   on-time and rating sums, and the histogram of lateness values (how
//!   many deliveries had each value). Medians and percentiles come out of
//!   the histogram exactly, without fetching one row per request: its size
//!   is bounded by the distinct lateness values, not by the deliveries.
//! - **Open**: requests not cancelled, requested before a measuring point
//!   and not delivered by it, with those due before min(point, now) counted
//!   as overdue (two queries: never delivered, and delivered at or after
//!   the first point).
//!
//! A report over several periods (the weekly trend) measures at several
//! points `t_1 < … < t_k` in one pass each: the database labels every row
//! with `CASE` buckets (how many points lie at or before its delivery,
//! request and due times), so one grouped query answers for every period.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryResult,
    QuerySelect, QueryTrait,
};

use crate::entities::ids::{AgreementId, DepartmentId, OrganisationId};
use crate::entities::request;
use crate::error::ApiError;
use crate::services::requests::RequestStatus;

use super::tally::{LEVELS, Tally};

/// Which requests a report reads, beyond its organisation and window.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RequestScope {
    pub agreement_id: Option<AgreementId>,
    pub provider_department_id: Option<DepartmentId>,
    pub customer_department_id: Option<DepartmentId>,
    /// Only requests where this department is provider or customer.
    pub touching_department_id: Option<DepartmentId>,
}

impl RequestScope {
    fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(id) = self.agreement_id {
            condition = condition.add(request::Column::AgreementId.eq(id));
        }
        if let Some(id) = self.provider_department_id {
            condition = condition.add(request::Column::ProviderDepartmentId.eq(id));
        }
        if let Some(id) = self.customer_department_id {
            condition = condition.add(request::Column::CustomerDepartmentId.eq(id));
        }
        if let Some(id) = self.touching_department_id {
            condition = condition.add(
                Condition::any()
                    .add(request::Column::ProviderDepartmentId.eq(id))
                    .add(request::Column::CustomerDepartmentId.eq(id)),
            );
        }
        condition
    }
}

/// An agreement and its two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Parties {
    pub agreement_id: AgreementId,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
}

/// What the roll-ups need to know of an agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AgreementInfo {
    pub parties: Parties,
    pub target_pct: i64,
    pub title: String,
}

/// Tallies by agreement id and period index (0 for single-period
/// reports), with the agreements they name.
#[derive(Debug, Default)]
pub(super) struct Tallies {
    pub by: BTreeMap<(AgreementId, usize), Tally>,
    pub agreements: HashMap<AgreementId, AgreementInfo>,
}

impl Tallies {
    /// The tallies with their agreement, in agreement id order.
    pub fn with_agreements(&self) -> impl Iterator<Item = (&AgreementInfo, usize, &Tally)> {
        self.by
            .iter()
            .filter_map(|((agreement_id, period), tally)| {
                self.agreements
                    .get(agreement_id)
                    .map(|info| (info, *period, tally))
            })
    }
}

/// The periods of a report: `[from, ends[0])`, `[ends[0], ends[1])`, …
/// Open and overdue are measured at the end of each period.
#[derive(Debug, Clone)]
pub(super) struct Periods {
    pub from: DateTime<Utc>,
    /// Ascending period ends; the last is the window's `to`.
    pub ends: Vec<DateTime<Utc>>,
}

/// Runs the grouped queries for the organisation and scope.
pub(super) async fn tally(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    scope: RequestScope,
    periods: &Periods,
    now: DateTime<Utc>,
) -> Result<Tallies, ApiError> {
    let mut tallies = Tallies::default();
    if periods.ends.is_empty() {
        return Ok(tallies);
    }
    deliveries(db, organisation_id, scope, periods, &mut tallies).await?;
    for undelivered in [true, false] {
        open(
            db,
            organisation_id,
            scope,
            periods,
            now,
            undelivered,
            &mut tallies,
        )
        .await?;
    }
    tallies.agreements =
        agreements(db, organisation_id, tallies.by.keys().map(|(id, _)| *id)).await?;
    Ok(tallies)
}

/// `CASE WHEN column < p₁ THEN 0 WHEN column < p₂ THEN 1 … ELSE n END`:
/// how many of the ascending `points` lie at or before the value (a NULL
/// value counts as after every point).
fn bucket(column: request::Column, points: &[DateTime<Utc>]) -> SimpleExpr {
    let mut case = Expr::case(column.is_null(), points.len() as i64);
    for (index, point) in points.iter().enumerate() {
        case = case.case(column.lt(*point), index as i64);
    }
    case.finally(points.len() as i64).into()
}

const BUCKET: &str = "period_bucket";
const DUE_BUCKET: &str = "due_bucket";
const REQUESTED_BUCKET: &str = "requested_bucket";
const DELIVERED_BUCKET: &str = "delivered_bucket";

fn bucket_of(row: &QueryResult, name: &str) -> Result<usize, sea_orm::DbErr> {
    let value: i64 = row.try_get("", name)?;
    Ok(usize::try_from(value).unwrap_or(0))
}

/// Deliveries in two grouped levels: per agreement (and period) and
/// lateness value first — streamed in the order of the report index — then
/// per agreement, with the counts summed and the `(lateness, count)` pairs
/// packed into one text, so that a year of deliveries comes back as one
/// row per agreement however many distinct lateness values it has.
async fn deliveries(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    scope: RequestScope,
    periods: &Periods,
    tallies: &mut Tallies,
) -> Result<(), ApiError> {
    let finished = [RequestStatus::Delivered, RequestStatus::Accepted];
    let to = periods.ends[periods.ends.len() - 1];
    // Period starts after the first: delivered before the first of them is
    // period 0, and so on.
    let inner_points = &periods.ends[..periods.ends.len() - 1];
    let mut histogram = request::Entity::find()
        .select_only()
        .column(request::Column::AgreementId)
        .column_as(request::Column::LatenessMinutes, "minutes")
        .column_as(Expr::cust("COUNT(*)"), "deliveries")
        .column_as(
            Expr::cust("SUM(CASE WHEN on_time THEN 1 ELSE 0 END)"),
            "on_time_count",
        )
        .column_as(Expr::cust("COUNT(rating_score)"), "rated")
        .column_as(Expr::cust("SUM(rating_score)"), "rating_sum")
        .filter(request::Column::OrganisationId.eq(organisation_id))
        .filter(delivered_between(
            db.get_database_backend(),
            periods.from,
            to,
        ))
        .filter(request::Column::Status.is_in(finished))
        // Always set on a final delivery; a row without either would be
        // counted without a lateness, so it is left out.
        .filter(request::Column::LatenessMinutes.is_not_null())
        .filter(request::Column::OnTime.is_not_null())
        .filter(scope.condition())
        .group_by(request::Column::AgreementId);
    if !inner_points.is_empty() {
        histogram = histogram
            .column_as(bucket(request::Column::DeliveredAt, inner_points), BUCKET)
            .group_by(Expr::cust(BUCKET));
    }
    for level in LEVELS {
        histogram = histogram.column_as(
            Expr::cust(format!(
                "SUM(CASE WHEN service_level = '{}' THEN 1 ELSE 0 END)",
                level.as_str()
            )),
            level.as_str(),
        );
    }
    let histogram = histogram
        .group_by(request::Column::LatenessMinutes)
        .into_query();

    let pairs = match db.get_database_backend() {
        DbBackend::Postgres => "string_agg",
        _ => "group_concat",
    };
    // PostgreSQL sums bigints as numeric: cast back.
    let sum = |column: &str| Expr::cust(format!("CAST(SUM({column}) AS BIGINT)"));
    let mut query = sea_orm::sea_query::Query::select();
    query
        .column(Alias::new("agreement_id"))
        .expr_as(sum("deliveries"), Alias::new("deliveries"))
        .expr_as(sum("on_time_count"), Alias::new("on_time_count"))
        .expr_as(sum("rated"), Alias::new("rated"))
        .expr_as(sum("rating_sum"), Alias::new("rating_sum"))
        .expr_as(sum("missed"), Alias::new("missed"))
        .expr_as(sum("satisfied"), Alias::new("satisfied"))
        .expr_as(sum("exceeded"), Alias::new("exceeded"))
        .expr_as(sum("delighted"), Alias::new("delighted"))
        .expr_as(sum("amazed"), Alias::new("amazed"))
        .expr_as(
            Expr::cust(format!(
                "{pairs}(CAST(minutes AS TEXT) || ':' || CAST(deliveries AS TEXT), ',')"
            )),
            Alias::new("histogram"),
        )
        .from_subquery(histogram, Alias::new("by_lateness"))
        .group_by_col(Alias::new("agreement_id"));
    if !inner_points.is_empty() {
        query
            .column(Alias::new(BUCKET))
            .group_by_col(Alias::new(BUCKET));
    }
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&query)).await?;
    for row in rows {
        let agreement_id: AgreementId = row.try_get("", "agreement_id")?;
        let period = if inner_points.is_empty() {
            0
        } else {
            bucket_of(&row, BUCKET)?
        };
        let tally = tallies.by.entry((agreement_id, period)).or_default();
        tally.delivered += row.try_get::<Option<i64>>("", "deliveries")?.unwrap_or(0);
        tally.on_time += row
            .try_get::<Option<i64>>("", "on_time_count")?
            .unwrap_or(0);
        tally.rated += row.try_get::<Option<i64>>("", "rated")?.unwrap_or(0);
        tally.rating_sum += row.try_get::<Option<i64>>("", "rating_sum")?.unwrap_or(0);
        for (count, level) in tally.levels.iter_mut().zip(LEVELS) {
            *count += row.try_get::<Option<i64>>("", level.as_str())?.unwrap_or(0);
        }
        let packed: Option<String> = row.try_get("", "histogram")?;
        for (minutes, count) in unpack(packed.as_deref().unwrap_or_default())? {
            if minutes < 0 {
                tally.early += count;
            }
            *tally.lateness.entry(minutes).or_default() += count;
        }
    }
    Ok(())
}

/// `from ≤ delivered_at < to`. On SQLite the column is written `+delivered_at`,
/// SQLite's documented way of keeping a term from choosing the index: without
/// statistics its planner would otherwise read the window through the
/// delivery-time index and sort every row for the grouping, several times
/// slower than streaming the groups out of the grouped report index (which
/// checks the window inside the index). PostgreSQL has statistics and
/// chooses for itself.
fn delivered_between(backend: DbBackend, from: DateTime<Utc>, to: DateTime<Utc>) -> Condition {
    match backend {
        DbBackend::Sqlite => Condition::all()
            .add(Expr::cust_with_values("+delivered_at >= ?", [from]))
            .add(Expr::cust_with_values("+delivered_at < ?", [to])),
        _ => Condition::all()
            .add(request::Column::DeliveredAt.gte(from))
            .add(request::Column::DeliveredAt.lt(to)),
    }
}

/// `"-60:2,0:5"` → `[(-60, 2), (0, 5)]`.
fn unpack(packed: &str) -> Result<Vec<(i64, i64)>, ApiError> {
    packed
        .split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let parsed = pair
                .split_once(':')
                .and_then(|(minutes, count)| Some((minutes.parse().ok()?, count.parse().ok()?)));
            parsed.ok_or_else(|| ApiError::Internal(format!("lateness histogram entry {pair:?}")))
        })
        .collect()
}

/// Open requests at the period ends: those never delivered
/// (`undelivered`), or those delivered at or after the first end. Two
/// queries rather than one with `OR`, so that each reads one range of the
/// report index by delivery time.
async fn open(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    scope: RequestScope,
    periods: &Periods,
    now: DateTime<Utc>,
    undelivered: bool,
    tallies: &mut Tallies,
) -> Result<(), ApiError> {
    let ends = &periods.ends;
    let (first, last) = (ends[0], ends[ends.len() - 1]);
    // Overdue at the end of period i: due before min(end, now).
    let cutoffs: Vec<DateTime<Utc>> = ends.iter().map(|end| (*end).min(now)).collect();
    let several = ends.len() > 1;
    let mut query = request::Entity::find()
        .select_only()
        .column(request::Column::AgreementId)
        .column_as(bucket(request::Column::DueAt, &cutoffs), DUE_BUCKET)
        .column_as(Expr::cust("COUNT(*)"), "requests")
        .filter(request::Column::OrganisationId.eq(organisation_id))
        .filter(if undelivered {
            request::Column::DeliveredAt.is_null()
        } else {
            request::Column::DeliveredAt.gte(first)
        })
        .filter(request::Column::Status.ne(RequestStatus::Cancelled))
        .filter(request::Column::RequestedAt.lt(last))
        .filter(scope.condition())
        .group_by(request::Column::AgreementId)
        .group_by(Expr::cust(DUE_BUCKET));
    if several {
        query = query
            .column_as(bucket(request::Column::RequestedAt, ends), REQUESTED_BUCKET)
            .column_as(bucket(request::Column::DeliveredAt, ends), DELIVERED_BUCKET)
            .group_by(Expr::cust(REQUESTED_BUCKET))
            .group_by(Expr::cust(DELIVERED_BUCKET));
    }
    let rows = db
        .query_all_raw(query.build(db.get_database_backend()))
        .await?;
    for row in rows {
        let agreement_id: AgreementId = row.try_get("", "agreement_id")?;
        let count: i64 = row.try_get("", "requests")?;
        // Bucket b means b points lie at or before the value; the period
        // ending at point i (0-based) sees the request open when it was
        // requested before that point (b_req ≤ i) and not delivered by it
        // (b_del > i), and overdue when due before its cutoff (b_due ≤ i).
        let due = bucket_of(&row, DUE_BUCKET)?;
        let (requested, delivered) = if several {
            (
                bucket_of(&row, REQUESTED_BUCKET)?,
                bucket_of(&row, DELIVERED_BUCKET)?,
            )
        } else {
            (0, 1)
        };
        for period in requested..delivered.min(ends.len()) {
            let tally = tallies.by.entry((agreement_id, period)).or_default();
            tally.open += count;
            if due <= period {
                tally.overdue += count;
            }
        }
    }
    Ok(())
}

/// Sides, target and title of each agreement id given.
async fn agreements(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    agreement_ids: impl IntoIterator<Item = AgreementId>,
) -> Result<HashMap<AgreementId, AgreementInfo>, ApiError> {
    use crate::entities::agreement;
    let mut ids: Vec<AgreementId> = agreement_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(AgreementId, DepartmentId, DepartmentId, i32, String)> =
            agreement::Entity::find()
                .select_only()
                .column(agreement::Column::Id)
                .column(agreement::Column::ProviderDepartmentId)
                .column(agreement::Column::CustomerDepartmentId)
                .column(agreement::Column::OnTimeTargetPct)
                .column(agreement::Column::Title)
                .filter(agreement::Column::OrganisationId.eq(organisation_id))
                .filter(agreement::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
        out.extend(rows.into_iter().map(
            |(agreement_id, provider_department_id, customer_department_id, target, title)| {
                let info = AgreementInfo {
                    parties: Parties {
                        agreement_id,
                        provider_department_id,
                        customer_department_id,
                    },
                    target_pct: i64::from(target),
                    title,
                };
                (agreement_id, info)
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_unpack() {
        assert_eq!(unpack("-60:2,0:5").unwrap(), [(-60, 2), (0, 5)]);
        assert_eq!(unpack("").unwrap(), []);
        assert!(unpack("1:x").is_err());
    }
}
