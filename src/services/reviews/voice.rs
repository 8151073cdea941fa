//! The voice of the internal customer on a review's agenda: between the two
//! departments of the review, in either direction, what the pulse checks
//! opened in the agenda's window said (scores, the one things, the answers
//! back), the thanks given in it, and the providers' daily contacts. Read by department: the agenda is
//! shared by both sides, so no answer carries a name here.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::entities::contact::{self, ContactOutcome};
use crate::entities::ids::{AgreementId, DepartmentId, OrganisationId, RequestId};
use crate::entities::{pulse, pulse_answer, thanks};
use crate::error::ApiError;

/// One pulse of the pair, as the agenda shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgendaPulse {
    pub pulse_id: i64,
    pub agreement_id: AgreementId,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub opened_at: DateTime<Utc>,
    pub answers: usize,
    /// Mean score, two decimals.
    pub average_score: Option<f64>,
    /// The one things said (the empty ones left out).
    pub one_things: Vec<String>,
    /// The provider's answer back.
    pub response: Option<String>,
}

/// One thanks between the pair.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgendaThanks {
    pub request_id: RequestId,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub note: String,
    pub at: DateTime<Utc>,
}

/// One daily contact between the pair.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgendaContact {
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub day: chrono::NaiveDate,
    /// What was said.
    pub note: String,
}

/// What the customer said between `a` and `b` in `[from, to)`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct AgendaVoice {
    pub pulses: Vec<AgendaPulse>,
    pub thanks: Vec<AgendaThanks>,
    /// The providers' daily contacts with the other of the pair.
    pub contacts: Vec<AgendaContact>,
}

/// Rows whose provider and customer are `a` and `b`, either way round.
fn either_way<C: ColumnTrait>(
    provider: C,
    customer: C,
    (a, b): (DepartmentId, DepartmentId),
) -> Condition {
    Condition::any()
        .add(Condition::all().add(provider.eq(a)).add(customer.eq(b)))
        .add(Condition::all().add(provider.eq(b)).add(customer.eq(a)))
}

pub async fn of_pair(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    (a, b): (DepartmentId, DepartmentId),
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<AgendaVoice, ApiError> {
    let pulses = pulse::Entity::find()
        .filter(pulse::Column::OrganisationId.eq(organisation_id))
        .filter(either_way(
            pulse::Column::ProviderDepartmentId,
            pulse::Column::CustomerDepartmentId,
            (a, b),
        ))
        .filter(pulse::Column::OpenedAt.gte(from))
        .filter(pulse::Column::OpenedAt.lt(to))
        .order_by_asc(pulse::Column::OpenedAt)
        .all(db)
        .await?;
    let answers = if pulses.is_empty() {
        Vec::new()
    } else {
        pulse_answer::Entity::find()
            .filter(pulse_answer::Column::PulseId.is_in(pulses.iter().map(|p| p.id)))
            .order_by_asc(pulse_answer::Column::Id)
            .all(db)
            .await?
    };
    let pulses = pulses
        .into_iter()
        .map(|row| {
            let mine: Vec<&pulse_answer::Model> =
                answers.iter().filter(|a| a.pulse_id == row.id).collect();
            let sum: i64 = mine.iter().map(|a| i64::from(a.score)).sum();
            AgendaPulse {
                pulse_id: row.id,
                agreement_id: row.agreement_id,
                provider_department_id: row.provider_department_id,
                customer_department_id: row.customer_department_id,
                opened_at: row.opened_at,
                answers: mine.len(),
                average_score: crate::services::stats::mean_score(sum, mine.len()),
                one_things: mine
                    .iter()
                    .filter(|a| !a.one_thing.is_empty())
                    .map(|a| a.one_thing.clone())
                    .collect(),
                response: row.response,
            }
        })
        .collect();
    let thanks = thanks::Entity::find()
        .filter(thanks::Column::OrganisationId.eq(organisation_id))
        .filter(either_way(
            thanks::Column::ProviderDepartmentId,
            thanks::Column::CustomerDepartmentId,
            (a, b),
        ))
        .filter(thanks::Column::CreatedAt.gte(from))
        .filter(thanks::Column::CreatedAt.lt(to))
        .order_by_asc(thanks::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| AgendaThanks {
            request_id: row.request_id,
            provider_department_id: row.provider_department_id,
            customer_department_id: row.customer_department_id,
            note: row.note,
            at: row.created_at,
        })
        .collect();
    let contacts = contact::Entity::find()
        .filter(contact::Column::OrganisationId.eq(organisation_id))
        .filter(contact::Column::Outcome.eq(ContactOutcome::Contacted))
        .filter(either_way(
            contact::Column::ProviderDepartmentId,
            contact::Column::CustomerDepartmentId,
            (a, b),
        ))
        .filter(contact::Column::CreatedAt.gte(from))
        .filter(contact::Column::CreatedAt.lt(to))
        .order_by_asc(contact::Column::Day)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(AgendaContact {
                provider_department_id: row.provider_department_id,
                customer_department_id: row.customer_department_id?,
                day: row.day,
                note: row.note,
            })
        })
        .collect();
    Ok(AgendaVoice {
        pulses,
        thanks,
        contacts,
    })
}
