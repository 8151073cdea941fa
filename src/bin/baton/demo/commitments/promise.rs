//! A promise to an outside customer made with the risk it is meant to
//! have: the chain behind it is projected first, the promised date set
//! against that projection, and the stored risk checked afterwards — so
//! that the demo shows every class of risk whatever the day of loading.

use chrono::{DateTime, TimeDelta, Utc};

use baton::entities::commitment::{self, StoredRisk};
use baton::entities::ids::RequestId;
use baton::services::Context;
use baton::services::commitments::{self, NewCommitment};
use baton::services::projection;
use baton::time::{CompiledCalendar, Turnaround};

use super::Deals;
use crate::demo::DemoError;
use crate::demo::people::Dept;
use crate::demo::work::whole_second;

/// The risk a commitment open now is set up to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outlook {
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

/// One open promise.
pub(super) struct Promise<'a> {
    pub(super) customer: &'a str,
    pub(super) title: String,
    pub(super) owner: Dept,
    pub(super) lead_time: Turnaround,
    pub(super) depends_on: Vec<RequestId>,
    pub(super) risk: Outlook,
}

impl Deals<'_> {
    /// Makes the promise with the risk it is meant to have: projects the
    /// chain first, sets the promised date against that projection, and
    /// checks the stored risk afterwards.
    pub(super) async fn promise(
        &self,
        promise: Promise<'_>,
    ) -> Result<commitment::Model, DemoError> {
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
            &Context::alone(&self.pool, self.cache, owner.lead.auth.clone()),
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
