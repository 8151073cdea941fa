//! The daily contact plan: "pick up the phone and call one customer each
//! day". Each working day of a providing department (its calendar, its
//! local date) its lead is offered one internal customer to contact,
//! records the contact and what was said, or skips the day; skipped days
//! are counted beside contacted ones.
//!
//! Whom it is offered, exactly: among the customer departments of its
//! active agreements, those not contacted in the last [`RESTING_DAYS`]
//! days; of these, the one with the lowest average pulse score in the last
//! [`SCORE_DAYS`] days; when none of them has a score, the one contacted
//! longest ago (never contacted first); ties by name. When every customer
//! was contacted lately, the one contacted longest ago.
//!
//! One record per department and day (a unique index), so two tabs or two
//! instances cannot record the day twice.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::entities::agreement::AgreementStatus;
use crate::entities::contact::{self, ContactOutcome};
use crate::entities::ids::DepartmentId;
use crate::entities::{agreement, department, pulse, pulse_answer};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::services::calendars::{CalendarCache, for_department};
use crate::validate::Checker;

/// A customer contacted within this many days rests.
pub const RESTING_DAYS: i64 = 14;
/// Pulse answers of this many days make a customer's recent score.
pub const SCORE_DAYS: i64 = 90;
/// How far back the plan counts contacted and skipped days.
pub const COUNT_DAYS: i64 = 30;

/// The customer offered today, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub customer_department_id: DepartmentId,
    /// Mean pulse score of the last [`SCORE_DAYS`] days, two decimals.
    pub recent_score: Option<f64>,
    pub last_contact: Option<NaiveDate>,
    /// Why this one, in a sentence.
    pub reason: String,
}

/// Today's plan of one providing department.
#[derive(Debug, Clone)]
pub struct Plan {
    pub day: NaiveDate,
    pub working_day: bool,
    pub suggestion: Option<Suggestion>,
    /// What was recorded today, if anything.
    pub today: Option<contact::Model>,
    pub contacted: u64,
    pub skipped: u64,
}

/// One customer as the rule weighs it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: DepartmentId,
    pub name: String,
    pub recent_score: Option<f64>,
    pub last_contact: Option<NaiveDate>,
}

/// The rule of the module's note, pure.
pub fn choose(candidates: &[Candidate], today: NaiveDate) -> Option<Suggestion> {
    let rested = |c: &&Candidate| {
        c.last_contact
            .is_none_or(|day| (today - day).num_days() >= RESTING_DAYS)
    };
    let by_name = |a: &&Candidate, b: &&Candidate| a.name.cmp(&b.name);
    let longest_ago = |a: &&Candidate, b: &&Candidate| {
        // None (never) first, then the earliest day.
        a.last_contact.cmp(&b.last_contact).then(by_name(a, b))
    };
    let resting: Vec<&Candidate> = candidates.iter().filter(rested).collect();
    let lowest = resting
        .iter()
        .filter(|c| c.recent_score.is_some())
        .min_by(|a, b| {
            a.recent_score
                .partial_cmp(&b.recent_score)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(by_name(a, b))
        });
    let (chosen, reason) = match lowest {
        Some(c) => (
            *c,
            format!(
                "the lowest recent pulse score of your customers: {} out of 10",
                c.recent_score.unwrap_or_default()
            ),
        ),
        None => {
            let pool = if resting.is_empty() {
                candidates.iter().collect()
            } else {
                resting
            };
            let c = pool.into_iter().min_by(longest_ago)?;
            let reason = match c.last_contact {
                None => "not contacted yet".to_owned(),
                Some(day) => format!("contacted longest ago, on {day}"),
            };
            (c, reason)
        }
    };
    Some(Suggestion {
        customer_department_id: chosen.id,
        recent_score: chosen.recent_score,
        last_contact: chosen.last_contact,
        reason,
    })
}

fn leads(actor: &AuthUser, provider: DepartmentId) -> bool {
    actor.role == Role::Admin || (actor.role == Role::Lead && actor.department_id == Some(provider))
}

/// The provider's local day at `now`, and whether it has working time.
async fn day_of(
    db: &impl ConnectionTrait,
    calendars: &CalendarCache,
    actor: &AuthUser,
    provider: DepartmentId,
    now: DateTime<Utc>,
) -> Result<(NaiveDate, bool), ApiError> {
    let calendar = for_department(db, calendars, actor.organisation_id, provider).await?;
    let zone = calendar.timezone();
    let day = now.with_timezone(&zone).date_naive();
    let midnight = |date: NaiveDate| {
        zone.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    };
    let working = match (midnight(day), day.succ_opt().and_then(midnight)) {
        (Some(start), Some(end)) => {
            calendar
                .working_seconds(start, end)
                .map_err(|error| ApiError::Internal(format!("contact day: {error}")))?
                > 0
        }
        _ => false,
    };
    Ok((day, working))
}

/// Today's plan of `provider` (its lead, or an admin).
pub async fn plan(
    db: &impl ConnectionTrait,
    calendars: &CalendarCache,
    actor: &AuthUser,
    provider: DepartmentId,
    now: DateTime<Utc>,
) -> Result<Plan, ApiError> {
    if !leads(actor, provider) {
        return Err(ApiError::Forbidden(
            "the daily contact plan is the providing department's lead's".into(),
        ));
    }
    let (day, working_day) = day_of(db, calendars, actor, provider, now).await?;
    let history = contact::Entity::find()
        .filter(contact::Column::OrganisationId.eq(actor.organisation_id))
        .filter(contact::Column::ProviderDepartmentId.eq(provider))
        .order_by_desc(contact::Column::Day)
        .all(db)
        .await?;
    let today = history.iter().find(|c| c.day == day).cloned();
    let since = day - Duration::days(COUNT_DAYS);
    let recent = history.iter().filter(|c| c.day > since);
    let contacted = recent
        .clone()
        .filter(|c| c.outcome == ContactOutcome::Contacted)
        .count() as u64;
    let skipped = recent
        .filter(|c| c.outcome == ContactOutcome::Skipped)
        .count() as u64;

    let customers: Vec<DepartmentId> = agreement::Entity::find()
        .filter(agreement::Column::OrganisationId.eq(actor.organisation_id))
        .filter(agreement::Column::ProviderDepartmentId.eq(provider))
        .filter(agreement::Column::Status.eq(AgreementStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.customer_department_id)
        .collect();
    let names: HashMap<DepartmentId, String> = department::Entity::find()
        .filter(department::Column::OrganisationId.eq(actor.organisation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect();
    let pulses = pulse::Entity::find()
        .filter(pulse::Column::OrganisationId.eq(actor.organisation_id))
        .filter(pulse::Column::ProviderDepartmentId.eq(provider))
        .filter(pulse::Column::OpenedAt.gte(now - Duration::days(SCORE_DAYS)))
        .all(db)
        .await?;
    let customer_of: HashMap<i64, DepartmentId> = pulses
        .iter()
        .map(|p| (p.id, p.customer_department_id))
        .collect();
    let mut scores: HashMap<DepartmentId, (i64, i64)> = HashMap::new();
    if !customer_of.is_empty() {
        for answer in pulse_answer::Entity::find()
            .filter(pulse_answer::Column::PulseId.is_in(customer_of.keys().copied()))
            .all(db)
            .await?
        {
            if let Some(customer) = customer_of.get(&answer.pulse_id) {
                let entry = scores.entry(*customer).or_default();
                entry.0 += i64::from(answer.score);
                entry.1 += 1;
            }
        }
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    for id in customers {
        if candidates.iter().any(|c| c.id == id) {
            continue;
        }
        candidates.push(Candidate {
            id,
            name: names.get(&id).cloned().unwrap_or_default(),
            recent_score: scores.get(&id).and_then(|(sum, n)| {
                crate::services::stats::mean_score(*sum, usize::try_from(*n).unwrap_or(0))
            }),
            last_contact: history
                .iter()
                .filter(|c| {
                    c.outcome == ContactOutcome::Contacted && c.customer_department_id == Some(id)
                })
                .map(|c| c.day)
                .max(),
        });
    }
    let suggestion = if working_day {
        choose(&candidates, day)
    } else {
        None
    };
    Ok(Plan {
        day,
        working_day,
        suggestion,
        today,
        contacted,
        skipped,
    })
}

/// Records today's contact of `provider` with `customer` and what was said,
/// or (`customer` none) that the day was skipped.
pub async fn record(
    db: &DatabaseConnection,
    calendars: &CalendarCache,
    actor: &AuthUser,
    provider: DepartmentId,
    customer: Option<DepartmentId>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<contact::Model, ApiError> {
    let current = plan(db, calendars, actor, provider, now).await?;
    let mut check = Checker::new();
    let note = check.text("note", note.trim(), 4000);
    if let Some(customer) = customer {
        if note.is_empty() {
            check.add("note", "must say what was said");
        }
        let serves = agreement::Entity::find()
            .filter(agreement::Column::OrganisationId.eq(actor.organisation_id))
            .filter(agreement::Column::ProviderDepartmentId.eq(provider))
            .filter(agreement::Column::CustomerDepartmentId.eq(customer))
            .filter(agreement::Column::Status.eq(AgreementStatus::Active))
            .one(db)
            .await?;
        if serves.is_none() {
            check.add(
                "customer_department_id",
                "must be a customer of an active agreement of this department",
            );
        }
    }
    check.finish()?;
    if !current.working_day {
        return Err(ApiError::Conflict(
            "today is not a working day of this department".into(),
        ));
    }
    if current.today.is_some() {
        return Err(ApiError::Conflict(
            "today's contact is recorded already".into(),
        ));
    }
    let (outcome, whom) = match customer {
        Some(customer) => (ContactOutcome::Contacted, Some(customer)),
        None => (
            ContactOutcome::Skipped,
            current.suggestion.map(|s| s.customer_department_id),
        ),
    };
    contact::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        provider_department_id: Set(provider),
        customer_department_id: Set(whom),
        user_id: Set(actor.id),
        day: Set(current.day),
        outcome: Set(outcome),
        note: Set(note),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|error| match ApiError::from(error) {
        ApiError::Conflict(_) => ApiError::Conflict("today's contact is recorded already".into()),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn candidate(id: i64, name: &str, score: Option<f64>, last: Option<&str>) -> Candidate {
        Candidate {
            id: DepartmentId(id),
            name: name.into(),
            recent_score: score,
            last_contact: last.map(day),
        }
    }

    #[test]
    fn the_lowest_recent_score_among_the_rested_customers_is_offered() {
        let today = day("2026-12-07");
        let offered = choose(
            &[
                candidate(1, "Sales", Some(6.5), None),
                candidate(2, "IT", Some(4.0), Some("2026-12-01")),
                candidate(3, "HR", Some(5.0), Some("2026-11-01")),
            ],
            today,
        )
        .unwrap();
        // IT scores lowest but was called six days ago: it rests.
        assert_eq!(offered.customer_department_id, DepartmentId(3));
        assert!(offered.reason.contains("5 out of 10"), "{}", offered.reason);
    }

    #[test]
    fn without_scores_the_customer_contacted_longest_ago_comes_first_and_never_before_that() {
        let today = day("2026-12-07");
        let offered = choose(
            &[
                candidate(1, "Sales", None, Some("2026-10-01")),
                candidate(2, "IT", None, None),
            ],
            today,
        )
        .unwrap();
        assert_eq!(offered.customer_department_id, DepartmentId(2));
        assert_eq!(offered.reason, "not contacted yet");
        let offered = choose(
            &[
                candidate(1, "Sales", None, Some("2026-10-01")),
                candidate(2, "IT", None, Some("2026-11-01")),
            ],
            today,
        )
        .unwrap();
        assert_eq!(offered.customer_department_id, DepartmentId(1));
    }

    #[test]
    fn when_every_customer_rests_the_one_contacted_longest_ago_is_offered() {
        let today = day("2026-12-07");
        let offered = choose(
            &[
                candidate(1, "Sales", Some(3.0), Some("2026-12-04")),
                candidate(2, "IT", Some(9.0), Some("2026-12-02")),
            ],
            today,
        )
        .unwrap();
        assert_eq!(offered.customer_department_id, DepartmentId(2));
        assert!(choose(&[], today).is_none());
    }
}
