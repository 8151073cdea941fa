//! The demo's handoff agreements: seventeen active ones in both directions
//! with varied turnarounds and targets, each with how reliably its provider
//! really works (which drives the history), and a few still in negotiation —
//! a draft with vague wording, a proposal awaiting acceptance, and one the
//! customer declined.
//!
//! What lives where:
//! - this file: [`create`], which makes them all, and [`Pacts`], the active
//!   agreements as created, for the rest of the demo to work under;
//! - [`catalogue`]: the seventeen active agreements as data ([`ACTIVE`]);
//! - [`subjects`]: what the titles of their requests are about;
//! - [`negotiating`]: the agreements still in negotiation, and how far
//!   each has come.

mod catalogue;
mod negotiating;
mod subjects;

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use baton::entities::ids::AgreementId;
use baton::services::ExpectedVersion;
use baton::services::agreements::{self, NewAgreement};
use baton::time::{Turnaround, TurnaroundUnit};

use super::DemoError;
use super::people::{Dept, Org};
use catalogue::{ACTIVE, PactSpec};

/// The active agreements, by what they are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Pact {
    ContractReview,
    DealBrief,
    CreditCheck,
    PurchaseOrder,
    SupplierPayment,
    VendorSetup,
    ProductionAccess,
    MaintenanceWindow,
    NewStarterKit,
    JobPosting,
    ProposalDeck,
    LeadFeedback,
    CustomerOnboarding,
    RenewalAssessment,
    SupplierContract,
    PayrollChange,
    IncidentReport,
}

/// An active agreement as created.
pub(crate) struct Active {
    pub id: AgreementId,
    pub spec: &'static PactSpec,
    pub turnaround: Turnaround,
}

/// The active agreements by what they are about.
pub(crate) struct Pacts {
    by_pact: HashMap<Pact, Active>,
}

impl Pacts {
    pub fn get(&self, pact: Pact) -> Result<&Active, DemoError> {
        self.by_pact
            .get(&pact)
            .ok_or_else(|| DemoError::new(format!("agreement {pact:?} is missing")))
    }

    /// In catalogue order, so that the history is the same on every load.
    pub fn all(&self) -> impl Iterator<Item = &Active> {
        ACTIVE
            .iter()
            .filter_map(|spec| self.by_pact.get(&spec.pact))
    }
}

/// Drafts, proposes and accepts the active agreements (each by the lead of
/// the side that may), then the ones still in negotiation.
pub(crate) async fn create(db: &impl ConnectionTrait, org: &Org) -> Result<Pacts, DemoError> {
    let mut by_pact = HashMap::new();
    for spec in &ACTIVE {
        let turnaround = turnaround(spec.amount, spec.unit)?;
        let id = draft(
            db,
            org,
            NewAgreement {
                provider_department_id: org.dept(spec.provider)?.id,
                customer_department_id: org.dept(spec.customer)?.id,
                title: spec.title.into(),
                deliverable: spec.deliverable.into(),
                definition_of_done: spec.definition_of_done.into(),
                turnaround,
                on_time_target_pct: Some(spec.target_pct),
                review_every_weeks: Some(spec.review_every_weeks),
                due_soon_percent: None,
            },
            spec.provider,
        )
        .await?;
        agreements::propose(
            db,
            &org.dept(spec.provider)?.lead.auth,
            id,
            ExpectedVersion(None),
        )
        .await?;
        agreements::accept(
            db,
            &org.dept(spec.customer)?.lead.auth,
            id,
            ExpectedVersion(None),
        )
        .await?;
        by_pact.insert(
            spec.pact,
            Active {
                id,
                spec,
                turnaround,
            },
        );
    }
    negotiating::create(db, org).await?;
    Ok(Pacts { by_pact })
}

/// Drafts an agreement as the lead of its provider: its id.
async fn draft(
    db: &impl ConnectionTrait,
    org: &Org,
    input: NewAgreement,
    provider: Dept,
) -> Result<AgreementId, DemoError> {
    let lead = &org.dept(provider)?.lead.auth;
    Ok(agreements::create(db, lead, input).await?.id)
}

/// A turnaround, or the demo's error naming it.
fn turnaround(amount: f64, unit: TurnaroundUnit) -> Result<Turnaround, DemoError> {
    Turnaround::new(amount, unit).map_err(|error| DemoError::new(format!("turnaround: {error}")))
}
