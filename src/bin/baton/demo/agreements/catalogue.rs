//! The seventeen active agreements of the demo as data: who serves whom,
//! with what turnaround and target, how reliably the provider really works
//! and how often it is asked, and what its requests are called.

use baton::time::TurnaroundUnit;

use super::Pact;
use super::subjects::Subjects;
use crate::demo::people::Dept;

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
