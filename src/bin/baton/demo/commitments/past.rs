//! The go-lives of the past months: each one's chain of handoffs played out
//! as routine work, the promise made at the start and fulfilled when the
//! chain allowed, so that the reports have a fulfilled history.

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use baton::entities::ids::RequestId;
use baton::entities::request;
use baton::services::Context;
use baton::services::ExpectedVersion;
use baton::services::commitments::{self, Closing, NewCommitment};

use super::{Deals, business_hours};
use crate::demo::DemoError;
use crate::demo::agreements::Pact;
use crate::demo::history::routine;
use crate::demo::people::Dept;
use crate::demo::work::{self, Plan, whole_second};

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

impl Deals<'_> {
    /// The past go-lives, eleven days apart.
    pub(super) async fn past(&self, rng: &mut ChaCha8Rng) -> Result<(), DemoError> {
        for (i, customer) in PAST_CUSTOMERS.iter().enumerate() {
            let began = self.org.now - TimeDelta::days(150) + TimeDelta::days(11 * i as i64);
            self.past_go_live(rng, customer, began).await?;
        }
        Ok(())
    }

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
            &Context::alone(&self.pool, self.cache, owner.lead.auth.clone()),
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
                    &Context::alone(&self.pool, self.cache, owner.lead.auth.clone()),
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
        depends_on: Vec<RequestId>,
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
}
