//! The demo's handoff agreements: seventeen active ones in both directions
//! with varied turnarounds and targets, each with how reliably its provider
//! really works (which drives the history), and a few still in negotiation —
//! a draft with vague wording, a proposal awaiting acceptance, and one the
//! customer declined.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use baton::services::ExpectedVersion;
use baton::services::agreements::{self, NewAgreement};
use baton::time::{Turnaround, TurnaroundUnit};

use super::DemoError;
use super::people::{Dept, Org};

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

/// What the titles of an agreement's requests are about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subjects {
    Customers,
    Suppliers,
    Purchases,
    People,
    Systems,
    Roles,
    Campaigns,
    Incidents,
}

impl Subjects {
    pub fn list(self) -> &'static [&'static str] {
        match self {
            Subjects::Customers => &[
                "Kestrel Foods",
                "Orion Freight",
                "Marigold Clinics",
                "Tidewater Bank",
                "Copperleaf Energy",
                "Juniper Schools",
                "Harbor & Pine Logistics",
                "Bluefin Analytics",
                "Silverline Retail",
                "Redwood Insurance",
                "Lumen Pharma",
                "Atlas Mining",
                "Quarry Hill Hotels",
                "Northgate Telecom",
            ],
            Subjects::Suppliers => &[
                "Stellar Components",
                "Greenway Packaging",
                "Apex Cloud Hosting",
                "Brightline Couriers",
                "Ironbridge Security",
                "Nimbus Office Supplies",
                "Polar Cold Chain",
            ],
            Subjects::Purchases => &[
                "12 rack servers",
                "forklift lease renewal",
                "packaging materials Q-run",
                "spare conveyor belts",
                "SD-WAN routers",
                "safety equipment",
                "cold-storage sensors",
                "barcode scanners",
            ],
            Subjects::People => &[
                "Noah Fischer",
                "Leila Ahmadi",
                "Tom Okafor",
                "Yuki Tanaka",
                "Carla Rossi",
                "Ravi Pillai",
                "Emma Lindqvist",
                "Diego Martins",
            ],
            Subjects::Systems => &[
                "warehouse management system",
                "customer portal",
                "billing platform",
                "EDI gateway",
                "fleet telematics",
            ],
            Subjects::Roles => &[
                "Account Executive, Boston",
                "Sales Development Rep",
                "Solutions Engineer",
                "Regional Sales Manager",
            ],
            Subjects::Campaigns => &[
                "spring webinar series",
                "logistics trade fair",
                "partner newsletter",
                "retail LinkedIn campaign",
                "case-study downloads",
            ],
            Subjects::Incidents => &[
                "portal outage",
                "delayed EDI batch",
                "billing run failure",
                "tracking page errors",
                "login slowness",
            ],
        }
    }
}

/// An agreement and how its provider really works.
pub(crate) struct PactSpec {
    pub pact: Pact,
    pub provider: Dept,
    pub customer: Dept,
    pub title: &'static str,
    pub deliverable: &'static str,
    pub definition_of_done: &'static str,
    pub amount: f64,
    pub unit: TurnaroundUnit,
    pub target_pct: i64,
    pub review_every_weeks: i64,
    /// Share of the history delivered on time: some providers meet their
    /// target, some do not, which is what the reports and reviews are for.
    pub reliability: f64,
    /// Routine requests per week, on average.
    pub weekly: f64,
    /// Request titles read "<prefix>: <subject>".
    pub prefix: &'static str,
    pub subjects: Subjects,
    pub details: &'static str,
}

const fn spec(
    pact: Pact,
    (provider, customer): (Dept, Dept),
    (title, deliverable, definition_of_done): (&'static str, &'static str, &'static str),
    (amount, unit, target_pct, review_every_weeks): (f64, TurnaroundUnit, i64, i64),
    (reliability, weekly): (f64, f64),
    (prefix, subjects, details): (&'static str, Subjects, &'static str),
) -> PactSpec {
    PactSpec {
        pact,
        provider,
        customer,
        title,
        deliverable,
        definition_of_done,
        amount,
        unit,
        target_pct,
        review_every_weeks,
        reliability,
        weekly,
        prefix,
        subjects,
        details,
    }
}

use Dept::*;
use TurnaroundUnit::{BusinessDays, BusinessHours, CalendarHours};

pub(crate) const ACTIVE: [PactSpec; 17] = [
    spec(
        Pact::ContractReview,
        (Legal, Sales),
        (
            "Customer contract review",
            "Marked-up contract with a risk summary",
            "Every clause reviewed; deviations from the playbook listed with a recommendation",
        ),
        (3.0, BusinessDays, 90, 4),
        (0.84, 1.6),
        (
            "Contract review",
            Subjects::Customers,
            "Customer paper attached; we need the mark-up before the next negotiation call.",
        ),
    ),
    spec(
        Pact::DealBrief,
        (Sales, Legal),
        (
            "Deal brief for contract drafting",
            "One-page deal brief: parties, scope, price, special terms",
            "All commercial terms filled in and approved by the account owner",
        ),
        (1.0, BusinessDays, 90, 4),
        (0.93, 0.8),
        (
            "Deal brief",
            Subjects::Customers,
            "Legal needs the agreed commercial terms before drafting.",
        ),
    ),
    spec(
        Pact::CreditCheck,
        (Finance, Sales),
        (
            "Credit check for a new customer",
            "Credit decision with limit and payment terms",
            "Rating agency report checked, limit set, decision recorded in the ERP",
        ),
        (16.0, BusinessHours, 95, 4),
        (0.95, 1.0),
        (
            "Credit check",
            Subjects::Customers,
            "New customer; registration number and last accounts attached.",
        ),
    ),
    spec(
        Pact::PurchaseOrder,
        (Procurement, Operations),
        (
            "Purchase order placement",
            "Purchase order sent to the supplier with a confirmed delivery date",
            "Three quotes compared, PO approved and acknowledged by the supplier",
        ),
        (5.0, BusinessDays, 85, 2),
        (0.68, 1.2),
        (
            "Purchase order",
            Subjects::Purchases,
            "Specification and budget code attached.",
        ),
    ),
    spec(
        Pact::SupplierPayment,
        (Finance, Procurement),
        (
            "Supplier payment",
            "Payment released to the supplier",
            "Invoice matched to PO and goods receipt, payment in the next run",
        ),
        (2.0, BusinessDays, 95, 4),
        (0.97, 1.0),
        (
            "Supplier payment",
            Subjects::Suppliers,
            "Invoice approved by the budget owner.",
        ),
    ),
    spec(
        Pact::VendorSetup,
        (Procurement, Finance),
        (
            "New vendor set-up",
            "Vendor master record with bank details verified",
            "Tax ID and bank details verified by call-back; record active in the ERP",
        ),
        (1.0, BusinessDays, 90, 4),
        (0.8, 0.5),
        (
            "Vendor set-up",
            Subjects::Suppliers,
            "Vendor form and bank letter attached.",
        ),
    ),
    spec(
        Pact::ProductionAccess,
        (It, Operations),
        (
            "Production access provisioning",
            "Accounts and roles in the production systems",
            "Access granted with least privilege, approval recorded, requester notified",
        ),
        (8.0, BusinessHours, 95, 6),
        (0.93, 1.2),
        (
            "Production access",
            Subjects::Systems,
            "Role and manager approval attached.",
        ),
    ),
    spec(
        Pact::MaintenanceWindow,
        (Operations, It),
        (
            "Maintenance window confirmation",
            "Confirmed maintenance window with the operational impact",
            "Window agreed with the shift leads and published in the operations calendar",
        ),
        (2.0, BusinessDays, 90, 6),
        (0.9, 0.5),
        (
            "Maintenance window",
            Subjects::Systems,
            "Planned change; expected downtime in the details of the change ticket.",
        ),
    ),
    spec(
        Pact::NewStarterKit,
        (It, Hr),
        (
            "New starter equipment and accounts",
            "Laptop, phone and accounts ready on the first day",
            "Equipment imaged and labelled, accounts active, credentials handed to HR",
        ),
        (5.0, BusinessDays, 90, 8),
        (0.88, 0.6),
        (
            "New starter kit",
            Subjects::People,
            "Start date and role in the offer letter.",
        ),
    ),
    spec(
        Pact::JobPosting,
        (Hr, Sales),
        (
            "Job posting for an open role",
            "Approved job ad live on the careers page and job boards",
            "Ad approved by the hiring manager and published on all agreed channels",
        ),
        (3.0, BusinessDays, 85, 8),
        (0.9, 0.3),
        (
            "Job posting",
            Subjects::Roles,
            "Headcount approved; draft description attached.",
        ),
    ),
    spec(
        Pact::ProposalDeck,
        (Marketing, Sales),
        (
            "Customer proposal deck",
            "Branded proposal deck tailored to the customer",
            "Deck uses the current template, customer logo and the agreed value story",
        ),
        (4.0, BusinessDays, 80, 4),
        (0.75, 0.8),
        (
            "Proposal deck",
            Subjects::Customers,
            "Discovery notes and pricing attached.",
        ),
    ),
    spec(
        Pact::LeadFeedback,
        (Sales, Marketing),
        (
            "Feedback on qualified leads",
            "Accepted or rejected, with a reason, for every lead handed over",
            "Every lead of the batch marked in the CRM with a reason",
        ),
        (24.0, CalendarHours, 80, 4),
        (0.7, 0.8),
        (
            "Lead feedback",
            Subjects::Campaigns,
            "Batch of marketing-qualified leads from the campaign.",
        ),
    ),
    spec(
        Pact::CustomerOnboarding,
        (Operations, CustomerSuccess),
        (
            "Customer onboarding environment",
            "Customer environment configured and handed over",
            "Sites, routes and users configured; smoke test passed; handover note sent",
        ),
        (3.0, BusinessDays, 90, 4),
        (0.86, 0.8),
        (
            "Onboarding environment",
            Subjects::Customers,
            "Signed order form and site list attached.",
        ),
    ),
    spec(
        Pact::RenewalAssessment,
        (CustomerSuccess, Sales),
        (
            "Renewal risk assessment",
            "Renewal risk rating with the reasons and a retention plan",
            "Usage, tickets and sentiment reviewed; rating and plan in the CRM",
        ),
        (2.0, BusinessDays, 90, 4),
        (0.92, 0.6),
        (
            "Renewal assessment",
            Subjects::Customers,
            "Renewal date within the next 90 days.",
        ),
    ),
    spec(
        Pact::SupplierContract,
        (Legal, Procurement),
        (
            "Supplier contract review",
            "Reviewed supplier contract ready for signature",
            "Liability, data protection and termination clauses checked against policy",
        ),
        (5.0, BusinessDays, 85, 6),
        (0.82, 0.6),
        (
            "Supplier contract",
            Subjects::Suppliers,
            "Supplier's standard terms attached.",
        ),
    ),
    spec(
        Pact::PayrollChange,
        (Finance, Hr),
        (
            "Payroll change",
            "Change applied in payroll and confirmed",
            "Change in the next payroll run, payslip preview checked",
        ),
        (48.0, CalendarHours, 98, 8),
        (0.98, 0.6),
        (
            "Payroll change",
            Subjects::People,
            "Signed change form attached.",
        ),
    ),
    spec(
        Pact::IncidentReport,
        (It, CustomerSuccess),
        (
            "Incident root-cause report",
            "Root-cause report customers can be given",
            "Timeline, root cause, customer impact and preventive actions written up",
        ),
        (16.0, BusinessHours, 90, 4),
        (0.89, 0.5),
        (
            "Incident report",
            Subjects::Incidents,
            "Customers are asking what happened; ticket numbers attached.",
        ),
    ),
];

/// An active agreement as created.
pub(crate) struct Active {
    pub id: i64,
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

/// How far an agreement in negotiation has come.
enum Stage {
    Draft,
    Proposed,
    Declined(&'static str),
}

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
    Ok(Pacts { by_pact })
}

async fn draft(
    db: &impl ConnectionTrait,
    org: &Org,
    input: NewAgreement,
    provider: Dept,
) -> Result<i64, DemoError> {
    let lead = &org.dept(provider)?.lead.auth;
    Ok(agreements::create(db, lead, input).await?.id)
}

fn turnaround(amount: f64, unit: TurnaroundUnit) -> Result<Turnaround, DemoError> {
    Turnaround::new(amount, unit).map_err(|error| DemoError::new(format!("turnaround: {error}")))
}
