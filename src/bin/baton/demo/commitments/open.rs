//! The deals open now, one chain of handoffs each, staged relative to the
//! moment of loading: on track, at risk, late, and one the customer
//! postponed. Each promise is made through [`super::promise`].

use rand_chacha::ChaCha8Rng;

use baton::entities::request;
use baton::services::Context;
use baton::services::ExpectedVersion;
use baton::services::commitments::{self, Closing, NewCommitment};

use super::promise::{Outlook, Promise};
use super::{Deals, business_hours};
use crate::demo::DemoError;
use crate::demo::agreements::Pact;
use crate::demo::people::Dept;
use crate::demo::present::{self, Staged, State};
use crate::demo::work::{self, Fate, Plan};

impl Deals<'_> {
    /// The deals open now, one chain each, and the promises made on them.
    pub(super) async fn open(&self, rng: &mut ChaCha8Rng) -> Result<(), DemoError> {
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
            &Context::alone(&self.pool, self.cache, sales.lead.auth.clone()),
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
            &Context::alone(&self.pool, self.cache, sales.lead.auth.clone()),
            pilot.id,
            ExpectedVersion(None),
            Closing::Cancel {
                reason: "The customer postponed the pilot to next year".into(),
            },
        )
        .await?;
        Ok(())
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
}

fn contract_title(customer: &str) -> String {
    format!("Contract review: {customer} master agreement")
}

fn order_title(customer: &str) -> String {
    format!("Purchase order: hardware for {customer}")
}
