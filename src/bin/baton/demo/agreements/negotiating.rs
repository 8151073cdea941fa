//! The agreements still in negotiation: a draft with vague wording (which
//! Baton flags), a proposal awaiting acceptance, and one the customer
//! declined with a reason.

use sea_orm::ConnectionTrait;

use baton::services::ExpectedVersion;
use baton::services::agreements::{self, NewAgreement};
use baton::time::TurnaroundUnit;

use super::{draft, turnaround};
use crate::demo::DemoError;
use crate::demo::people::{Dept, Org};

use Dept::*;
use TurnaroundUnit::BusinessDays;

/// How far an agreement in negotiation has come.
enum Stage {
    Draft,
    Proposed,
    Declined(&'static str),
}

/// An agreement in negotiation: its terms and how far it has come.
struct Negotiation {
    provider: Dept,
    customer: Dept,
    title: &'static str,
    deliverable: &'static str,
    definition_of_done: &'static str,
    amount: f64,
    unit: TurnaroundUnit,
    stage: Stage,
}

const NEGOTIATING: [Negotiation; 3] = [
    // Vague on purpose: Baton flags "as soon as possible" and "ASAP".
    Negotiation {
        provider: Legal,
        customer: Marketing,
        title: "Claims check for campaign copy",
        deliverable: "Campaign copy cleared as soon as possible",
        definition_of_done: "Legal has looked at it and it is fine, ASAP",
        amount: 2.0,
        unit: BusinessDays,
        stage: Stage::Draft,
    },
    Negotiation {
        provider: Hr,
        customer: Operations,
        title: "Shift roster approval",
        deliverable: "Approved shift roster for the next month",
        definition_of_done: "Roster checked against working-time rules and signed off",
        amount: 3.0,
        unit: BusinessDays,
        stage: Stage::Proposed,
    },
    Negotiation {
        provider: Marketing,
        customer: CustomerSuccess,
        title: "Release notes for customers",
        deliverable: "Customer-facing release notes",
        definition_of_done: "Notes written in plain language and published in the help centre",
        amount: 5.0,
        unit: BusinessDays,
        stage: Stage::Declined(
            "Five days is too slow: customers see the release before they see the notes. Can you do two?",
        ),
    },
];

/// Drafts each agreement in negotiation by its provider's lead and takes
/// it as far as it has come.
pub(super) async fn create(db: &impl ConnectionTrait, org: &Org) -> Result<(), DemoError> {
    for negotiation in &NEGOTIATING {
        let id = draft(
            db,
            org,
            NewAgreement {
                provider_department_id: org.dept(negotiation.provider)?.id,
                customer_department_id: org.dept(negotiation.customer)?.id,
                title: negotiation.title.into(),
                deliverable: negotiation.deliverable.into(),
                definition_of_done: negotiation.definition_of_done.into(),
                turnaround: turnaround(negotiation.amount, negotiation.unit)?,
                on_time_target_pct: None,
                review_every_weeks: None,
                due_soon_percent: None,
            },
            negotiation.provider,
        )
        .await?;
        let provider_lead = &org.dept(negotiation.provider)?.lead.auth;
        let customer_lead = &org.dept(negotiation.customer)?.lead.auth;
        match negotiation.stage {
            Stage::Draft => {}
            Stage::Proposed => {
                agreements::propose(db, provider_lead, id, ExpectedVersion(None)).await?;
            }
            Stage::Declined(reason) => {
                agreements::propose(db, provider_lead, id, ExpectedVersion(None)).await?;
                agreements::decline(db, customer_lead, id, ExpectedVersion(None), reason).await?;
            }
        }
    }
    Ok(())
}
