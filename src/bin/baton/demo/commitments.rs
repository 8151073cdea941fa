//! Promises to outside customers and the chains of handoffs behind them.
//!
//! A customer go-live needs Legal's contract review and Finance's credit
//! check for Sales, Procurement's purchase order and IT's production access
//! for Operations, and Operations' onboarding environment (which waits for
//! both) for Customer Success, who promises the date. Deals of the past
//! months ran through such chains and were fulfilled; the deals open now are
//! on track, at risk or late — each promise is set against the projection
//! of its chain so that every class is there, and checked afterwards.

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;

use baton::entities::commitment::StoredRisk;
use baton::entities::{commitment, request};
use baton::services::ExpectedVersion;
use baton::services::calendars::CalendarCache;
use baton::services::commitments::{self, Closing, NewCommitment};
use baton::services::projection;
use baton::time::{CompiledCalendar, Turnaround, TurnaroundUnit};

use super::DemoError;
use super::agreements::{Pact, Pacts};
use super::history::routine;
use super::people::{Dept, Org};
use super::present::{self, Staged, State};
use super::work::{self, Fate, Plan, whole_second};

/// Customers whose go-lives are history.
const PAST_CUSTOMERS: [&str; 10] = [
    "Harbor & Pine Logistics",
    "Bluefin Analytics",
    "Silverline Retail",
    "Redwood Insurance",
    "Lumen Pharma",
    "Quarry Hill Hotels",
    "Northgate Telecom",
    "Granite Peak Outdoor",
    "Sunbeam Dairies",
    "Vista Air Cargo",
];

/// The risk a commitment open now is set up to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outlook {
    OnTrack,
    AtRisk,
    Late,
}

impl Outlook {
    fn name(self) -> &'static str {
        match self {
            Outlook::OnTrack => "on_track",
            Outlook::AtRisk => "at_risk",
            Outlook::Late => "late",
        }
    }
}

/// What every step of a deal needs.
struct Deals<'a> {
    db: &'a DatabaseConnection,
    cache: &'a CalendarCache,
    org: &'a Org,
    pacts: &'a Pacts,
}

/// The past go-lives, then the deals open now.
pub(crate) async fn load(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    org: &Org,
    pacts: &Pacts,
    rng: &mut ChaCha8Rng,
) -> Result<(), DemoError> {
    let deals = Deals {
        db,
        cache,
        org,
        pacts,
    };
    for (i, customer) in PAST_CUSTOMERS.iter().enumerate() {
        let began = org.now - TimeDelta::days(150) + TimeDelta::days(11 * i as i64);
        deals.past_go_live(rng, customer, began).await?;
    }
    deals.open(rng).await
}

/// One open promise.
struct Promise<'a> {
    customer: &'a str,
    title: String,
    owner: Dept,
    lead_time: Turnaround,
    depends_on: Vec<i64>,
    risk: Outlook,
}

impl Deals<'_> {
    /// A go-live of the past months: its chain played out as routine work,
    /// the promise made at the start, fulfilled when the chain allowed.
    async fn past_go_live(
        &self,
        rng: &mut ChaCha8Rng,
        customer: &str,
        began: DateTime<Utc>,
    ) -> Result<(), DemoError> {
        let sales = &self.org.dept(Dept::Sales)?.calendar;
        let requested_at =
            sales.add_working(sales.clock_start(began)?, rng.random_range(0..14_400))?;
        let contract = self
            .routine(
                rng,
                Pact::ContractReview,
                format!("Contract review: {customer} master agreement"),
                requested_at,
                vec![],
            )
            .await?;
        let credit = self
            .routine(
                rng,
                Pact::CreditCheck,
                format!("Credit check: {customer}"),
                requested_at,
                vec![],
            )
            .await?;
        let order = self
            .routine(
                rng,
                Pact::PurchaseOrder,
                format!("Purchase order: hardware for {customer}"),
                requested_at,
                vec![],
            )
            .await?;
        let access = self
            .routine(
                rng,
                Pact::ProductionAccess,
                format!("Production access: {customer} tenant"),
                requested_at,
                vec![order.id],
            )
            .await?;
        let onboarding = self
            .routine(
                rng,
                Pact::CustomerOnboarding,
                format!("Onboarding environment: {customer}"),
                requested_at,
                vec![order.id, access.id],
            )
            .await?;

        let owner = self.org.dept(Dept::CustomerSuccess)?;
        let lead_time = business_hours(8)?;
        // Promised at the start: some three weeks of Customer Success days.
        let promised_at = owner
            .calendar
            .business_days_after(requested_at, rng.random_range(13..21))?;
        let created = commitments::create(
            self.db,
            self.cache,
            &owner.lead.auth,
            NewCommitment {
                customer_name: customer.into(),
                title: format!("{customer} go-live"),
                promised_at,
                owner_department_id: owner.id,
                lead_time: Some(lead_time),
                depends_on: vec![contract.id, credit.id, onboarding.id],
            },
        )
        .await?;
        let finished: Option<Vec<DateTime<Utc>>> = [&contract, &credit, &onboarding]
            .iter()
            .map(|row| row.delivered_at)
            .collect();
        if let Some(last) = finished.and_then(|times| times.into_iter().max()) {
            let fulfilled_at = owner.calendar.add_working(
                owner.calendar.due(last, lead_time)?.due,
                rng.random_range(0..4 * 3_600),
            )?;
            if fulfilled_at <= self.org.now {
                commitments::close(
                    self.db,
                    self.cache,
                    &owner.lead.auth,
                    created.id,
                    ExpectedVersion(None),
                    Closing::Fulfil {
                        at: Some(whole_second(fulfilled_at)),
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Plays a routine request of a past deal.
    async fn routine(
        &self,
        rng: &mut ChaCha8Rng,
        pact: Pact,
        title: String,
        requested_at: DateTime<Utc>,
        depends_on: Vec<i64>,
    ) -> Result<request::Model, DemoError> {
        let active = self.pacts.get(pact)?;
        let plan = Plan {
            pact: active,
            title,
            details: active.spec.details.into(),
            requested_at,
            depends_on,
            fate: routine(rng, active.spec.reliability, false),
        };
        work::play(self.db, self.cache, self.org, plan, rng).await
    }

    /// Plays a request staged relative to now and answers it.
    async fn staged(
        &self,
        rng: &mut ChaCha8Rng,
        pact: Pact,
        title: String,
        due_in_hours: f64,
        state: State,
    ) -> Result<request::Model, DemoError> {
        let staged = Staged {
            pact: self.pacts.get(pact)?,
            title,
            due_in_hours,
            state,
        };
        let plan = present::plan(self.org, staged)?;
        work::play(self.db, self.cache, self.org, plan, rng).await
    }

    /// Plays a request nobody has started yet, waiting for its inputs.
    async fn waiting_for_inputs(
        &self,
        rng: &mut ChaCha8Rng,
        pact: Pact,
        title: String,
        inputs: &[&request::Model],
    ) -> Result<request::Model, DemoError> {
        let active = self.pacts.get(pact)?;
        let plan = Plan {
            pact: active,
            title,
            details: active.spec.details.into(),
            // Asked for together with its first input.
            requested_at: inputs
                .iter()
                .map(|row| row.requested_at)
                .min()
                .unwrap_or(self.org.now),
            depends_on: inputs.iter().map(|row| row.id).collect(),
            fate: Fate::default(),
        };
        work::play(self.db, self.cache, self.org, plan, rng).await
    }

    /// IT's production access and Operations' onboarding environment,
    /// logged with the purchase order and waiting for it: answers the
    /// onboarding request.
    async fn go_live_tail(
        &self,
        rng: &mut ChaCha8Rng,
        customer: &str,
        order: &request::Model,
    ) -> Result<request::Model, DemoError> {
        let access = self
            .waiting_for_inputs(
                rng,
                Pact::ProductionAccess,
                format!("Production access: {customer} tenant"),
                &[order],
            )
            .await?;
        self.waiting_for_inputs(
            rng,
            Pact::CustomerOnboarding,
            format!("Onboarding environment: {customer}"),
            &[order, &access],
        )
        .await
    }

    /// The deals open now, one chain each, and the promises made on them.
    async fn open(&self, rng: &mut ChaCha8Rng) -> Result<(), DemoError> {
        // Kestrel Foods: everything moving, promised with days to spare.
        let customer = "Kestrel Foods";
        let contract = self
            .staged(
                rng,
                Pact::ContractReview,
                contract_title(customer),
                14.0,
                State::InProgress,
            )
            .await?;
        let credit = self
            .staged(
                rng,
                Pact::CreditCheck,
                format!("Credit check: {customer}"),
                8.0,
                State::Delivered,
            )
            .await?;
        let order = self
            .staged(
                rng,
                Pact::PurchaseOrder,
                order_title(customer),
                20.0,
                State::InProgress,
            )
            .await?;
        let onboarding = self.go_live_tail(rng, customer, &order).await?;
        self.promise(Promise {
            customer,
            title: format!("{customer} go-live"),
            owner: Dept::CustomerSuccess,
            lead_time: business_hours(8)?,
            depends_on: vec![contract.id, credit.id, onboarding.id],
            risk: Outlook::OnTrack,
        })
        .await?;

        // Orion Freight: the supplier slipped, Procurement said so, and the
        // go-live promised to the customer can no longer be kept.
        let customer = "Orion Freight";
        let contract = self
            .staged(
                rng,
                Pact::ContractReview,
                contract_title(customer),
                -30.0,
                State::Delivered,
            )
            .await?;
        let credit = self
            .staged(
                rng,
                Pact::CreditCheck,
                format!("Credit check: {customer}"),
                -20.0,
                State::Delivered,
            )
            .await?;
        let order = self
            .staged(
                rng,
                Pact::PurchaseOrder,
                order_title(customer),
                -4.0,
                State::ForecastLate("The supplier slipped the server shipment by a week"),
            )
            .await?;
        let onboarding = self.go_live_tail(rng, customer, &order).await?;
        self.promise(Promise {
            customer,
            title: format!("{customer} go-live"),
            owner: Dept::CustomerSuccess,
            lead_time: business_hours(8)?,
            depends_on: vec![contract.id, credit.id, onboarding.id],
            risk: Outlook::Late,
        })
        .await?;

        // Marigold Clinics: the contract waits on the customer; little
        // slack is left.
        let customer = "Marigold Clinics";
        let contract = self
            .staged(
                rng,
                Pact::ContractReview,
                contract_title(customer),
                4.0,
                State::Waiting("Waiting for the clinic group's signed NDA"),
            )
            .await?;
        let credit = self
            .staged(
                rng,
                Pact::CreditCheck,
                format!("Credit check: {customer}"),
                -10.0,
                State::Delivered,
            )
            .await?;
        let order = self
            .staged(
                rng,
                Pact::PurchaseOrder,
                order_title(customer),
                -16.0,
                State::Delivered,
            )
            .await?;
        let onboarding = self.go_live_tail(rng, customer, &order).await?;
        self.promise(Promise {
            customer,
            title: format!("{customer} go-live"),
            owner: Dept::CustomerSuccess,
            lead_time: business_hours(8)?,
            depends_on: vec![contract.id, credit.id, onboarding.id],
            risk: Outlook::AtRisk,
        })
        .await?;

        // Tidewater Bank: Sales promised a proposal that needs the deck and
        // the contract review, both due close to the promise.
        let customer = "Tidewater Bank";
        let deck = self
            .staged(
                rng,
                Pact::ProposalDeck,
                format!("Proposal deck: {customer}"),
                10.0,
                State::InProgress,
            )
            .await?;
        let contract = self
            .staged(
                rng,
                Pact::ContractReview,
                format!("Contract review: {customer} framework agreement"),
                16.0,
                State::InProgress,
            )
            .await?;
        self.promise(Promise {
            customer,
            title: format!("Proposal to {customer}"),
            owner: Dept::Sales,
            lead_time: business_hours(4)?,
            depends_on: vec![deck.id, contract.id],
            risk: Outlook::AtRisk,
        })
        .await?;

        // Copperleaf Energy: the renewal offer waits on an overdue
        // assessment.
        let customer = "Copperleaf Energy";
        let assessment = self
            .staged(
                rng,
                Pact::RenewalAssessment,
                format!("Renewal assessment: {customer}"),
                -10.0,
                State::Overdue,
            )
            .await?;
        let credit = self
            .staged(
                rng,
                Pact::CreditCheck,
                format!("Credit check: {customer} renewal"),
                -3.0,
                State::Delivered,
            )
            .await?;
        self.promise(Promise {
            customer,
            title: format!("Renewal offer to {customer}"),
            owner: Dept::Sales,
            lead_time: business_hours(4)?,
            depends_on: vec![assessment.id, credit.id],
            risk: Outlook::Late,
        })
        .await?;

        // Juniper Schools: just ordered, weeks of room.
        let customer = "Juniper Schools";
        let order = self
            .staged(
                rng,
                Pact::PurchaseOrder,
                format!("Purchase order: tablets for {customer}"),
                30.0,
                State::Open,
            )
            .await?;
        let access = self
            .waiting_for_inputs(
                rng,
                Pact::ProductionAccess,
                format!("Production access: {customer} tenant"),
                &[&order],
            )
            .await?;
        self.promise(Promise {
            customer,
            title: format!("{customer} classroom rollout"),
            owner: Dept::Operations,
            lead_time: business_hours(16)?,
            depends_on: vec![order.id, access.id],
            risk: Outlook::OnTrack,
        })
        .await?;

        self.postponed(rng).await
    }

    /// Atlas Mining: the deck went out, then the customer postponed.
    async fn postponed(&self, rng: &mut ChaCha8Rng) -> Result<(), DemoError> {
        let customer = "Atlas Mining";
        let deck = self
            .staged(
                rng,
                Pact::ProposalDeck,
                format!("Proposal deck: {customer} pilot"),
                -24.0,
                State::Delivered,
            )
            .await?;
        let sales = self.org.dept(Dept::Sales)?;
        let pilot = commitments::create(
            self.db,
            self.cache,
            &sales.lead.auth,
            NewCommitment {
                customer_name: customer.into(),
                title: format!("{customer} pilot proposal"),
                promised_at: sales.calendar.business_days_after(self.org.now, 5)?,
                owner_department_id: sales.id,
                lead_time: Some(business_hours(4)?),
                depends_on: vec![deck.id],
            },
        )
        .await?;
        commitments::close(
            self.db,
            self.cache,
            &sales.lead.auth,
            pilot.id,
            ExpectedVersion(None),
            Closing::Cancel {
                reason: "The customer postponed the pilot to next year".into(),
            },
        )
        .await?;
        Ok(())
    }

    /// Makes the promise with the risk it is meant to have: projects the
    /// chain first, sets the promised date against that projection, and
    /// checks the stored risk afterwards.
    async fn promise(&self, promise: Promise<'_>) -> Result<commitment::Model, DemoError> {
        let owner = self.org.dept(promise.owner)?;
        let calendar = owner.calendar.as_ref();
        let projected = self.projected_at(&promise, calendar).await?;
        let now = self.org.now;
        let promised_at = match promise.risk {
            // Three whole working days of slack: far above the threshold.
            Outlook::OnTrack => calendar.business_days_after(projected, 3)?,
            // Three working hours of slack: below the 8-hour threshold.
            Outlook::AtRisk => calendar.add_working(projected, 3 * 3_600)?,
            // Promised before the chain can deliver: by the close of a
            // working day between now and the projection (the middle one),
            // else a day before the projection.
            Outlook::Late => {
                let mut closes = Vec::new();
                for days in 0..20 {
                    let close = calendar.business_days_after(now, days)?;
                    if close >= projected {
                        break;
                    }
                    closes.push(close);
                }
                closes
                    .get(closes.len() / 2)
                    .copied()
                    .unwrap_or(projected - TimeDelta::days(1))
            }
        };
        let created = commitments::create(
            self.db,
            self.cache,
            &owner.lead.auth,
            NewCommitment {
                customer_name: promise.customer.into(),
                title: promise.title.clone(),
                promised_at: whole_second(promised_at),
                owner_department_id: owner.id,
                lead_time: Some(promise.lead_time),
                depends_on: promise.depends_on.clone(),
            },
        )
        .await?;
        if created.risk.map(StoredRisk::as_str) != Some(promise.risk.name()) {
            return Err(DemoError::new(format!(
                "commitment \"{}\" came out {} instead of {} (projected {}, promised {})",
                promise.title,
                created.risk.map_or("unprojected", StoredRisk::as_str),
                promise.risk.name(),
                projected.to_rfc3339(),
                promised_at.to_rfc3339(),
            )));
        }
        Ok(created)
    }

    /// The projected date of a commitment not made yet: its lead time
    /// after the latest projected finish of the requests it will wait on,
    /// as the projection engine computes it (SPEC §4).
    async fn projected_at(
        &self,
        promise: &Promise<'_>,
        calendar: &CompiledCalendar,
    ) -> Result<DateTime<Utc>, DemoError> {
        let projected = projection::project(
            self.db,
            self.cache,
            self.org.admin.organisation_id,
            &[],
            &promise.depends_on,
            Utc::now(),
        )
        .await?;
        let latest = promise
            .depends_on
            .iter()
            .filter_map(|id| projected.requests.get(id))
            .filter_map(|&idx| projected.projection.finish(idx))
            .max()
            .ok_or_else(|| DemoError::new(format!("\"{}\" waits on nothing", promise.title)))?;
        Ok(calendar.due(latest, promise.lead_time)?.due)
    }
}

fn contract_title(customer: &str) -> String {
    format!("Contract review: {customer} master agreement")
}

fn order_title(customer: &str) -> String {
    format!("Purchase order: hardware for {customer}")
}

fn business_hours(hours: i64) -> Result<Turnaround, DemoError> {
    Turnaround::from_quantity(TurnaroundUnit::BusinessHours, hours * 60)
        .map_err(|error| DemoError::new(format!("lead time: {error}")))
}
