//! `GET /reports/trend`: the health figures of one group (an agreement, a
//! provider, a customer or a pair) for every ISO week of a window, weeks
//! starting Monday 00:00 in the organisation's time zone. The first and
//! last weeks are cut to the window; open and overdue are measured at the
//! end of each (cut) week.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::queries::{self, Periods, RequestScope};
use super::tally::{RollUp, Tally};
use super::{
    Figures, GroupBy, GroupKey, Viewer, Window, code_of, departments, local_midnight, timezone_of,
};
use crate::entities::agreement;
use crate::entities::ids::{AgreementId, DepartmentId};
use crate::error::ApiError;

/// The most weeks one trend may span (three years).
pub const MAX_WEEKS: usize = 156;

/// One week of a trend.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendWeek {
    /// ISO week, `2026-W10`.
    pub week: String,
    /// The part of the week inside the window, `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendReport {
    pub window: Window,
    /// `agreement | provider | customer | pair`
    pub group_by: String,
    pub key: GroupKey,
    pub label: String,
    /// The figures over the whole window, as the health report gives them.
    pub total: Figures,
    /// Every week of the window, oldest first.
    pub weeks: Vec<TrendWeek>,
}

/// One ISO week of a window, cut to the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsoWeek {
    /// `2026-W10`
    pub label: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The ISO weeks of a window in `zone`, cut to the window.
pub fn iso_weeks(window: Window, zone: Tz) -> Result<Vec<IsoWeek>, ApiError> {
    let mut weeks = Vec::new();
    let first_day = window.from.with_timezone(&zone).date_naive();
    let out_of_range =
        || ApiError::field("from", "the window's weeks fall outside supported dates");
    let mut monday = first_day
        .checked_sub_signed(Duration::days(i64::from(
            first_day.weekday().num_days_from_monday(),
        )))
        .ok_or_else(out_of_range)?;
    let mut start = window.from;
    while start < window.to {
        if weeks.len() >= MAX_WEEKS {
            return Err(ApiError::field(
                "to",
                format!("a trend spans at most {MAX_WEEKS} weeks"),
            ));
        }
        let next_monday = monday
            .checked_add_signed(Duration::days(7))
            .ok_or_else(out_of_range)?;
        let end = local_midnight(zone, next_monday)
            .ok_or_else(|| ApiError::Internal(format!("no midnight on {next_monday}")))?
            .min(window.to);
        let iso = monday.iso_week();
        weeks.push(IsoWeek {
            label: format!("{}-W{:02}", iso.year(), iso.week()),
            from: start,
            to: end,
        });
        start = end;
        monday = next_monday;
    }
    Ok(weeks)
}

/// Checks that the group exists in the organisation and that the viewer
/// may see it; returns the requests it is made of and its label.
async fn resolve(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    group_by: GroupBy,
    key: GroupKey,
) -> Result<(RequestScope, String, Option<i64>), ApiError> {
    let all = departments(db, viewer.organisation_id).await?;
    let department = |field: &str, id: Option<DepartmentId>| -> Result<DepartmentId, ApiError> {
        let id = id.ok_or_else(|| {
            ApiError::field(
                field,
                format!("is required with group_by={}", group_by.as_str()),
            )
        })?;
        if all.contains_key(&id) {
            Ok(id)
        } else {
            Err(ApiError::field(field, "no such department"))
        }
    };
    let unused = |field: &str, value: Option<i64>| -> Result<(), ApiError> {
        match value {
            Some(_) => Err(ApiError::field(
                field,
                format!("is not used with group_by={}", group_by.as_str()),
            )),
            None => Ok(()),
        }
    };
    let mut scope = RequestScope::default();
    let (label, seen, target) = match group_by {
        GroupBy::Agreement => {
            unused("provider", key.provider_department_id.map(i64::from))?;
            unused("customer", key.customer_department_id.map(i64::from))?;
            let id = key.agreement_id.ok_or_else(|| {
                ApiError::field("agreement", "is required with group_by=agreement")
            })?;
            let row = agreement::Entity::find_by_id(id)
                .filter(agreement::Column::OrganisationId.eq(viewer.organisation_id))
                .one(db)
                .await?
                .ok_or_else(|| ApiError::field("agreement", "no such agreement"))?;
            scope.agreement_id = Some(id);
            (
                format!(
                    "{} → {}: {}",
                    code_of(&all, row.provider_department_id),
                    code_of(&all, row.customer_department_id),
                    row.title
                ),
                vec![row.provider_department_id, row.customer_department_id],
                Some(i64::from(row.on_time_target_pct)),
            )
        }
        GroupBy::Provider => {
            unused("agreement", key.agreement_id.map(i64::from))?;
            unused("customer", key.customer_department_id.map(i64::from))?;
            let id = department("provider", key.provider_department_id)?;
            scope.provider_department_id = Some(id);
            (code_of(&all, id), vec![id], None)
        }
        GroupBy::Customer => {
            unused("agreement", key.agreement_id.map(i64::from))?;
            unused("provider", key.provider_department_id.map(i64::from))?;
            let id = department("customer", key.customer_department_id)?;
            scope.customer_department_id = Some(id);
            (code_of(&all, id), vec![id], None)
        }
        GroupBy::Pair => {
            unused("agreement", key.agreement_id.map(i64::from))?;
            let provider = department("provider", key.provider_department_id)?;
            let customer = department("customer", key.customer_department_id)?;
            scope.provider_department_id = Some(provider);
            scope.customer_department_id = Some(customer);
            (
                format!("{} → {}", code_of(&all, provider), code_of(&all, customer)),
                vec![provider, customer],
                None,
            )
        }
    };
    if !viewer.may_see(&seen) {
        return Err(ApiError::Forbidden(
            "leads and staff see only their own department's reports".into(),
        ));
    }
    Ok((scope, label, target))
}

/// The weekly trend of one group.
#[tracing::instrument(skip(db))]
pub async fn trend(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    window: Window,
    group_by: GroupBy,
    key: GroupKey,
    now: DateTime<Utc>,
) -> Result<TrendReport, ApiError> {
    let (scope, label, agreement_target) = resolve(db, viewer, group_by, key).await?;
    let zone = timezone_of(db, viewer.organisation_id).await?;
    let weeks = iso_weeks(window, zone)?;
    let periods = Periods {
        from: window.from,
        ends: weeks.iter().map(|week| week.to).collect(),
    };
    let tallies = queries::tally(db, viewer.organisation_id, scope, &periods, now).await?;
    let target_of = |agreement_id: AgreementId| {
        tallies
            .agreements
            .get(&agreement_id)
            .map_or(0, |info| info.target_pct)
    };

    let mut by_week: Vec<RollUp> = vec![RollUp::default(); weeks.len()];
    // Deliveries add up over weeks; open and overdue are states at the end
    // of the window, so the total takes them from the last week.
    let mut by_agreement: BTreeMap<AgreementId, Tally> = BTreeMap::new();
    for (info, period, tally) in tallies.with_agreements() {
        let agreement_id = info.parties.agreement_id;
        if let Some(week) = by_week.get_mut(period) {
            week.add(tally, info.target_pct);
        }
        let mut counted = tally.clone();
        if period + 1 != weeks.len() {
            counted.open = 0;
            counted.overdue = 0;
        }
        by_agreement
            .entry(agreement_id)
            .or_default()
            .absorb(&counted);
    }
    let mut total = RollUp::default();
    for (agreement_id, tally) in &by_agreement {
        total.add(tally, target_of(*agreement_id));
    }
    let total_figures = total.figures(agreement_target.map(|t| t as f64));
    // Empty weeks show the target of the whole window.
    let fallback = total_figures.target_pct;
    Ok(TrendReport {
        window,
        group_by: group_by.as_str().into(),
        key,
        label,
        total: total_figures,
        weeks: weeks
            .into_iter()
            .zip(by_week)
            .map(|(week, roll)| {
                let mut figures = roll.figures(fallback);
                // A week without deliveries has no target of its own: show
                // the window's, so the target line stays put.
                if figures.delivered == 0 {
                    figures.target_pct = fallback;
                }
                TrendWeek {
                    week: week.label,
                    from: week.from,
                    to: week.to,
                    figures,
                }
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn weeks_start_on_local_mondays_and_are_cut_to_the_window() {
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        let window = Window::new(at("2026-03-04T12:00:00Z"), at("2026-03-31T00:00:00Z")).unwrap();
        let weeks = iso_weeks(window, zone).unwrap();
        let labels: Vec<&str> = weeks.iter().map(|week| week.label.as_str()).collect();
        assert_eq!(
            labels,
            ["2026-W10", "2026-W11", "2026-W12", "2026-W13", "2026-W14"]
        );
        assert_eq!(weeks[0].from, window.from);
        assert_eq!(weeks[0].to, at("2026-03-08T23:00:00Z"));
        // Summer time starts on 29 March: that Monday's midnight is UTC+2.
        assert_eq!(weeks[3].to, at("2026-03-29T22:00:00Z"));
        assert_eq!(weeks[4].to, window.to);
    }

    #[test]
    fn a_trend_is_bounded() {
        let zone: Tz = "UTC".parse().unwrap();
        let window = Window::new(at("2020-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z")).unwrap();
        assert!(iso_weeks(window, zone).is_err());
    }
}
